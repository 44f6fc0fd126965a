"""The driver's day: today's tasks in order, the steps of each (accept → arrive → board with the rider's
check-in code → drop off → finish with the odometer), the link to the telematics trip that served the booking,
and refuel / charge / expense entries with a receipt photo. None commits; the route does
(:func:`gongwu.dispatch.bookings.flows.commit` where a booking step announces something).

A task is a booking as its driver serves it; its id is the booking's. Boarding puts the booking ``in_progress``,
finishing completes it with the kilometres driven and the telematics trip (a trip of the car that overlaps the
ride, the longest overlap winning).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.db import utcnow
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Driver
from gongwu.core.geo import wgs84_to_gcj02
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.driving import service
from gongwu.dispatch.driving.errors import (
    CheckinMismatch,
    ExpenseRefused,
    NotADriver,
    StepRefused,
    TaskNotFound,
)
from gongwu.dispatch.driving.models import EXPENSE_KINDS, STEPS, DriverExpense, DriverTask
from gongwu.dispatch.driving.receipts import store_receipt
from gongwu.dispatch.driving.settings import DrivingSettings
from gongwu.dispatch.pooling import service as plans
from gongwu.telematics import service as telematics

__all__ = [
    "NEXT",
    "ExpenseInput",
    "TaskContext",
    "add_expense",
    "driver_of",
    "navigation",
    "step",
    "today",
]

NEXT = {"assigned": "accept", "accepted": "arrive", "arrived": "board", "boarded": "dropoff", "dropped": "finish"}
"""The step a task waits for at each step."""
_ORDER = list(STEPS)
_ACTIONS = {"accept": "accepted", "arrive": "arrived", "board": "boarded", "dropoff": "dropped", "finish": "finished"}


async def driver_of(session: AsyncSession, principal: Principal) -> Driver:
    driver = await session.scalar(select(Driver).where(Driver.user_id == principal.user_id))
    if driver is None:
        raise NotADriver()
    return driver


def navigation(lat: float, lon: float, label: str) -> dict[str, str]:
    """Hand-off links to the phone's navigation app: a ``geo:`` URI (WGS-84, Android opens any map app) and
    Amap's URI (GCJ-02, what Chinese map apps use)."""
    glat, glon = wgs84_to_gcj02(lat, lon)
    name = quote(label[:60])
    return {
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
        "amap": f"https://uri.amap.com/navigation?to={glon:.6f},{glat:.6f},{name}&mode=car&callnative=1",
    }


@dataclass(frozen=True)
class TaskContext:
    booking: Booking
    task: DriverTask | None
    sequence: int | None
    """Position of its pick-up among the driver's stops of the plan in force."""


async def today(
    session: AsyncSession, driver: Driver, *, now: datetime, timezone: str
) -> tuple[list[TaskContext], list[dict[str, Any]]]:
    """The driver's tasks in order — those still to do (assigned or under way) and those finished today —
    and the stops of the plan in force for them, in the order the car drives them."""
    local = now.astimezone(ZoneInfo(timezone))
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (
        await session.scalars(
            select(Booking).where(
                Booking.driver_id == driver.id,
                Booking.status.in_(("assigned", "in_progress", "completed")),
                Booking.latest_arrival >= day_start - timedelta(hours=12),
            )
        )
    ).all()
    rows = [b for b in rows if b.status != "completed" or (b.updated_at and b.updated_at >= day_start)]
    tasks = await service.tasks_by_booking(session, [b.id for b in rows])
    plan = await plans.plan_in_force(session)
    stops = list(await plans.stops_of(session, plan.id, driver_id=driver.id)) if plan else []
    active = {b.id for b in rows if b.status != "completed"}
    stops = [s for s in stops if s.booking_id in active]
    order = {s.booking_id: k for k, s in enumerate(stops) if s.kind == "pickup"}
    contexts = [TaskContext(b, tasks.get(b.id), order.get(b.id)) for b in rows]
    contexts.sort(
        key=lambda c: (
            c.booking.status == "completed",
            c.booking.planned_pickup_at or c.booking.earliest_pickup,
            c.sequence if c.sequence is not None else 10**6,
        )
    )
    route = [
        {"booking_id": s.booking_id, "kind": s.kind, "lat": s.lat, "lon": s.lon, "start_at": s.start_at.isoformat()}
        for s in stops
    ]
    return contexts, route


# -- the steps --------------------------------------------------------------------------------------------


async def _own(session: AsyncSession, principal: Principal, booking_id: int) -> tuple[Booking, Driver]:
    """The booking (locked) if the principal drives it — or manages dispatch (acting for the driver)."""
    from gongwu.dispatch.bookings import service as booking_service

    booking = await booking_service.get_booking(session, booking_id, lock=True)
    driver = await session.scalar(select(Driver).where(Driver.user_id == principal.user_id))
    mine = driver is not None and booking.driver_id == driver.id
    if not mine and not principal.can("dispatch.plan.manage"):
        raise TaskNotFound(
            f"Task {booking_id} is not yours.",
            message_zh=f"任务 {booking_id} 不是您的任务。",
            details={"booking_id": booking_id},
        )
    if booking.driver_id is None or booking.vehicle_id is None:
        raise StepRefused(
            f"Booking {booking.code} has no car and driver.",
            message_zh=f"用车申请 {booking.code} 尚未派车和驾驶员。",
            details={"booking_id": booking.id},
        )
    assigned = await fleet.get_driver(session, None, booking.driver_id)
    return booking, assigned


async def _progress(session: AsyncSession, booking: Booking) -> DriverTask:
    task = await service.task_of(session, booking.id, lock=True)
    assert booking.driver_id is not None and booking.vehicle_id is not None
    if task is None:
        task = DriverTask(booking_id=booking.id, driver_id=booking.driver_id, vehicle_id=booking.vehicle_id)
        task.step = "assigned"
        session.add(task)
    elif (task.driver_id, task.vehicle_id) != (booking.driver_id, booking.vehicle_id) and booking.status == "assigned":
        task.driver_id, task.vehicle_id, task.step = booking.driver_id, booking.vehicle_id, "assigned"
        task.accepted_at = task.arrived_at = None
    task.planned_pickup_at, task.planned_dropoff_at = booking.planned_pickup_at, booking.planned_dropoff_at
    task.planned_km = booking.estimated_km
    return task


async def step(
    session: AsyncSession,
    principal: Principal,
    booking_id: int,
    action: str,
    *,
    policy: bookings.Policy,
    settings: DrivingSettings,
    code: str | None = None,
    odometer_km: float | None = None,
    now: datetime | None = None,
) -> DriverTask:
    """Take one step of a task; earlier steps not taken are taken with it (a driver who boards the rider has
    arrived). Refused, changing nothing, when the task is past the step or the check-in code is wrong."""
    now = now or utcnow()
    booking, _ = await _own(session, principal, booking_id)
    target = _ACTIONS[action]
    task = await _progress(session, booking)
    if _ORDER.index(task.step) >= _ORDER.index(target):
        raise StepRefused(
            f"Task {booking.code} is at '{STEPS[task.step][1]}' ({STEPS[task.step][0]}); '{action}' is behind it.",
            message_zh=f"任务 {booking.code} 已处于“{STEPS[task.step][0]}”，不能再执行“{STEPS[target][0]}”。",
            details={"booking_id": booking.id, "step": task.step, "wanted": target},
        )
    if target in ("accepted", "arrived", "boarded") and booking.status != "assigned":
        raise StepRefused(
            f"Booking {booking.code} is {booking.status}.",
            message_zh=f"用车申请 {booking.code} 当前为“{STATUSES[booking.status][0]}”。",
            details={"status": booking.status},
        )
    if target in ("dropped", "finished") and task.step not in ("boarded", "dropped"):
        raise StepRefused(
            f"The rider of {booking.code} is not on board yet (乘客尚未上车).",
            message_zh=f"用车申请 {booking.code} 的乘客尚未上车。",
            details={"booking_id": booking.id, "step": task.step},
        )
    if target == "boarded":
        _check_code(booking, code)
    vehicle = await fleet.get_vehicle(session, None, booking.vehicle_id or 0)
    if odometer_km is not None:
        _check_odometer(odometer_km, task, vehicle.odometer_km, settings, finishing=target == "finished")
    elif target == "finished":
        raise ExpenseRefused(
            "Enter the odometer reading (请填写里程表读数).",
            code="dispatch.odometer_required",
            message_zh="请填写里程表读数。",
        )
    actor = Actor(principal.user_id, principal.username)
    audit.set_actor(session, actor, context=f"dispatch.task.{action}")
    for name in _ORDER[_ORDER.index(task.step) + 1 : _ORDER.index(target) + 1]:
        setattr(task, f"{name}_at", now)
    task.step = target
    if target == "boarded":
        task.odometer_start_km = odometer_km
        await bookings.mark_in_progress(session, booking.id, actor=actor, policy=policy)
    if target == "finished":
        task.odometer_end_km = odometer_km
        await _link_trip(session, task, booking, settings, now)
        await bookings.mark_completed(
            session, booking.id, actual_km=task.actual_km, trip_id=task.trip_id, actor=actor, policy=policy
        )
    if odometer_km is not None and odometer_km > vehicle.odometer_km:
        await fleet.update_vehicle(session, vehicle, {"odometer_km": odometer_km})
    await session.flush()
    return task


def _check_code(booking: Booking, code: str | None) -> None:
    given = (code or "").strip().upper().replace(" ", "")
    if not given:
        raise CheckinMismatch(
            "Ask the rider for the check-in code (请输入乘客核验码).",
            code="dispatch.checkin_required",
            message_zh="请输入乘客核验码。",
        )
    if given != booking.checkin_code.upper():
        raise CheckinMismatch(
            f"Code {given} is not the check-in code of {booking.code} (核验码不符，请核对乘车人).",
            message_zh=f"{given} 不是用车申请 {booking.code} 的核验码，核验码不符，请核对乘车人。",
            details={"booking_id": booking.id},
        )


def _check_odometer(km: float, task: DriverTask, last_km: float, settings: DrivingSettings, *, finishing: bool) -> None:
    if not 0 <= km <= 3_000_000:
        raise ExpenseRefused(
            f"{km} km is no odometer reading.",
            code="dispatch.bad_odometer",
            message_zh=f"{km} km 不是有效的里程表读数。",
        )
    if finishing and task.odometer_start_km is not None and km < task.odometer_start_km:
        raise ExpenseRefused(
            f"The odometer reads {km} km now but {task.odometer_start_km} km at boarding (里程表读数不能减少).",
            code="dispatch.odometer_backwards",
            message_zh=f"里程表当前读数 {km} km，乘客上车时为 {task.odometer_start_km} km，里程表读数不能减少。",
            details={"odometer_start_km": task.odometer_start_km},
        )
    if km > last_km + settings.max_odometer_jump_km:
        raise ExpenseRefused(
            f"{km} km is far above the car's last reading of {last_km:.0f} km; check the number (读数疑似有误).",
            code="dispatch.odometer_jump",
            message_zh=f"{km} km 远高于该车上次读数 {last_km:.0f} km，读数疑似有误，请核对。",
            details={"last_km": last_km},
        )


async def _link_trip(
    session: AsyncSession, task: DriverTask, booking: Booking, settings: DrivingSettings, now: datetime
) -> None:
    """The telematics trip that served the booking, and the kilometres driven (odometer first)."""
    slack = timedelta(minutes=settings.trip_match_minutes)
    ride_start = task.boarded_at or task.arrived_at or task.accepted_at or booking.planned_pickup_at or now
    ride_end = task.dropped_at or now
    trips = await telematics.list_trips(
        session, None, task.vehicle_id, ride_start - slack - timedelta(hours=6), ride_end + slack
    )
    best, overlap = None, timedelta(0)
    for trip in trips:
        a = max(trip.start_time, ride_start - slack)
        b = min(trip.end_time or now, ride_end + slack)
        if b - a > overlap:
            best, overlap = trip, b - a
    if best is not None:
        task.trip_id, task.trip_km = best.id, round(best.distance_km, 2)
        task.trip_start_at, task.trip_end_at = best.start_time, best.end_time
    if task.odometer_start_km is not None and task.odometer_end_km is not None:
        task.actual_km = round(task.odometer_end_km - task.odometer_start_km, 1)
    elif best is not None:
        task.actual_km = round(best.distance_km, 1)


# -- expenses ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpenseInput:
    kind: str
    amount: Decimal
    vehicle_id: int | None = None
    booking_id: int | None = None
    litres: float | None = None
    kwh: float | None = None
    odometer_km: float | None = None
    at: datetime | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    note: str | None = None


async def add_expense(
    session: AsyncSession,
    principal: Principal,
    body: ExpenseInput,
    receipt: bytes,
    *,
    uploads: Path,
    settings: DrivingSettings,
    now: datetime | None = None,
) -> DriverExpense:
    """Record what the driver paid, with the receipt photo (checked and stored before the row)."""
    now = now or utcnow()
    driver = await driver_of(session, principal)
    _check_expense(body, now)
    vehicle_id = body.vehicle_id or await _current_car(session, driver.id)
    if vehicle_id is None:
        raise ExpenseRefused(
            "Say which car the expense is for (请选择车辆).",
            code="dispatch.vehicle_required",
            message_zh="请选择费用对应的车辆。",
        )
    vehicle = await fleet.get_vehicle(session, None, vehicle_id)
    if (
        body.odometer_km is not None
        and not 0 <= body.odometer_km <= vehicle.odometer_km + settings.max_odometer_jump_km
    ):
        raise ExpenseRefused(
            f"{body.odometer_km} km does not fit the car's last reading of {vehicle.odometer_km:.0f} km.",
            code="dispatch.odometer_jump",
            message_zh=f"里程表读数 {body.odometer_km} km 与该车上次读数 {vehicle.odometer_km:.0f} km 不符。",
        )
    stored = store_receipt(uploads, receipt, max_bytes=settings.receipt_max_bytes, at=now)
    audit.set_actor(session, Actor(principal.user_id, principal.username), context="dispatch.expense.add")
    row = DriverExpense(
        driver_id=driver.id,
        vehicle_id=vehicle.id,
        booking_id=body.booking_id,
        kind=body.kind,
        amount=body.amount,
        litres=body.litres,
        kwh=body.kwh,
        odometer_km=body.odometer_km,
        at=body.at or now,
        place=(body.place or "").strip() or None,
        lat=body.lat,
        lon=body.lon,
        note=(body.note or "").strip() or None,
        receipt_path=stored.path,
        receipt_type=stored.content_type,
        receipt_bytes=stored.size,
        receipt_sha256=stored.sha256,
        status="submitted",
        created_by=principal.user_id,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def _check_expense(body: ExpenseInput, now: datetime) -> None:
    if body.kind not in EXPENSE_KINDS:
        raise ExpenseRefused(
            f"Kind must be one of {', '.join(EXPENSE_KINDS)}.",
            code="dispatch.expense_kind",
            message_zh=f"费用类别须为 {'、'.join(name for name, _ in EXPENSE_KINDS.values())} 之一。",
            details={"kind": body.kind},
        )
    if not Decimal("0") < body.amount <= Decimal("100000"):
        raise ExpenseRefused(
            "The amount must be above 0 and at most 100,000 yuan.",
            code="dispatch.expense_amount",
            message_zh="金额须大于 0 元，且不超过 100,000 元。",
        )
    if body.kind == "fuel" and not (body.litres and 0 < body.litres <= 500):
        raise ExpenseRefused(
            "A refuel needs the litres (加油须填写升数).", code="dispatch.expense_litres", message_zh="加油须填写升数。"
        )
    if body.kind == "charge" and not (body.kwh and 0 < body.kwh <= 500):
        raise ExpenseRefused(
            "A charge needs the kWh (充电须填写电量).",
            code="dispatch.expense_kwh",
            message_zh="充电须填写电量（kWh）。",
        )
    if body.at is not None and body.at > now + timedelta(minutes=10):
        raise ExpenseRefused(
            "The expense cannot be in the future.",
            code="dispatch.expense_future",
            message_zh="费用发生时间不能晚于当前时间。",
        )


async def _current_car(session: AsyncSession, driver_id: int) -> int | None:
    booking = await session.scalar(
        select(Booking)
        .where(Booking.driver_id == driver_id, Booking.status.in_(("in_progress", "assigned", "completed")))
        .order_by(Booking.status == "completed", Booking.planned_pickup_at.desc())
        .limit(1)
    )
    return booking.vehicle_id if booking is not None else None


def may_see_receipt(principal: Principal, expense: DriverExpense) -> bool:
    return expense.created_by == principal.user_id or principal.can("dispatch.plan.read")


def step_names() -> Sequence[tuple[str, str, str]]:
    return [(k, zh, en) for k, (zh, en) in STEPS.items()]
