"""Bulk reads of a day of the whole fleet, in SQL: the telematics service for fleet-wide analyses.

The per-car calls of :mod:`gongwu.telematics.service` are right for one trip; the nightly audit of a large fleet
(``dispatch.supervision``) reads a whole day at once: the day's closed trips and stops, and per car its GPS
distance, terminal odometer, the hours it moved and where it spent the night — from telematics' own tables,
read-only, so other packages never touch them. On PostgreSQL the day's
partition is aggregated by PostGIS (``ST_Length(ST_MakeLine(geom ORDER BY device_time)::geography)``) in one
statement and streamed per car; on SQLite the pipeline's own point-to-point distances are summed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["DayStats", "day_stats", "gauge_around", "night_positions", "soc_around", "stops_between", "trips_between"]

TRUSTED = "(flags & 12) = 0"
"""Points the track shows: not a jump (4), not a duplicate (8) — as :func:`gongwu.telematics.service.track`."""
MOVING_KMH = 5.0


@dataclass
class DayStats:
    vehicle_id: int
    gps_km: float
    odo_km: float | None
    points: int
    hours: set[int]


def _pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def day_stats(
    session: AsyncSession, lo: datetime, hi: datetime, timezone: str, offset_minutes: int
) -> AsyncIterator[DayStats]:
    """Per car with points in [lo, hi): GPS km, odometer km (max − min), point count, local hours it moved."""
    if _pg(session):
        sql = text(
            f"""
            SELECT vehicle_id,
                   COALESCE(ST_Length(ST_MakeLine(geom ORDER BY device_time)::geography), 0) / 1000.0,
                   max(odometer_km) - min(odometer_km),
                   count(*),
                   array_agg(DISTINCT extract(hour FROM device_time AT TIME ZONE :tz)::int)
                       FILTER (WHERE speed_kmh >= :moving)
            FROM vehicle_position
            WHERE device_time >= :lo AND device_time < :hi AND geom IS NOT NULL AND {TRUSTED}
            GROUP BY vehicle_id
            """
        )
        params: dict[str, Any] = {"lo": lo, "hi": hi, "tz": timezone, "moving": MOVING_KMH}
    else:
        sql = text(
            f"""
            SELECT vehicle_id, COALESCE(sum(distance_m), 0) / 1000.0, max(odometer_km) - min(odometer_km), count(*),
                   group_concat(DISTINCT CASE WHEN speed_kmh >= :moving
                                THEN CAST(strftime('%H', device_time, :shift) AS INTEGER) END)
            FROM vehicle_position
            WHERE device_time >= :lo AND device_time < :hi AND lat IS NOT NULL AND {TRUSTED}
            GROUP BY vehicle_id
            """
        )
        params = {"lo": _naive(lo), "hi": _naive(hi), "shift": f"{offset_minutes:+d} minutes", "moving": MOVING_KMH}
    result = await session.stream(sql, params)
    async for vehicle_id, gps_km, odo_km, points, hours in result:
        if isinstance(hours, str):
            hours = [int(h) for h in hours.split(",") if h]
        yield DayStats(
            int(vehicle_id), float(gps_km or 0), None if odo_km is None else float(odo_km), int(points),
            {int(h) for h in (hours or []) if h is not None},
        )  # fmt: skip


def _naive(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(sep=" ")


async def night_positions(session: AsyncSession, lo: datetime, hi: datetime) -> dict[int, tuple[float, float]]:
    """Each car's last trusted position in [lo, hi) (where it stood at the end of the night)."""
    if _pg(session):
        sql = text(
            f"""
            SELECT DISTINCT ON (vehicle_id) vehicle_id, lat, lon FROM vehicle_position
            WHERE device_time >= :lo AND device_time < :hi AND lat IS NOT NULL AND {TRUSTED}
            ORDER BY vehicle_id, device_time DESC
            """
        )
        params: dict[str, Any] = {"lo": lo, "hi": hi}
    else:
        sql = text(
            f"""
            SELECT vehicle_id, lat, lon, max(device_time) FROM vehicle_position
            WHERE device_time >= :lo AND device_time < :hi AND lat IS NOT NULL AND {TRUSTED}
            GROUP BY vehicle_id
            """
        )
        params = {"lo": _naive(lo), "hi": _naive(hi)}
    return {int(r[0]): (float(r[1]), float(r[2])) for r in (await session.execute(sql, params)).all()}


@dataclass
class TripRow:
    id: int
    vehicle_id: int
    unit_id: int
    start_time: datetime
    end_time: datetime
    start_lat: float | None
    start_lon: float | None
    end_lat: float | None
    end_lon: float | None
    distance_km: float


def _aware(value: Any) -> datetime:
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def trips_between(session: AsyncSession, lo: datetime, hi: datetime, trip_id: int | None = None) -> list[TripRow]:
    """Closed trips that started in [lo, hi) (or the one trip asked for)."""
    where = "id = :id" if trip_id is not None else "start_time >= :lo AND start_time < :hi AND status = 'closed'"
    params: dict[str, Any] = {"id": trip_id} if trip_id is not None else _params(session, lo=lo, hi=hi)
    rows = await session.execute(
        text(
            "SELECT id, vehicle_id, unit_id, start_time, end_time, start_lat, start_lon, end_lat, end_lon, "
            f"distance_km FROM trip WHERE {where} ORDER BY vehicle_id, start_time"
        ),
        params,
    )
    return [
        TripRow(r[0], r[1], r[2], _aware(r[3]), _aware(r[4] or r[3]), r[5], r[6], r[7], r[8], float(r[9] or 0))
        for r in rows.all()
    ]


@dataclass
class StopRow:
    id: int
    vehicle_id: int
    start_time: datetime
    end_time: datetime | None
    lat: float | None
    lon: float | None


async def stops_between(session: AsyncSession, vehicle_ids: list[int], lo: datetime, hi: datetime) -> list[StopRow]:
    if not vehicle_ids:
        return []
    rows = await session.execute(
        text(
            "SELECT id, vehicle_id, start_time, end_time, lat, lon FROM vehicle_stop "
            "WHERE start_time >= :lo AND start_time < :hi ORDER BY vehicle_id, start_time"
        ),
        _params(session, lo=lo, hi=hi),
    )
    wanted = set(vehicle_ids)
    return [
        StopRow(r[0], r[1], _aware(r[2]), _aware(r[3]) if r[3] else None, r[4], r[5])
        for r in rows.all()
        if r[1] in wanted
    ]


def _params(session: AsyncSession, **times: datetime) -> dict[str, Any]:
    return times if _pg(session) else {k: _naive(v) for k, v in times.items()}


async def _reading(
    session: AsyncSession, column: str, vehicle_id: int, lo: datetime, hi: datetime, last: bool
) -> float | None:
    order = "DESC" if last else "ASC"
    value = await session.scalar(
        text(
            f"SELECT {column} FROM vehicle_position WHERE vehicle_id = :v AND device_time >= :lo "
            f"AND device_time < :hi AND {column} IS NOT NULL ORDER BY device_time {order} LIMIT 1"
        ),
        {"v": vehicle_id} | _params(session, lo=lo, hi=hi),
    )
    return None if value is None else float(value)


async def gauge_around(
    session: AsyncSession, vehicle_id: int, at: datetime, window: timedelta
) -> tuple[float, float] | None:
    """The fuel gauge just before ``at − window`` and just after ``at + window`` (within two hours), or None."""
    before = await _reading(session, "fuel_l", vehicle_id, at - timedelta(hours=2), at - window, True)
    after = await _reading(session, "fuel_l", vehicle_id, at + window, at + timedelta(hours=2), False)
    return None if before is None or after is None else (before, after)


async def soc_around(
    session: AsyncSession, vehicle_id: int, start: datetime, end: datetime
) -> tuple[float, float] | None:
    before = await _reading(
        session, "soc_pct", vehicle_id, start - timedelta(hours=1), start + timedelta(minutes=5), True
    )
    after = await _reading(session, "soc_pct", vehicle_id, end - timedelta(minutes=5), end + timedelta(hours=1), False)
    return None if before is None or after is None else (before, after)
