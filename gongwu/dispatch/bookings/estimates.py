"""How long and how far a booked trip is, and what it is estimated to cost.

:class:`RoutingEstimator` asks the routing service (the imported road graph, or OSRM / Valhalla): both ends
must lie on the imported map near a road, else the booking is refused with routing's own error
(``routing.outside_map``, ``routing.no_road_nearby``); with no map imported it answers 503
``routing.map_not_imported`` — a booking's cost and window check need a real route, so there is no silent
straight-line fallback. :class:`StraightLineEstimator` (great circle × detour factor) is for the demo seed,
which runs before a map is imported.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Protocol

from shapely.geometry import Point, Polygon

from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.errors import MapNotImported, NoRoadNearby, OutsideMap
from gongwu.routing.service import RoutingService
from gongwu.routing.straight import StraightLineTravelTimes
from gongwu.routing.types import LatLon

__all__ = [
    "Estimator",
    "RoutingEstimator",
    "StraightLineEstimator",
    "TripEstimate",
    "beyond_city",
    "estimate_cost",
    "max_ride_minutes",
]

CENT = Decimal("0.01")
_ROLE_NAMES = {"pickup": ("上车点", "pick-up point"), "dropoff": ("下车点", "drop-off point")}


@dataclass(frozen=True, slots=True)
class TripEstimate:
    """The direct drive from pick-up to drop-off."""

    km: float
    minutes: float
    approximate: bool
    geometry: list[tuple[float, float]]
    """[lon, lat] pairs of the route (drawable as is)."""


class Estimator(Protocol):
    async def estimate(self, pickup: LatLon, dropoff: LatLon, depart_at: datetime) -> TripEstimate: ...


class RoutingEstimator:
    """Estimates from the routing service; refuses points off the imported map (see the module doc)."""

    def __init__(self, routing: RoutingService | None) -> None:
        self.routing = routing

    async def estimate(self, pickup: LatLon, dropoff: LatLon, depart_at: datetime) -> TripEstimate:
        return await asyncio.to_thread(self._estimate, pickup, dropoff, depart_at)

    def _estimate(self, pickup: LatLon, dropoff: LatLon, depart_at: datetime) -> TripEstimate:
        routing = self.routing
        if routing is None:
            raise MapNotImported("Routing is not configured in this process.", message_zh="本进程未配置路径规划服务。")
        graph = routing.graph_engine
        if graph is not None:
            for role, point in (("pickup", pickup), ("dropoff", dropoff)):
                _check_on_map(graph, role, point)
        route = routing.route(pickup, dropoff, depart_at)
        return TripEstimate(
            km=round(route.distance_m / 1000.0, 2),
            minutes=round(route.duration_s / 60.0, 1),
            approximate=route.approximate,
            geometry=route.geometry,
        )


def _check_on_map(graph: GraphTravelTimes, role: str, point: LatLon) -> None:
    zh, en = _ROLE_NAMES[role]
    try:
        graph.snap([point], role=role)
    except OutsideMap as exc:
        raise OutsideMap(
            f"The {en} ({point.lat:.5f}, {point.lon:.5f}) is outside the imported map ({zh}不在地图范围内).",
            message_zh=f"{zh}（{point.lat:.5f}, {point.lon:.5f}）不在已导入的地图范围内。",
            details=exc.details,
        ) from None
    except NoRoadNearby as exc:
        raise NoRoadNearby(
            f"The {en} is {exc.details.get('distance_m', '?')} m from the nearest drivable road "
            f"({zh}附近没有可通行的道路); pick a point on a street.",
            message_zh=f"{zh}距最近的可通行道路约 {exc.details.get('distance_m', '?')} 米，"
            "附近没有可通行的道路，请在道路上选点。",
            details=exc.details,
        ) from None


class StraightLineEstimator:
    """Great circle × detour factor at a fixed speed (the demo seed; tests)."""

    def __init__(self, detour_factor: float = 1.4, speed_kmh: float = 25.0) -> None:
        self.engine = StraightLineTravelTimes(detour_factor, speed_kmh)

    async def estimate(self, pickup: LatLon, dropoff: LatLon, depart_at: datetime) -> TripEstimate:
        route = self.engine.route(pickup, dropoff, depart_at)
        return TripEstimate(
            km=round(route.distance_m / 1000.0, 2),
            minutes=round(route.duration_s / 60.0, 1),
            approximate=True,
            geometry=route.geometry,
        )


def estimate_cost(settings: DispatchSettings, category: str, km: float) -> Decimal:
    """Fixed part + routed km × the category's rate, to the fen."""
    rates = settings.cost_per_km
    rate = Decimal(str(rates.get(category, rates.get("other", 2.0))))
    cost = settings.cost_base_yuan + Decimal(str(km)) * rate
    return cost.quantize(CENT, rounding=ROUND_HALF_UP)


def max_ride_minutes(settings: DispatchSettings, direct_minutes: float) -> float:
    """The longest a rider may sit in a pooled car: direct drive × factor + extra minutes."""
    return round(direct_minutes * settings.max_ride_factor + settings.max_ride_extra_minutes, 1)


@lru_cache(maxsize=8)
def _polygon(ring: tuple[tuple[float, float], ...]) -> Polygon:
    return Polygon(ring)


def beyond_city(settings: DispatchSettings, *points: LatLon) -> bool:
    """Whether any point lies outside the bureau's city area (never, when no area is configured)."""
    if not settings.city_area:
        return False
    area = _polygon(tuple((float(lon), float(lat)) for lon, lat in settings.city_area))
    return any(not area.covers(Point(p.lon, p.lat)) for p in points)
