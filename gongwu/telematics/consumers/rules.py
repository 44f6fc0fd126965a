"""The rules the consumers judge points by, cached: geofences (shapely, prepared), working calendars and sealed
periods. Each cache reloads every ``ttl_s`` seconds; a change made through the API is seen within that time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shapely import prepared
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import shape
from sqlalchemy import select

from gongwu.core.db import Database
from gongwu.core.fleet.models import VehicleSeal
from gongwu.core.geo import haversine_m
from gongwu.telematics.models import CalendarDay, Geofence, WorkingCalendar

__all__ = ["Calendars", "Fence", "FenceIndex", "Seals"]


@dataclass(frozen=True)
class Fence:
    id: int
    unit_id: int
    name: str
    approved_area: bool
    speed_limit_kmh: float | None
    circle: tuple[float, float, float] | None
    """(lat, lon, radius m) of a circle."""
    polygon: Any
    bbox: tuple[float, float, float, float]
    """(min lon, min lat, max lon, max lat)."""

    def contains(self, lat: float, lon: float) -> bool:
        w, s, e, n = self.bbox
        if not (w <= lon <= e and s <= lat <= n):
            return False
        if self.circle is not None:
            clat, clon, radius = self.circle
            return haversine_m(clat, clon, lat, lon) <= radius
        return bool(self.polygon.contains(ShapelyPoint(lon, lat)))


def fence_of(row: Geofence) -> Fence:
    if row.shape == "circle":
        assert row.center_lat is not None and row.center_lon is not None and row.radius_m is not None
        dlat = row.radius_m / 111_320
        dlon = dlat / max(0.01, abs(_cos(row.center_lat)))
        bbox = (row.center_lon - dlon, row.center_lat - dlat, row.center_lon + dlon, row.center_lat + dlat)
        return Fence(row.id, row.unit_id, row.name, row.approved_area, row.speed_limit_kmh,
                     (row.center_lat, row.center_lon, row.radius_m), None, bbox)  # fmt: skip
    polygon = shape(row.geometry)
    return Fence(row.id, row.unit_id, row.name, row.approved_area, row.speed_limit_kmh, None,
                 prepared.prep(polygon), tuple(polygon.bounds))  # fmt: skip


def _cos(lat: float) -> float:
    import math

    return math.cos(math.radians(lat))


class _Cache:
    def __init__(self, db: Database, ttl_s: float) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self._loaded = -1e9

    def invalidate(self) -> None:
        self._loaded = -1e9

    async def prepare(self) -> None:
        """Reload when stale (call outside a transaction: SQLite has one writer)."""
        await self._fresh()

    async def _fresh(self) -> None:
        if time.monotonic() - self._loaded > self.ttl_s:
            await self.load()
            self._loaded = time.monotonic()

    async def load(self) -> None:
        raise NotImplementedError


class FenceIndex(_Cache):
    """Active geofences by unit. A fence of a unit applies to the cars of that unit and of its sub-units."""

    def __init__(self, db: Database, ttl_s: float = 30.0) -> None:
        super().__init__(db, ttl_s)
        self._by_unit: dict[int, list[Fence]] = {}

    async def load(self) -> None:
        async with self.db.session() as session:
            rows = (await session.scalars(select(Geofence).where(Geofence.active.is_(True)))).all()
        by_unit: dict[int, list[Fence]] = {}
        for row in rows:
            by_unit.setdefault(row.unit_id, []).append(fence_of(row))
        self._by_unit = by_unit

    def fences(self, unit_chain: tuple[int, ...]) -> list[Fence]:
        return [f for unit in unit_chain for f in self._by_unit.get(unit, ())]


@dataclass(frozen=True)
class _Calendar:
    workdays: frozenset[int]
    start: tuple[int, int]
    end: tuple[int, int]
    exempt: frozenset[str]


class Calendars(_Cache):
    """Working hours per unit (the nearest unit up the tree that has a calendar) and its day exceptions."""

    def __init__(self, db: Database, timezone: str, ttl_s: float = 60.0) -> None:
        super().__init__(db, ttl_s)
        self.zone = ZoneInfo(timezone)
        self._calendars: dict[int, _Calendar] = {}
        self._days: dict[tuple[int, date], str] = {}

    async def load(self) -> None:
        async with self.db.session() as session:
            calendars = (await session.scalars(select(WorkingCalendar))).all()
            days = (await session.scalars(select(CalendarDay))).all()
        self._calendars = {
            c.unit_id: _Calendar(
                frozenset(int(d) for d in c.workdays if d.isdigit()),
                _hm(c.day_start),
                _hm(c.day_end),
                frozenset(x.strip() for x in c.exempt_categories.split(",") if x.strip()),
            )
            for c in calendars
        }
        self._days = {(d.unit_id, d.day): d.kind for d in days}

    def outside_hours(self, unit_chain: tuple[int, ...], category: str, when: datetime) -> bool | None:
        """True when ``when`` is outside the working time of the car's unit; None when no calendar applies."""
        for unit in unit_chain:
            calendar = self._calendars.get(unit)
            if calendar is None:
                continue
            if category in calendar.exempt:
                return None
            local = when.astimezone(self.zone)
            kind = self._days.get((unit, local.date()))
            workday = kind == "workday" or (kind != "holiday" and local.isoweekday() in calendar.workdays)
            if not workday:
                return True
            minutes = local.hour * 60 + local.minute
            return not (calendar.start[0] * 60 + calendar.start[1] <= minutes < calendar.end[0] * 60 + calendar.end[1])
        return None


def _hm(text: str) -> tuple[int, int]:
    hours, _, minutes = text.partition(":")
    return int(hours), int(minutes or 0)


class Seals(_Cache):
    """Sealed periods (封存) of cars and units, from the fleet."""

    def __init__(self, db: Database, ttl_s: float = 60.0) -> None:
        super().__init__(db, ttl_s)
        self._seals: list[tuple[int | None, int | None, datetime, datetime, str]] = []

    async def load(self) -> None:
        async with self.db.session() as session:
            rows = (await session.scalars(select(VehicleSeal))).all()
        self._seals = [(r.vehicle_id, r.unit_id, r.starts_at, r.ends_at, r.reason) for r in rows]

    def sealed(self, vehicle_id: int, unit_chain: tuple[int, ...], when: datetime) -> str | None:
        """The reason of a seal covering this car at ``when``, if any."""
        for vid, unit, start, end, reason in self._seals:
            if (vid == vehicle_id or (unit is not None and unit in unit_chain)) and start <= when < end:
                return reason
        return None
