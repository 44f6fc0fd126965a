"""What the planner returns: charging sessions, each trip's outcome (with the reason when it cannot be served),
the load of every site slot by slot, and totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

__all__ = ["ChargingPlan", "PlanStats", "Session", "SiteLoad", "TripOutcome"]

Reason = Literal[
    "ok",
    "battery_too_small",
    "no_site",
    "no_connector",
    "not_enough_time",
    "site_busy",
]
REASONS: dict[str, str] = {
    "ok": "served with enough charge",
    "battery_too_small": "the trip needs more than the battery holds",
    "no_site": "the car is not parked at a charging site before the trip",
    "no_connector": "no connector at the site fits the car",
    "not_enough_time": "even charging alone at full power the car cannot take enough before it leaves",
    "site_busy": "the connectors and the site's power cap are taken by other cars' trips",
}


@dataclass(frozen=True, slots=True)
class Session:
    """Charge ``vehicle_id`` on ``connector_id`` from ``start`` to ``end``: ``kwh`` reach the battery,
    ``grid_kwh`` are drawn and cost ``cost`` yuan. ``profile_kw`` is the grid power of each slot."""

    vehicle_id: str
    site_id: str
    connector_id: str
    start: datetime
    end: datetime
    kwh: float
    grid_kwh: float
    cost: float
    profile_kw: tuple[float, ...]
    continues: bool = False
    """The car is plugged into this connector already (no plug move)."""

    @property
    def slot_minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60 / max(1, len(self.profile_kw))

    def power_at(self, when: datetime) -> float:
        if not self.start <= when < self.end:
            return 0.0
        index = int((when - self.start) / timedelta(minutes=self.slot_minutes))
        return self.profile_kw[min(index, len(self.profile_kw) - 1)]

    @property
    def key(self) -> tuple[str, str, datetime, datetime]:
        return (self.vehicle_id, self.connector_id, self.start, self.end)


@dataclass(frozen=True, slots=True)
class TripOutcome:
    """Whether a trip starts with enough charge under the plan, and why not when it does not."""

    trip_id: str
    vehicle_id: str
    departure: datetime
    needed_kwh: float
    planned_kwh: float
    """Charge in the battery at departure under the plan."""
    best_kwh: float
    """The most the car could have at departure charging alone at full power (the per-car bound)."""
    reason: Reason = "ok"
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def shortfall_kwh(self) -> float:
        return max(0.0, self.needed_kwh - self.planned_kwh)


@dataclass(frozen=True, slots=True)
class SiteLoad:
    """The grid power drawn at a site in each slot of the plan, against its cap."""

    site_id: str
    start: datetime
    slot_minutes: int
    kw: tuple[float, ...]
    cap_kw: float

    @property
    def peak_kw(self) -> float:
        return max(self.kw, default=0.0)


@dataclass(frozen=True, slots=True)
class PlanStats:
    status: str = ""
    wall_s: float = 0.0
    objective: float = 0.0
    bound: float = 0.0
    kept_previous: bool = False
    variables: int = 0
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChargingPlan:
    """Sessions, trip outcomes and site loads from ``start`` to ``end``.

    ``plugs`` records, per ``(vehicle, site, connector kind, kW)`` group, the slots the car occupies a
    connector (the planner's own decision variables), so a later re-plan can keep them.
    """

    start: datetime
    end: datetime
    slot_minutes: int
    sessions: tuple[Session, ...]
    trips: tuple[TripOutcome, ...]
    loads: tuple[SiteLoad, ...]
    stats: PlanStats = field(default_factory=PlanStats)
    plugs: frozenset[tuple[str, str, datetime]] = frozenset()
    """``(vehicle_id, connector_id, slot start)`` for every slot a car holds a connector."""

    @property
    def cost(self) -> float:
        return round(sum(s.cost for s in self.sessions), 2)

    @property
    def energy_kwh(self) -> float:
        return sum(s.grid_kwh for s in self.sessions)

    @property
    def peak_kw(self) -> float:
        return max((load.peak_kw for load in self.loads), default=0.0)

    @property
    def plug_moves(self) -> int:
        return sum(1 for s in self.sessions if not s.continues)

    @property
    def unserved(self) -> tuple[TripOutcome, ...]:
        return tuple(t for t in self.trips if not t.ok)

    def sessions_of(self, vehicle_id: str) -> tuple[Session, ...]:
        return tuple(s for s in self.sessions if s.vehicle_id == vehicle_id)

    def next_session(self, vehicle_id: str, after: datetime | None = None) -> Session | None:
        """The car's first session that has not ended by ``after`` (the plan's start if None)."""
        moment = after or self.start
        upcoming = [s for s in self.sessions_of(vehicle_id) if s.end > moment]
        return min(upcoming, key=lambda s: s.start, default=None)
