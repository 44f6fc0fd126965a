"""The dispatcher's overrides: pin a booking to a car (and optionally a driver) or keep it unassigned. Every
later plan respects them (:mod:`.problem`: a pin is the optimizer's locked vehicle, a hold leaves the booking out).
A pin breaking a rule is refused with the rule's code and changes nothing. Never commits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.db import utcnow
from gongwu.core.errors import NotFound
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import service as booking_service
from gongwu.dispatch.bookings.errors import BadTransition
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.driving.models import STEPS
from gongwu.dispatch.pooling import service
from gongwu.dispatch.pooling.errors import OverrideRefused
from gongwu.dispatch.pooling.inputs import IN_SERVICE
from gongwu.dispatch.pooling.models import Override

__all__ = ["create_override", "remove_override"]


async def create_override(
    session: AsyncSession,
    principal: Principal,
    booking_id: int,
    *,
    kind: str,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
    note: str | None = None,
) -> Override:
    """Pin a booking to a car (and optionally a driver) or keep it unassigned; replaces its active override."""
    principal.require("dispatch.plan.manage")
    booking = await booking_service.get_booking(session, booking_id, lock=True)
    if booking.status not in ("approved", "assigned"):
        zh, en = STATUSES[booking.status]
        raise BadTransition(
            f"Booking {booking.code} is {en.lower()} ({zh}); only approved or assigned bookings can be dispatched by "
            "hand.",
            code="dispatch.override_closed",
            message_zh=f"用车申请 {booking.code} 当前为“{zh}”，只有已批准或已派车的申请可以人工指定。",
            details={"booking_id": booking.id, "status": booking.status},
        )
    task = await driving.task_of(session, booking.id)
    if task is not None and task.step != "assigned" and task.vehicle_id == booking.vehicle_id:
        raise BadTransition(
            f"The driver has started booking {booking.code} ({task.step}); it stays on its car.",
            code="dispatch.leg_started",
            message_zh=f"驾驶员已开始执行用车申请 {booking.code} 的任务（{STEPS[task.step][0]}），不能更换车辆。",
            details={"booking_id": booking.id, "step": task.step},
        )
    if kind not in ("pin", "hold"):
        raise OverrideRefused(
            "An override pins a booking to a car or holds it (pin, hold).",
            code="dispatch.bad_override",
            message_zh="人工指定须为指定车辆（pin）或暂不派车（hold）。",
        )
    if kind == "pin":
        if vehicle_id is None:
            raise OverrideRefused(
                "Say which car the booking is pinned to.",
                code="dispatch.override_vehicle_required",
                message_zh="请选择指定的车辆。",
            )
        await _check_pin(session, booking, vehicle_id, driver_id)
    elif vehicle_id is not None or driver_id is not None:
        raise OverrideRefused(
            "A hold names no car or driver.",
            code="dispatch.bad_override",
            message_zh="暂不派车时不能指定车辆或驾驶员。",
        )
    audit.set_actor(session, Actor(principal.user_id, principal.username), context="dispatch.override.create")
    for old in await service.active_overrides(session, [booking.id]):
        old.active, old.removed_at, old.removed_by = False, utcnow(), principal.user_id
    override = Override(
        booking_id=booking.id,
        kind=kind,
        vehicle_id=vehicle_id,
        driver_id=driver_id,
        note=(note or "").strip() or None,
        active=True,
        created_by=principal.user_id,
        created_at=utcnow(),
    )
    session.add(override)
    await session.flush()
    return override


async def _check_pin(session: AsyncSession, booking: Booking, vehicle_id: int, driver_id: int | None) -> None:
    try:
        car = await fleet.get_vehicle(session, None, vehicle_id)
    except NotFound:
        raise OverrideRefused(
            f"Car {vehicle_id} does not exist.",
            code="dispatch.vehicle_not_found",
            message_zh=f"车辆 {vehicle_id} 不存在。",
        ) from None
    details = {"vehicle_id": car.id, "booking_id": booking.id}
    if car.category != booking.category:
        raise OverrideRefused(
            f"Car {car.plate} is not of the category booking {booking.code} asks for (车辆类别不符).",
            code="dispatch.vehicle_category",
            message_zh=f"车辆 {car.plate} 与用车申请 {booking.code} 的车辆类别不符。",
            details=details | {"vehicle_category": car.category, "category": booking.category},
        )
    if car.seats < booking.min_seats:
        raise OverrideRefused(
            f"Car {car.plate} has {car.seats} seats; booking {booking.code} needs {booking.min_seats} (座位不足).",
            code="dispatch.vehicle_seats",
            message_zh=f"车辆 {car.plate} 有 {car.seats} 个座位，"
            f"用车申请 {booking.code} 需要 {booking.min_seats} 个，座位不足。",
            details=details | {"seats": car.seats, "min_seats": booking.min_seats},
        )
    if car.dedicated and not booking.leader_trip:
        raise OverrideRefused(
            f"Car {car.plate} is a leader's car (定向化保障); it serves leader trips only.",
            code="dispatch.dedicated_car",
            message_zh=f"车辆 {car.plate} 为领导定向化保障车辆，仅用于定向化保障行程。",
            details=details,
        )
    if car.status not in IN_SERVICE:
        raise OverrideRefused(
            f"Car {car.plate} is not in service ({car.status}).",
            code="dispatch.vehicle_unavailable",
            message_zh=f"车辆 {car.plate} 当前不可用（{fleet.STATUSES.get(car.status, car.status)}）。",
            details=details,
        )
    seal = await fleet.active_seal(session, car, booking.earliest_pickup, booking.latest_arrival)
    if seal is not None:
        raise OverrideRefused(
            f"Car {car.plate} is sealed (封存: {seal.reason}) during the trip.",
            code="dispatch.vehicle_sealed",
            message_zh=f"车辆 {car.plate} 在行程期间处于封存期（{seal.reason}）。",
            details=details | {"seal_id": seal.id},
        )
    if driver_id is not None:
        try:
            driver = await fleet.get_driver(session, None, driver_id)
        except NotFound:
            raise OverrideRefused(
                f"Driver {driver_id} does not exist.",
                code="dispatch.driver_not_found",
                message_zh=f"驾驶员 {driver_id} 不存在。",
            ) from None
        if driver.status != "active":
            raise OverrideRefused(
                f"Driver {driver.name} is not on duty ({driver.status}).",
                code="dispatch.driver_unavailable",
                message_zh=f"驾驶员 {driver.name} 当前不在岗（{driver.status}）。",
                details={"driver_id": driver.id},
            )


async def remove_override(session: AsyncSession, principal: Principal, override_id: int) -> Override:
    principal.require("dispatch.plan.manage")
    override = await service.get_override(session, override_id)
    if override.active:
        audit.set_actor(session, Actor(principal.user_id, principal.username), context="dispatch.override.remove")
        override.active, override.removed_at, override.removed_by = False, utcnow(), principal.user_id
        await session.flush()
    return override
