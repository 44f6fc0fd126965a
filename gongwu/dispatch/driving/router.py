"""HTTP routes of the driver's page: ``/api/driver/tasks`` (today's tasks and their steps) and
``/api/driver/expenses`` (refuel, charge and other expenses with a receipt photo)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import select

from gongwu.core.db import utcnow
from gongwu.core.errors import NotFound
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.http import DbSession, require
from gongwu.core.identity.models import User
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings import service as booking_service
from gongwu.dispatch.bookings.models import STATUSES
from gongwu.dispatch.driving import flows, service
from gongwu.dispatch.driving.errors import ExpenseRefused, TaskNotFound
from gongwu.dispatch.driving.models import EXPENSE_KINDS, STEPS, DriverTask
from gongwu.dispatch.driving.receipts import open_receipt
from gongwu.dispatch.driving.schemas import CarBrief, ExpenseOut, Place, StepIn, TaskOut, TaskRecord, TasksOut
from gongwu.dispatch.driving.settings import DrivingSettings
from gongwu.dispatch.settings import DispatchSettings

__all__ = ["router"]

router = APIRouter(prefix="/api/driver", tags=["driver"])
Action = Literal["accept", "arrive", "board", "dropoff", "finish"]


def _settings(request: Request) -> DrivingSettings:
    found = getattr(request.app.state.platform.settings, "driving", None)
    return found if isinstance(found, DrivingSettings) else DrivingSettings()


def _policy(request: Request) -> bookings.Policy:
    settings = request.app.state.platform.settings
    dispatch = getattr(settings, "dispatch", None)
    return bookings.Policy(
        dispatch if isinstance(dispatch, DispatchSettings) else DispatchSettings(), settings.core.local_timezone
    )


def _uploads(request: Request) -> Path:
    return Path(request.app.state.platform.settings.core.data_dir) / "uploads"


SettingsDep = Annotated[DrivingSettings, Depends(_settings)]
PolicyDep = Annotated[bookings.Policy, Depends(_policy)]


async def _task_out(session: DbSession, ctx: flows.TaskContext) -> TaskOut:
    b, task = ctx.booking, ctx.task
    car = await session.get(Vehicle, b.vehicle_id) if b.vehicle_id else None
    requester = await session.scalar(select(User.full_name).where(User.id == b.requester_id))
    step = task.step if task is not None else ("finished" if b.status == "completed" else "assigned")
    if b.status == "in_progress" and step in ("assigned", "accepted", "arrived"):
        step = "boarded"
    zh, en = STATUSES[b.status]
    szh, sen = STEPS[step]
    record = (
        TaskRecord.model_validate(task)
        if task is not None
        else TaskRecord(
            planned_pickup_at=b.planned_pickup_at, planned_dropoff_at=b.planned_dropoff_at, planned_km=b.estimated_km
        )
    )
    return TaskOut(
        id=b.id,
        code=b.code,
        purpose=b.purpose,
        status=b.status,
        status_name={"zh": zh, "en": en},
        step=step,
        step_name={"zh": szh, "en": sen},
        next=None if b.status not in ("assigned", "in_progress") else flows.NEXT.get(step),
        passengers=b.passengers,
        passenger_names=list(b.passenger_names or []),
        contact_phone=b.contact_phone,
        requester_name=requester,
        note=b.note,
        may_pool=b.may_pool,
        pickup=Place(lat=b.pickup_lat, lon=b.pickup_lon, address=b.pickup_address,
                     navigation=flows.navigation(b.pickup_lat, b.pickup_lon, b.pickup_address)),
        dropoff=Place(lat=b.dropoff_lat, lon=b.dropoff_lon, address=b.dropoff_address,
                      navigation=flows.navigation(b.dropoff_lat, b.dropoff_lon, b.dropoff_address)),
        earliest_pickup=b.earliest_pickup,
        latest_arrival=b.latest_arrival,
        planned_pickup_at=b.planned_pickup_at,
        planned_dropoff_at=b.planned_dropoff_at,
        vehicle_id=b.vehicle_id,
        plate=car.plate if car else None,
        car_odometer_km=car.odometer_km if car else None,
        sequence=ctx.sequence,
        record=record,
    )  # fmt: skip


@router.get("/tasks", response_model=TasksOut)
async def tasks(request: Request, session: DbSession, principal: Principal = require("dispatch.task.read")) -> TasksOut:
    """The caller's tasks today in the order the car drives them, and the stops of the plan in force."""
    driver = await flows.driver_of(session, principal)
    tz = request.app.state.platform.settings.core.local_timezone
    contexts, route = await flows.today(session, driver, now=utcnow(), timezone=tz)
    out = [await _task_out(session, c) for c in contexts]
    current = next((t for t in out if t.status in ("in_progress", "assigned")), out[0] if out else None)
    car = None
    if current is not None and current.vehicle_id is not None:
        v = await fleet.get_vehicle(session, None, current.vehicle_id)
        car = CarBrief(vehicle_id=v.id, plate=v.plate, energy_type=v.energy_type, odometer_km=v.odometer_km)
    return TasksOut(
        driver={"id": driver.id, "name": driver.name, "phone": driver.phone},
        car=car,
        tasks=out,
        route=route,
        steps={k: {"zh": zh, "en": en} for k, (zh, en) in STEPS.items()},
        expense_kinds={k: {"zh": zh, "en": en} for k, (zh, en) in EXPENSE_KINDS.items()},
    )


async def _one(session: DbSession, principal: Principal, booking_id: int) -> TaskOut:
    booking = await booking_service.get_booking(session, booking_id)
    driver = await flows.driver_of(session, principal) if not principal.can("dispatch.plan.read") else None
    if driver is not None and booking.driver_id != driver.id:
        raise TaskNotFound(
            f"Task {booking_id} is not yours.",
            message_zh=f"任务 {booking_id} 不是您的任务。",
            details={"booking_id": booking_id},
        )
    task = await session.get(DriverTask, booking_id)
    return await _task_out(session, flows.TaskContext(booking, task, None))


@router.get("/tasks/{booking_id}", response_model=TaskOut)
async def task(booking_id: int, session: DbSession, principal: Principal = require("dispatch.task.read")) -> TaskOut:
    """One task with its planned vs actual record (drivers their own; dispatch, fleet and supervisors any)."""
    return await _one(session, principal, booking_id)


@router.post("/tasks/{booking_id}/{action}", response_model=TaskOut)
async def take_step(
    booking_id: int,
    action: Action,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    settings: SettingsDep,
    body: StepIn | None = None,
    principal: Principal = require("dispatch.task.update"),
) -> TaskOut:
    """accept → arrive → board (the rider's check-in code) → dropoff → finish (odometer)."""
    body = body or StepIn()
    await flows.step(
        session, principal, booking_id, action, policy=policy, settings=settings, code=body.code,
        odometer_km=body.odometer_km,
    )  # fmt: skip
    await bookings.commit(session, request.app.state.platform.bus)
    return await _one(session, principal, booking_id)


# -- expenses ---------------------------------------------------------------------------------------------


def _expense_out(row: Any, plates: dict[int, str]) -> ExpenseOut:
    return ExpenseOut.model_validate(row).model_copy(
        update={"plate": plates.get(row.vehicle_id), "receipt_url": f"/api/driver/expenses/{row.id}/receipt"}
    )


async def _plates(session: DbSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict((await session.execute(select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(ids)))).all())


@router.get("/expenses", response_model=list[ExpenseOut])
async def expenses(
    session: DbSession, vehicle_id: int | None = None, principal: Principal = require("dispatch.task.read")
) -> list[ExpenseOut]:
    """The caller's own entries (with ``dispatch.plan.read``: every driver's, optionally of one car)."""
    if principal.can("dispatch.plan.read"):
        rows = await service.list_expenses(session, vehicle_id=vehicle_id)
    else:
        driver = await flows.driver_of(session, principal)
        rows = await service.list_expenses(session, driver_id=driver.id, vehicle_id=vehicle_id)
    plates = await _plates(session, {r.vehicle_id for r in rows})
    return [_expense_out(r, plates) for r in rows]


def _decimal(value: str) -> Decimal:
    try:
        return Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        raise ExpenseRefused(
            f"{value!r} is no amount.", code="dispatch.expense_amount", message_zh=f"{value!r} 不是有效的金额。"
        ) from None


@router.post("/expenses", response_model=ExpenseOut, status_code=201, max_body_size=16 * 1024 * 1024 + 65_536)
async def add_expense(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    kind: Annotated[str, Form()],
    amount: Annotated[str, Form()],
    receipt: Annotated[UploadFile | None, File()] = None,
    vehicle_id: Annotated[int | None, Form()] = None,
    booking_id: Annotated[int | None, Form()] = None,
    litres: Annotated[float | None, Form()] = None,
    kwh: Annotated[float | None, Form()] = None,
    odometer_km: Annotated[float | None, Form()] = None,
    at: Annotated[datetime | None, Form()] = None,
    place: Annotated[str | None, Form(max_length=200)] = None,
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Form(ge=-180, le=180)] = None,
    note: Annotated[str | None, Form(max_length=255)] = None,
    principal: Principal = require("dispatch.task.update"),
) -> ExpenseOut:
    """A refuel (litres), a charge (kWh) or another expense, with a photo of the receipt (multipart)."""
    data = await receipt.read(settings.receipt_max_bytes + 1) if receipt is not None else b""
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(request.app.state.platform.settings.core.local_timezone))
    body = flows.ExpenseInput(
        kind=kind, amount=_decimal(amount), vehicle_id=vehicle_id, booking_id=booking_id, litres=litres, kwh=kwh,
        odometer_km=odometer_km, at=at, place=place, lat=lat, lon=lon, note=note,
    )  # fmt: skip
    row = await flows.add_expense(session, principal, body, data, uploads=_uploads(request), settings=settings)
    await session.commit()
    return _expense_out(row, await _plates(session, {row.vehicle_id}))


@router.get("/expenses/{expense_id}/receipt", response_class=FileResponse)
async def receipt_photo(
    expense_id: int, request: Request, session: DbSession, principal: Principal = require("dispatch.task.read")
) -> FileResponse:
    row = await service.expense(session, expense_id)
    if row is None or not flows.may_see_receipt(principal, row):
        raise NotFound(
            f"Expense {expense_id} not found.",
            code="dispatch.expense_not_found",
            message_zh=f"未找到费用登记 {expense_id}。",
        )
    return FileResponse(open_receipt(_uploads(request), row.receipt_path), media_type=row.receipt_type)
