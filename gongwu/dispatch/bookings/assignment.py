"""Dispatch's steps of a booking: a car and driver assigned (or re-assigned, or taken back), the rider on
board, the rider dropped off. Called by pooled dispatch (the optimizer's accepted plan, a dispatcher's
override) and the driver's page; they check the booking and the car, the caller checks its permission.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import people, service
from gongwu.dispatch.bookings.errors import BadTransition, BookingRefused, RuleBroken
from gongwu.dispatch.bookings.lifecycle import Policy, announce, ensure, step
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.bookings.texts import text

__all__ = ["PLAN_TOLERANCE", "mark_assigned", "mark_completed", "mark_in_progress", "unassign"]

PLAN_TOLERANCE = timedelta(minutes=1)
"""How far planned times may stray outside a booking's window (rounding of the optimizer's seconds)."""


async def mark_assigned(
    session: AsyncSession,
    booking_id: int,
    *,
    vehicle_id: int,
    driver_id: int,
    planned_pickup_at: datetime,
    planned_dropoff_at: datetime,
    actor: Principal | Actor | None = None,
    policy: Policy | None = None,
    check_pooling: bool = True,
) -> Booking:
    """Give the booking a car and a driver (again: a re-assignment). The car must fit — category, seats,
    in service, not sealed, a dedicated (定向化保障) car only for a leader trip — and, with ``check_pooling``,
    a trip that may not be pooled must not overlap another on the same car (set it False when applying a
    whole plan whose intermediate states overlap)."""
    tz = policy.timezone if policy else "Asia/Shanghai"
    booking = await service.get_booking(session, booking_id, lock=True)
    ensure(booking, "assigned")
    vehicle = await fleet.get_vehicle(session, None, vehicle_id)
    driver = await fleet.get_driver(session, None, driver_id)
    _check_car(booking, vehicle, driver, planned_pickup_at, planned_dropoff_at)
    seal = await fleet.active_seal(session, vehicle, planned_pickup_at, planned_dropoff_at)
    if seal is not None:
        raise RuleBroken(
            f"Car {vehicle.plate} is sealed (封存: {seal.reason}) at that time.",
            code="dispatch.vehicle_sealed",
            message_zh=f"车辆 {vehicle.plate} 在该时段处于封存期（{seal.reason}）。",
            details={"vehicle_id": vehicle.id, "seal_id": seal.id},
        )
    if check_pooling:
        await _check_pooling(session, booking, vehicle.id, planned_pickup_at, planned_dropoff_at)
    former_driver = await people.driver_user(session, booking.driver_id) if booking.driver_id != driver_id else None
    kind = "reassigned" if booking.status == "assigned" else "assigned"
    booking.vehicle_id, booking.driver_id = vehicle.id, driver.id
    booking.planned_pickup_at, booking.planned_dropoff_at = planned_pickup_at, planned_dropoff_at
    previous = await step(
        session, booking, "assigned", actor, kind, data={"vehicle_id": vehicle.id, "driver_id": driver.id}
    )
    driver_uid = driver.user_id
    details = {"plate": vehicle.plate, "driver": driver.name}
    await announce(
        session,
        booking,
        kind,
        previous,
        [
            ([booking.requester_id], text(kind, "requester", booking, tz, **details)),
            ([driver_uid], text(kind, "driver", booking, tz, **details)),
            ([former_driver], text(kind, "former_driver", booking, tz)),
        ],
    )
    return booking


def _check_car(booking: Booking, vehicle: Any, driver: Any, pickup_at: datetime, dropoff_at: datetime) -> None:
    if vehicle.category != booking.category:
        raise RuleBroken(
            f"Car {vehicle.plate} is not of the category the booking asks for.",
            code="dispatch.vehicle_category",
            message_zh=f"车辆 {vehicle.plate} 与用车申请的车辆类别不符。",
            details={"vehicle_category": vehicle.category, "category": booking.category},
        )
    if vehicle.seats < booking.min_seats:
        raise RuleBroken(
            f"Car {vehicle.plate} has {vehicle.seats} seats; the booking needs {booking.min_seats}.",
            code="dispatch.vehicle_seats",
            message_zh=f"车辆 {vehicle.plate} 有 {vehicle.seats} 个座位，该申请需要 {booking.min_seats} 个。",
        )
    if vehicle.status not in ("available", "in_use"):
        raise RuleBroken(
            f"Car {vehicle.plate} is not in service ({vehicle.status}).",
            code="dispatch.vehicle_unavailable",
            message_zh=f"车辆 {vehicle.plate} 当前不可用（{fleet.STATUSES.get(vehicle.status, vehicle.status)}）。",
        )
    if vehicle.dedicated and not booking.leader_trip:
        raise RuleBroken(
            f"Car {vehicle.plate} is a leader's car (定向化保障); it serves leader trips only.",
            code="dispatch.dedicated_car",
            message_zh=f"车辆 {vehicle.plate} 为领导定向化保障车辆，仅用于定向化保障行程。",
        )
    if driver.status != "active":
        raise RuleBroken(
            f"Driver {driver.name} is not on duty ({driver.status}).",
            code="dispatch.driver_unavailable",
            message_zh=f"驾驶员 {driver.name} 当前不在岗（{driver.status}）。",
        )
    if not (
        dropoff_at > pickup_at
        and pickup_at >= booking.earliest_pickup - PLAN_TOLERANCE
        and dropoff_at <= booking.latest_arrival + PLAN_TOLERANCE
    ):
        raise RuleBroken(
            "The planned pick-up and drop-off must lie within the booking's window.",
            code="dispatch.plan_outside_window",
            message_zh="计划的上车和下车时间须在申请的用车时间窗口之内。",
            details={
                "earliest_pickup": booking.earliest_pickup.isoformat(),
                "latest_arrival": booking.latest_arrival.isoformat(),
            },
        )


async def _check_pooling(
    session: AsyncSession, booking: Booking, vehicle_id: int, start: datetime, end: datetime
) -> None:
    others = (
        await session.scalars(
            select(Booking).where(
                Booking.vehicle_id == vehicle_id,
                Booking.id != booking.id,
                Booking.status.in_(("assigned", "in_progress")),
                service.overlapping(start, end),
            )
        )
    ).all()
    clash = next((o for o in others if not (o.may_pool and booking.may_pool)), None)
    if clash is not None:
        raise RuleBroken(
            f"Booking {clash.code} is on that car at the same time, and confidential or leader trips, or trips "
            "whose requester declined, are never pooled (机要、定向化保障行程不拼车).",
            code="dispatch.pooling_forbidden",
            message_zh=f"用车申请 {clash.code} 同一时段已使用该车辆；"
            "机要、定向化保障行程及申请人不同意拼车的行程一律不拼车。",
            details={"other_booking_id": clash.id},
        )


async def unassign(
    session: AsyncSession,
    booking_id: int,
    *,
    actor: Principal | Actor | None = None,
    reason: str | None = None,
    policy: Policy | None = None,
) -> Booking:
    """Take the car and driver back (the booking is approved again, waiting for another)."""
    tz = policy.timezone if policy else "Asia/Shanghai"
    booking = await service.get_booking(session, booking_id, lock=True)
    if booking.status != "assigned":
        raise BadTransition(
            f"Booking {booking.code} has no car to take back ({STATUSES[booking.status][0]}).",
            message_zh=f"用车申请 {booking.code} 当前为“{STATUSES[booking.status][0]}”，没有可撤回的派车。",
            details={"booking_id": booking.id, "status": booking.status, "wanted": "approved"},
        )
    former_driver = await people.driver_user(session, booking.driver_id)
    booking.vehicle_id = booking.driver_id = None
    booking.planned_pickup_at = booking.planned_dropoff_at = None
    previous = await step(session, booking, "approved", actor, "unassigned", note=reason)
    await announce(
        session,
        booking,
        "unassigned",
        previous,
        [
            ([booking.requester_id], text("unassigned", "requester", booking, tz)),
            ([former_driver], text("unassigned", "former_driver", booking, tz)),
        ],
    )
    return booking


async def mark_in_progress(
    session: AsyncSession,
    booking_id: int,
    *,
    actor: Principal | Actor | None = None,
    policy: Policy | None = None,
) -> Booking:
    """The rider is on board (the driver checked them in)."""
    tz = policy.timezone if policy else "Asia/Shanghai"
    booking = await service.get_booking(session, booking_id, lock=True)
    previous = await step(session, booking, "in_progress", actor, "in_progress")
    await announce(
        session, booking, "in_progress", previous, [([booking.requester_id], text("in_progress", "", booking, tz))]
    )
    return booking


async def mark_completed(
    session: AsyncSession,
    booking_id: int,
    *,
    actual_km: float | None = None,
    trip_id: int | None = None,
    actor: Principal | Actor | None = None,
    policy: Policy | None = None,
) -> Booking:
    """The rider is dropped off. The reservation stays until the trip's cost is settled (charged)."""
    tz = policy.timezone if policy else "Asia/Shanghai"
    if actual_km is not None and actual_km < 0:
        raise BookingRefused(
            "Kilometres driven cannot be negative.", code="dispatch.bad_km", message_zh="行驶里程不能为负数。"
        )
    booking = await service.get_booking(session, booking_id, lock=True)
    ensure(booking, "completed")
    booking.actual_km = actual_km
    booking.telematics_trip_id = trip_id
    previous = await step(
        session, booking, "completed", actor, "completed", data={"actual_km": actual_km, "trip_id": trip_id}
    )
    await announce(
        session, booking, "completed", previous, [([booking.requester_id], text("completed", "", booking, tz))]
    )
    return booking
