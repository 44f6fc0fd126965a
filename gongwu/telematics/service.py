"""What other packages and the routes ask of telematics: live state, tracks, trips, daily summaries, alarms,
geofences, working calendars, speed limits. Terminals are in :mod:`.terminals`, commands in :mod:`.commands`.
Scoped by the principal's sight (None: internal use); never commits.

For other packages (dispatch, costs):

* ``live_position(bus, vehicle_id) -> (lat, lon) | None`` — where a car is now (for ETAs);
* ``live_cars(session, bus, principal, settings)`` — every car in sight with its live state;
* ``list_trips(session, principal, vehicle_id, start, end)`` and ``daily_summaries(…)`` — for costs and audit;
* events on the bus: ``telematics.positions``, ``telematics.trips``, ``telematics.alarms``, ``telematics.geofence``
  (see :mod:`.topics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.db import utcnow
from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.events import EventBus
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.telematics.consumers.live import live_item
from gongwu.telematics.models import (
    Alarm,
    CalendarDay,
    DailySummary,
    Geofence,
    PositionRow,
    Trip,
    VehicleLimit,
    VehicleStop,
    WorkingCalendar,
)
from gongwu.telematics.state import shared_state

__all__ = [
    "acknowledge_alarm",
    "create_geofence",
    "daily_summaries",
    "delete_geofence",
    "get_alarm",
    "get_calendar",
    "list_alarms",
    "list_geofences",
    "list_stops",
    "list_trips",
    "live_cars",
    "live_position",
    "open_alarms_by_vehicle",
    "set_calendar",
    "set_speed_limit",
    "track",
    "update_geofence",
]

MAX_TRACK_POINTS = 50_000
MAX_RANGE = timedelta(days=31)


def _range(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or utcnow()
    start = start or end - timedelta(days=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput(
            "start and end need a time zone (e.g. 2026-03-01T08:00:00+08:00).",
            code="telematics.naive_time",
            message_zh="开始和结束时间须带时区（例如 2026-03-01T08:00:00+08:00）。",
        )
    if end <= start:
        raise InvalidInput(
            "end must be after start.", code="telematics.bad_range", message_zh="结束时间须晚于开始时间。"
        )
    if end - start > MAX_RANGE:
        raise InvalidInput(
            "Ask for at most 31 days at once.", code="telematics.range_too_long", message_zh="一次最多查询 31 天。"
        )
    return start, end


# -- live ------------------------------------------------------------------------------------------------


async def live_position(bus: EventBus, vehicle_id: int | str) -> tuple[float, float] | None:
    """Where the car is now (its last known coordinates), or None (also for an id that is no car's)."""
    try:
        vid = int(vehicle_id)
    except (TypeError, ValueError):
        return None
    record = (await shared_state(bus).live.get([vid])).get(vid)
    if not record or record.get("lat") is None or record.get("lon") is None:
        return None
    return float(record["lat"]), float(record["lon"])


async def open_alarms_by_vehicle(
    session: AsyncSession, vehicle_ids: Sequence[int] | None = None
) -> dict[int, list[str]]:
    query = select(Alarm.vehicle_id, Alarm.kind).where(Alarm.status == "open")
    if vehicle_ids is not None:
        query = query.where(Alarm.vehicle_id.in_(vehicle_ids))
    out: dict[int, list[str]] = {}
    for vehicle_id, kind in await session.execute(query):
        if kind not in out.setdefault(vehicle_id, []):
            out[vehicle_id].append(kind)
    return out


async def live_cars(
    session: AsyncSession,
    bus: EventBus,
    principal: Principal | None,
    *,
    offline_after_s: float,
    search: str | None = None,
) -> list[dict[str, Any]]:
    """Every car in sight with its live state (cars that never reported are ``offline`` without coordinates)."""
    cars = await fleet.list_vehicles(session, principal, search=search)
    records = await shared_state(bus).live.get([c.id for c in cars])
    alarms = await open_alarms_by_vehicle(session)
    now = utcnow().timestamp()
    return [
        live_item(
            c.id,
            c.plate,
            c.unit_id,
            records.get(c.id),
            now=now,
            offline_after_s=offline_after_s,
            alarms=alarms.get(c.id, []),
        )
        for c in cars
        if c.status != "retired"
    ]


# -- history ---------------------------------------------------------------------------------------------


async def track(
    session: AsyncSession, principal: Principal | None, vehicle_id: int, start: datetime | None, end: datetime | None
) -> list[list[Any]]:
    """``[[lon, lat, iso time, speed km/h], …]`` of a car's trusted points in [start, end), oldest first."""
    await fleet.get_vehicle(session, principal, vehicle_id)
    start, end = _range(start, end)
    rows = await session.execute(
        select(PositionRow.lon, PositionRow.lat, PositionRow.device_time, PositionRow.speed_kmh)
        .where(
            PositionRow.vehicle_id == vehicle_id,
            PositionRow.device_time >= start,
            PositionRow.device_time < end,
            PositionRow.lat.is_not(None),
            PositionRow.flags.op("&")(4 | 8) == 0,
        )
        .order_by(PositionRow.device_time)
        .limit(MAX_TRACK_POINTS)
    )
    return [[lon, lat, t.isoformat(), None if v is None else round(v, 1)] for lon, lat, t, v in rows]


async def list_trips(
    session: AsyncSession, principal: Principal | None, vehicle_id: int, start: datetime | None, end: datetime | None
) -> Sequence[Trip]:
    """A car's trips that started in [start, end), oldest first (an open trip has status ``open``)."""
    await fleet.get_vehicle(session, principal, vehicle_id)
    start, end = _range(start, end)
    query = (
        select(Trip)
        .where(Trip.vehicle_id == vehicle_id, Trip.start_time >= start, Trip.start_time < end)
        .order_by(Trip.start_time)
    )
    return (await session.scalars(query)).all()


async def list_stops(
    session: AsyncSession, principal: Principal | None, vehicle_id: int, start: datetime | None, end: datetime | None
) -> Sequence[VehicleStop]:
    await fleet.get_vehicle(session, principal, vehicle_id)
    start, end = _range(start, end)
    query = (
        select(VehicleStop)
        .where(VehicleStop.vehicle_id == vehicle_id, VehicleStop.start_time >= start, VehicleStop.start_time < end)
        .order_by(VehicleStop.start_time)
    )
    return (await session.scalars(query)).all()


async def daily_summaries(
    session: AsyncSession, principal: Principal | None, vehicle_id: int, first: date, last: date
) -> Sequence[DailySummary]:
    await fleet.get_vehicle(session, principal, vehicle_id)
    query = (
        select(DailySummary)
        .where(DailySummary.vehicle_id == vehicle_id, DailySummary.day >= first, DailySummary.day <= last)
        .order_by(DailySummary.day)
    )
    return (await session.scalars(query)).all()


# -- alarms ----------------------------------------------------------------------------------------------


async def list_alarms(
    session: AsyncSession,
    principal: Principal | None,
    *,
    status: str | None = None,
    vehicle_id: int | None = None,
    limit: int = 200,
) -> list[tuple[Alarm, str]]:
    """(alarm, plate) newest first."""
    query = select(Alarm, Vehicle.plate).join(Vehicle, Vehicle.id == Alarm.vehicle_id)
    if principal is not None and (clause := principal.unit_filter(Alarm.unit_id)) is not None:
        query = query.where(clause)
    if status is not None:
        if status not in ("open", "acknowledged"):
            raise InvalidInput(
                "status is open or acknowledged.",
                code="telematics.bad_status",
                message_zh="状态须为待处理（open）或已确认（acknowledged）。",
            )
        query = query.where(Alarm.status == status)
    if vehicle_id is not None:
        query = query.where(Alarm.vehicle_id == vehicle_id)
    rows = await session.execute(query.order_by(Alarm.started_at.desc(), Alarm.id.desc()).limit(min(limit, 1000)))
    return [(a, plate) for a, plate in rows.all()]


async def get_alarm(session: AsyncSession, principal: Principal | None, alarm_id: int) -> Alarm:
    query = select(Alarm).where(Alarm.id == alarm_id)
    if principal is not None and (clause := principal.unit_filter(Alarm.unit_id)) is not None:
        query = query.where(clause)
    alarm = await session.scalar(query)
    if alarm is None:
        raise NotFound(
            f"Alarm {alarm_id} not found.", code="telematics.alarm_not_found", message_zh=f"未找到报警 {alarm_id}。"
        )
    return alarm


async def acknowledge_alarm(session: AsyncSession, principal: Principal, alarm_id: int, note: str | None) -> Alarm:
    """A person acknowledges an alarm: who and when are kept on it and in the audit chain."""
    alarm = await get_alarm(session, principal, alarm_id)
    if alarm.status == "acknowledged":
        raise Conflict(
            f"Alarm {alarm_id} was acknowledged by {alarm.ack_by_name} already.",
            code="telematics.alarm_acknowledged",
            message_zh=f"报警 {alarm_id} 已由 {alarm.ack_by_name} 确认。",
        )
    alarm.status = "acknowledged"
    alarm.ack_by_id = principal.user_id
    alarm.ack_by_name = principal.full_name or principal.username
    alarm.ack_at = utcnow()
    alarm.ack_note = (note or "").strip()[:400] or None
    await session.flush()
    await audit.record(
        session,
        "telematics.alarm.ack",
        "alarm",
        alarm.id,
        {"kind": alarm.kind, "vehicle_id": alarm.vehicle_id, "note": alarm.ack_note},
    )
    return alarm


# -- geofences -------------------------------------------------------------------------------------------


def _check_geometry(shape_kind: str, fields: dict[str, Any]) -> None:
    if shape_kind == "circle":
        lat, lon, radius = fields.get("center_lat"), fields.get("center_lon"), fields.get("radius_m")
        if lat is None or lon is None or not radius or radius <= 0 or radius > 100_000:
            raise InvalidInput(
                "A circle needs a centre and a radius of up to 100 km.",
                code="telematics.bad_geofence",
                message_zh="圆形电子围栏须有圆心，半径不超过 100 公里。",
            )
        fields["geometry"] = None
        return
    if shape_kind != "polygon":
        raise InvalidInput(
            "shape is polygon or circle.",
            code="telematics.bad_geofence",
            message_zh="电子围栏形状须为多边形（polygon）或圆形（circle）。",
        )
    geometry = fields.get("geometry")
    try:
        polygon = shape(geometry)
    except Exception:
        raise InvalidInput(
            "A polygon needs GeoJSON Polygon coordinates.",
            code="telematics.bad_geofence",
            message_zh="多边形电子围栏须提供 GeoJSON Polygon 坐标。",
        ) from None
    if polygon.geom_type != "Polygon" or not polygon.is_valid or polygon.area == 0:
        raise InvalidInput(
            "The polygon is not a valid simple polygon.",
            code="telematics.bad_geofence",
            message_zh="该多边形不是有效的简单多边形。",
        )
    fields["center_lat"] = fields["center_lon"] = fields["radius_m"] = None


async def list_geofences(session: AsyncSession, principal: Principal | None) -> Sequence[Geofence]:
    query = select(Geofence).order_by(Geofence.name)
    if principal is not None and (clause := principal.unit_filter(Geofence.unit_id)) is not None:
        query = query.where(clause)
    return (await session.scalars(query)).all()


async def _geofence(session: AsyncSession, principal: Principal | None, geofence_id: int) -> Geofence:
    query = select(Geofence).where(Geofence.id == geofence_id)
    if principal is not None and (clause := principal.unit_filter(Geofence.unit_id)) is not None:
        query = query.where(clause)
    fence = await session.scalar(query)
    if fence is None:
        raise NotFound(
            f"Geofence {geofence_id} not found.",
            code="telematics.geofence_not_found",
            message_zh=f"未找到电子围栏 {geofence_id}。",
        )
    return fence


async def create_geofence(session: AsyncSession, **fields: Any) -> Geofence:
    _check_geometry(fields.get("shape", ""), fields)
    if await session.get(OrgUnit, fields["unit_id"]) is None:
        raise NotFound("Unit not found.", code="identity.unit_not_found", message_zh="未找到单位。")
    fence = Geofence(**fields)
    session.add(fence)
    await session.flush()
    return fence


async def update_geofence(
    session: AsyncSession, principal: Principal | None, geofence_id: int, changes: dict[str, Any]
) -> Geofence:
    fence = await _geofence(session, principal, geofence_id)
    merged = {k: getattr(fence, k) for k in ("shape", "geometry", "center_lat", "center_lon", "radius_m")} | changes
    if {"shape", "geometry", "center_lat", "center_lon", "radius_m"} & changes.keys():
        _check_geometry(merged["shape"], merged)
        changes |= {k: merged[k] for k in ("geometry", "center_lat", "center_lon", "radius_m")}
    for key, value in changes.items():
        setattr(fence, key, value)
    await session.flush()
    return fence


async def delete_geofence(session: AsyncSession, principal: Principal | None, geofence_id: int) -> None:
    await session.delete(await _geofence(session, principal, geofence_id))
    await session.flush()


# -- calendars and limits --------------------------------------------------------------------------------

_HM = ("day_start", "day_end")


async def get_calendar(session: AsyncSession, unit_id: int) -> tuple[WorkingCalendar | None, Sequence[CalendarDay]]:
    calendar = await session.get(WorkingCalendar, unit_id)
    days = (
        await session.scalars(select(CalendarDay).where(CalendarDay.unit_id == unit_id).order_by(CalendarDay.day))
    ).all()
    return calendar, days


async def set_calendar(
    session: AsyncSession,
    unit_id: int,
    *,
    workdays: str,
    day_start: str,
    day_end: str,
    exempt_categories: str,
    days: Sequence[tuple[date, str, str]],
) -> WorkingCalendar:
    """Replace a unit's working calendar and its day exceptions ((day, holiday|workday, name), …)."""
    if not workdays or any(c not in "1234567" for c in workdays):
        raise InvalidInput(
            "workdays are ISO weekday digits, e.g. 12345.",
            code="telematics.bad_calendar",
            message_zh="工作日须为 ISO 星期数字，例如 12345。",
        )
    for value in (day_start, day_end):
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) <= 24 and int(minutes) < 60):
            raise InvalidInput("Times are HH:MM.", code="telematics.bad_calendar", message_zh="时间格式须为 HH:MM。")
    if day_end <= day_start:
        raise InvalidInput(
            "The working day must end after it starts.",
            code="telematics.bad_calendar",
            message_zh="下班时间须晚于上班时间。",
        )
    if await session.get(OrgUnit, unit_id) is None:
        raise NotFound("Unit not found.", code="identity.unit_not_found", message_zh="未找到单位。")
    calendar = await session.get(WorkingCalendar, unit_id)
    if calendar is None:
        calendar = WorkingCalendar(unit_id=unit_id)
        session.add(calendar)
    calendar.workdays = "".join(sorted(set(workdays)))
    calendar.day_start, calendar.day_end = day_start, day_end
    calendar.exempt_categories = exempt_categories
    existing = {
        d.day: d for d in (await session.scalars(select(CalendarDay).where(CalendarDay.unit_id == unit_id))).all()
    }
    wanted = {}
    for day, kind, name in days:
        if kind not in ("holiday", "workday"):
            raise InvalidInput(
                "A calendar day is a holiday or a workday.",
                code="telematics.bad_calendar",
                message_zh="日历中的日期须为节假日（holiday）或工作日（workday）。",
            )
        wanted[day] = (kind, name)
    for day, row in existing.items():
        if day not in wanted:
            await session.delete(row)
    for day, (kind, name) in wanted.items():
        found = existing.get(day)
        if found is None:
            session.add(CalendarDay(unit_id=unit_id, day=day, kind=kind, name=name))
        else:
            found.kind, found.name = kind, name
    await session.flush()
    return calendar


async def set_speed_limit(session: AsyncSession, vehicle_id: int, speed_limit_kmh: float | None) -> None:
    """A car's own overspeed limit (None: back to the default)."""
    row = await session.get(VehicleLimit, vehicle_id)
    if speed_limit_kmh is None:
        if row is not None:
            await session.delete(row)
    elif not 10 <= speed_limit_kmh <= 200:
        raise InvalidInput(
            "A speed limit is 10 to 200 km/h.", code="telematics.bad_limit", message_zh="限速须在 10 至 200 km/h 之间。"
        )
    elif row is None:
        session.add(VehicleLimit(vehicle_id=vehicle_id, speed_limit_kmh=speed_limit_kmh))
    else:
        row.speed_limit_kmh = speed_limit_kmh
    await session.flush()
