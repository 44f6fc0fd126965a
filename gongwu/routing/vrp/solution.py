"""What the optimizer returns: routes of timed visits, the requests it could not serve, cost and stats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Route", "Solution", "SolveStats", "Unserved", "Visit"]

StopKind = Literal["pickup", "dropoff"]


@dataclass(frozen=True, slots=True)
class Visit:
    """One stop of a route: the pickup or drop-off of ``request_id`` at matrix index ``place``.

    ``arrival`` is when the car gets there, ``start`` when service starts (≥ arrival: the car may wait).
    """

    request_id: str
    kind: StopKind
    place: int
    arrival: float
    start: float
    load_after: int


@dataclass(frozen=True, slots=True)
class Route:
    """The plan of one vehicle: leave its start at ``departure``, visit in order, reach its end at ``arrival``."""

    vehicle_id: str
    visits: tuple[Visit, ...]
    departure: float
    arrival: float
    distance: float

    @property
    def request_ids(self) -> tuple[str, ...]:
        """Requests carried, in the order of their first visit."""
        seen: dict[str, None] = {}
        for v in self.visits:
            seen.setdefault(v.request_id, None)
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class Unserved:
    """A request the plan leaves out, and why (never dropped silently)."""

    request_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class SolveStats:
    """How the solution was found."""

    wall_s: float = 0.0
    iterations: int = 0
    workers: int = 1
    first_cost: float = 0.0
    method: str = ""
    verified: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Solution:
    """``cost`` = ``distance`` + stability penalties (unserved requests are listed, not costed)."""

    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    cost: float
    distance: float
    stats: SolveStats = field(default_factory=SolveStats)

    def assignment(self) -> dict[str, str]:
        """Request id → vehicle id for every served request."""
        return {rid: route.vehicle_id for route in self.routes for rid in route.request_ids}

    def route_of(self, vehicle_id: str) -> Route | None:
        return next((r for r in self.routes if r.vehicle_id == vehicle_id), None)
