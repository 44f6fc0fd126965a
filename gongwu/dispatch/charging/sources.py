"""Where the planner's inputs come from: the trips assigned to cars, and each car's latest state of charge.

Bookings and assignments belong to dispatch (built elsewhere); the planner takes them through the small
:class:`TripSource` protocol, and dispatch registers its implementation with :func:`set_trip_source` when the
app starts. Until then the planner sees no trips (:class:`NoTrips`) and only fills cars up in the valley;
:class:`StaticTrips` serves tests and the demo.

The state of charge comes from telematics (GB/T 32960 ``soc_pct`` of stored positions, read through
``telematics.service.live_cars``) and, for cars without a new-energy terminal, from drivers' reports; the newest
reading wins (:class:`LatestSoc`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.events import EventBus
from gongwu.dispatch.charging.models import SocReport
from gongwu.telematics import service as telematics

__all__ = [
    "AssignedTrip",
    "LatestSoc",
    "NoTrips",
    "SocReading",
    "SocSource",
    "StaticTrips",
    "TripSource",
    "set_trip_source",
    "trip_source",
]


@dataclass(frozen=True, slots=True)
class AssignedTrip:
    """A trip dispatch has given to a car: it leaves its site at ``departure`` and is back at ``return_time``.

    Its energy is ``energy_kwh`` when given, else the routed ``distance_km`` × the car's consumption × (1 +
    reserve). ``returns_to_site_id`` is the charging site it comes back to (None: the car's home site).
    """

    trip_id: str
    vehicle_id: int
    departure: datetime
    return_time: datetime
    distance_km: float | None = None
    energy_kwh: float | None = None
    returns_to_site_id: int | None = None
    label: str = ""


class TripSource(Protocol):
    """The upcoming assigned trips of every car, leaving in ``[start, end)``."""

    async def upcoming(self, session: AsyncSession, start: datetime, end: datetime) -> Sequence[AssignedTrip]: ...


class NoTrips:
    """No bookings known (dispatch has not registered its source)."""

    async def upcoming(self, session: AsyncSession, start: datetime, end: datetime) -> Sequence[AssignedTrip]:
        return ()


class StaticTrips:
    """A fixed list of trips (tests, the demo)."""

    def __init__(self, trips: Sequence[AssignedTrip] = ()) -> None:
        self.trips = list(trips)

    async def upcoming(self, session: AsyncSession, start: datetime, end: datetime) -> Sequence[AssignedTrip]:
        return [t for t in self.trips if start <= t.departure < end]


_SOURCE: list[TripSource] = [NoTrips()]


def set_trip_source(source: TripSource) -> None:
    """Register where assigned trips come from (dispatch calls this when the app starts)."""
    _SOURCE[0] = source


def trip_source() -> TripSource:
    return _SOURCE[0]


@dataclass(frozen=True, slots=True)
class SocReading:
    soc_pct: float
    at: datetime
    source: str
    """``gb32960`` (the car's terminal) or ``driver``."""


class SocSource(Protocol):
    async def latest(self, session: AsyncSession, vehicle_ids: Sequence[int]) -> dict[int, SocReading]: ...


class LatestSoc:
    """The newest of the terminal's SOC (telematics live state) and the drivers' reports."""

    def __init__(self, bus: EventBus | None) -> None:
        self.bus = bus

    async def latest(self, session: AsyncSession, vehicle_ids: Sequence[int]) -> dict[int, SocReading]:
        wanted = set(vehicle_ids)
        out: dict[int, SocReading] = {}
        if self.bus is not None:
            for car in await telematics.live_cars(session, self.bus, None, offline_after_s=10**9):
                if car["vehicle_id"] in wanted and car.get("soc") is not None and car.get("time"):
                    out[car["vehicle_id"]] = SocReading(
                        float(car["soc"]), datetime.fromisoformat(car["time"]), "gb32960"
                    )
        newest = (
            select(SocReport.vehicle_id, func.max(SocReport.reported_at).label("at"))
            .where(SocReport.vehicle_id.in_(wanted))
            .group_by(SocReport.vehicle_id)
            .subquery()
        )
        rows = await session.execute(
            select(SocReport).join(
                newest, (SocReport.vehicle_id == newest.c.vehicle_id) & (SocReport.reported_at == newest.c.at)
            )
        )
        for report in rows.scalars():
            known = out.get(report.vehicle_id)
            if known is None or report.reported_at > known.at:
                out[report.vehicle_id] = SocReading(report.soc_pct, report.reported_at, "driver")
        return out
