"""A booking's life: submit → approve (one or two levels) | reject → assign → start → complete; cancel.

Every step validates its transition, writes the timeline and the audit context, notifies the people concerned
(in-page, and the webhook through the outbox) and queues a bus event on :data:`TOPIC`. None commits: the
caller ends the unit of work with :func:`commit` (commit, then publish), so nothing is announced that did not
happen and a refused step changes nothing.

Steps people take (``submit_booking``, ``approve``, ``reject``, ``cancel``) are here and check who may take
them. Steps dispatch takes (``mark_assigned``, ``unassign``, ``mark_in_progress``, ``mark_completed``) live in
:mod:`.assignment` and are re-exported here; they check the booking and the car, not the caller: the route
or worker that calls them checks its permission.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import gongwu.dispatch.permissions  # noqa: F401  (the permissions these steps check are registered)
from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.budget import service as budget
from gongwu.core.db import utcnow
from gongwu.core.errors import DomainError, Forbidden
from gongwu.core.geo import haversine_m
from gongwu.core.identity.models import User
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import people, rules, service
from gongwu.dispatch.bookings.assignment import mark_assigned, mark_completed, mark_in_progress, unassign
from gongwu.dispatch.bookings.errors import BadTransition, BookingNotFound, BookingRefused, NotAnApprover, RuleBroken
from gongwu.dispatch.bookings.estimates import Estimator, beyond_city, estimate_cost, max_ride_minutes
from gongwu.dispatch.bookings.lifecycle import (
    BUDGET_CLASS,
    SOURCE_TYPE,
    TOPIC,
    TRANSITIONS,
    Policy,
    acting,
    announce,
    aware,
    step,
)
from gongwu.dispatch.bookings.models import STATUSES, Booking, BookingApproval
from gongwu.dispatch.bookings.schemas import BookingIn
from gongwu.dispatch.bookings.texts import text
from gongwu.dispatch.notify.service import commit
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.types import LatLon

__all__ = [
    "BUDGET_CLASS",
    "SOURCE_TYPE",
    "TOPIC",
    "TRANSITIONS",
    "Policy",
    "approve",
    "cancel",
    "commit",
    "decidable_level",
    "mark_assigned",
    "mark_completed",
    "mark_in_progress",
    "may_cancel",
    "pending_approvals",
    "reject",
    "submit_booking",
    "unassign",
    "user_names",
]

SAME_PLACE_M = 50.0
"""Pick-up and drop-off closer than this are one place: no trip."""


# -- people's steps ----------------------------------------------------------------------------------------


async def submit_booking(
    session: AsyncSession,
    principal: Principal,
    body: BookingIn,
    *,
    policy: Policy,
    estimator: Estimator,
    now: datetime | None = None,
) -> Booking:
    """Check every rule, estimate the trip on the road map, and file the booking for approval."""
    principal.require("dispatch.booking.create")
    settings, tz = policy.settings, policy.timezone
    now = now or utcnow()
    earliest, latest = aware(body.earliest_pickup, tz), aware(body.latest_arrival, tz)
    unit, chain = await service.unit_chain(session, body.unit_id or principal.unit_id)
    principal.check_unit(unit, writing=True)
    rules.check_category(body.category, body.confidential)
    rules.check_leader(settings, principal, body.leader_trip)
    names = [n.strip() for n in body.passenger_names if n.strip()]
    if len(names) > body.passengers:
        raise BookingRefused(
            f"{len(names)} names for {body.passengers} passenger(s).",
            code="dispatch.passenger_names",
            message_zh=f"填写了 {len(names)} 位乘车人姓名，但乘车人数为 {body.passengers} 人。",
        )
    min_seats = max(body.min_seats or 0, body.passengers + 1)
    rules.check_window(settings, earliest, latest, now)
    await rules.check_unit_may_use(session, settings, chain, body.category)
    await rules.check_seats(session, body.category, min_seats)
    await rules.check_not_sealed(session, chain, body.category, min_seats, earliest, latest)
    await rules.check_monthly_quota(session, settings, unit.id, earliest, tz)
    pickup, dropoff = LatLon(body.pickup.lat, body.pickup.lon), LatLon(body.dropoff.lat, body.dropoff.lon)
    if haversine_m(pickup.lat, pickup.lon, dropoff.lat, dropoff.lon) < SAME_PLACE_M:
        raise BookingRefused(
            "The pick-up and the drop-off are the same place (上下车地点相同).",
            code="dispatch.same_place",
            message_zh="上车地点与下车地点相同。",
        )
    estimate = await estimator.estimate(pickup, dropoff, earliest)
    rules.check_fits(settings, earliest, latest, estimate)
    beyond = beyond_city(settings, pickup, dropoff)

    actor, name = acting(principal)
    audit.set_actor(session, actor, context="dispatch.booking.submit")
    booking = Booking(
        code=await service.next_code(session, now, tz),
        unit_id=unit.id,
        requester_id=principal.user_id,
        purpose=body.purpose.strip(),
        passengers=body.passengers,
        passenger_names=names,
        contact_phone=body.contact_phone,
        note=body.note,
        pickup_lat=body.pickup.lat,
        pickup_lon=body.pickup.lon,
        pickup_address=body.pickup.address.strip(),
        dropoff_lat=body.dropoff.lat,
        dropoff_lon=body.dropoff.lon,
        dropoff_address=body.dropoff.address.strip(),
        earliest_pickup=earliest,
        latest_arrival=latest,
        category=body.category,
        min_seats=min_seats,
        poolable=body.poolable,
        confidential=body.confidential,
        leader_trip=body.leader_trip,
        beyond_city=beyond,
        status="submitted",
        approval_levels=2 if beyond else 1,
        approved_level=0,
        estimated_km=estimate.km,
        estimated_minutes=estimate.minutes,
        estimate_approximate=estimate.approximate,
        max_ride_minutes=max_ride_minutes(settings, estimate.minutes),
        estimated_cost=estimate_cost(settings, body.category, estimate.km),
        checkin_code=service.new_checkin_code(),
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    await session.flush()
    await service.add_event(session, booking, Actor(actor.id, name), "submitted", None)
    await session.flush()
    approvers = await people.unit_approvers(session, booking)
    await announce(
        session,
        booking,
        "submitted",
        None,
        [(approvers, text("submitted", "approver", booking, tz, requester=principal.full_name))],
    )
    return booking


async def _approvable(
    session: AsyncSession, principal: Principal, booking_id: int, settings: DispatchSettings
) -> tuple[Booking, int]:
    """The booking (locked) and the level the principal may decide now, or the reason they may not."""
    booking = await service.get_booking(session, booking_id, lock=True)
    unit, _ = await service.unit_chain(session, booking.unit_id)
    senior = booking.pending_level == 2 and await people.is_senior(session, principal, settings)
    if not (principal.sees_path(unit.path) or senior or booking.requester_id == principal.user_id):
        raise BookingNotFound(
            f"Booking {booking_id} not found.",
            message_zh=f"未找到用车申请 {booking_id}。",
            details={"booking_id": booking_id},
        )
    return booking, await decidable_level(session, principal, booking, settings)


async def decidable_level(
    session: AsyncSession, principal: Principal, booking: Booking, settings: DispatchSettings
) -> int:
    """The approval level the principal may give or refuse now; raises why not."""
    principal.require(people.APPROVE)
    level = booking.pending_level
    if level is None:
        raise BadTransition(
            f"Booking {booking.code} is {STATUSES[booking.status][1].lower()} ({STATUSES[booking.status][0]}); "
            "there is nothing to approve.",
            message_zh=f"用车申请 {booking.code} 当前为“{STATUSES[booking.status][0]}”，无需审批。",
            details={"booking_id": booking.id, "status": booking.status},
        )
    if booking.requester_id == principal.user_id:
        raise NotAnApprover(
            "You cannot approve your own booking (不能审批本人的申请).",
            code="dispatch.own_booking",
            message_zh="不能审批本人的申请。",
        )
    if level == 1:
        unit, _ = await service.unit_chain(session, booking.unit_id)
        if not principal.sees_path(unit.path):
            raise NotAnApprover(
                "Only an approver of the booking's unit gives the first approval.",
                code="dispatch.not_unit_approver",
                message_zh="第一级审批须由申请所属单位的审批人办理。",
            )
        return level
    first = await people.first_approval(session, booking.id)
    if first is not None and first.approver_id == principal.user_id:
        raise NotAnApprover(
            "A beyond-city trip needs a second approver; you gave the first approval (出市用车须另一位领导复核).",
            code="dispatch.same_approver",
            message_zh="出市用车须另一位领导复核，您已办理第一级审批。",
        )
    needed = await people.senior_needed_rank(session, booking, settings)
    unit, _ = await service.unit_chain(session, booking.unit_id)
    if rules.rank_order(principal.rank) < needed or not (
        principal.sees_path(unit.path) or await people.is_senior(session, principal, settings)
    ):
        raise NotAnApprover(
            "A beyond-city trip needs the approval of a more senior leader (出市用车须上级领导审批).",
            code="dispatch.senior_required",
            message_zh="出市用车须上级领导审批。",
            details={"level": 2},
        )
    return level


async def pending_approvals(session: AsyncSession, principal: Principal, policy: Policy) -> list[Booking]:
    """Bookings waiting for a decision the principal may give, soonest pick-up first."""
    if not principal.can(people.APPROVE):
        return []
    senior = await people.is_senior(session, principal, policy.settings)
    waiting = await service.list_bookings(session, principal, statuses=["submitted"], senior=senior, limit=1000)
    out = []
    for booking in waiting:
        try:
            await decidable_level(session, principal, booking, policy.settings)
        except DomainError:
            continue
        out.append(booking)
    return sorted(out, key=lambda b: (b.earliest_pickup, b.id))


async def approve(
    session: AsyncSession,
    principal: Principal,
    booking_id: int,
    *,
    policy: Policy,
    reason: str | None = None,
    now: datetime | None = None,
) -> Booking:
    """Give the approval awaited; the final one reserves the estimated cost on the unit's 30231 line."""
    settings, tz = policy.settings, policy.timezone
    booking, level = await _approvable(session, principal, booking_id, settings)
    now = now or utcnow()
    if booking.latest_arrival <= now:
        raise RuleBroken(
            f"The time of booking {booking.code} has passed; it can only be rejected or cancelled.",
            code="dispatch.window_passed",
            message_zh=f"用车申请 {booking.code} 的用车时间已过，只能驳回或取消。",
        )
    actor, _ = acting(principal)
    audit.set_actor(session, actor, context="dispatch.booking.approve")
    session.add(
        BookingApproval(
            booking_id=booking.id,
            level=level,
            approver_id=principal.user_id,
            decision="approved",
            reason=reason,
            at=now,
        )
    )
    booking.approved_level = level
    if level < booking.approval_levels:
        await session.flush()
        await service.add_event(
            session,
            booking,
            Actor(actor.id, principal.full_name),
            "approved_level",
            "submitted",
            note=reason,
            data={"level": level},
        )
        await session.flush()
        seniors = await people.senior_approvers(session, booking, settings)
        await announce(
            session,
            booking,
            "approved_level",
            "submitted",
            [
                ([booking.requester_id], text("approved_level", "requester", booking, tz)),
                (seniors, text("approved_level", "senior", booking, tz)),
            ],
        )
        return booking
    year = booking.earliest_pickup.astimezone(ZoneInfo(tz)).year
    line = await budget.find_line(session, booking.unit_id, year, BUDGET_CLASS)
    if booking.estimated_cost > 0:
        await budget.reserve(
            session,
            line.id,
            booking.estimated_cost,
            source_type=SOURCE_TYPE,
            source_id=booking.id,
            note=booking.code,
            actor_id=principal.user_id,
        )
    booking.budget_line_id = line.id
    previous = await step(session, booking, "approved", principal, "approved", note=reason, data={"level": level})
    await announce(
        session, booking, "approved", previous, [([booking.requester_id], text("approved", "requester", booking, tz))]
    )
    return booking


async def reject(
    session: AsyncSession, principal: Principal, booking_id: int, reason: str, *, policy: Policy
) -> Booking:
    """Refuse the booking, with the reason the requester reads."""
    if not reason or len(reason.strip()) < 2:
        raise BookingRefused(
            "Say why the booking is rejected (请填写驳回理由).",
            code="dispatch.reason_required",
            message_zh="请填写驳回理由。",
        )
    booking, level = await _approvable(session, principal, booking_id, policy.settings)
    actor, _ = acting(principal)
    audit.set_actor(session, actor, context="dispatch.booking.reject")
    session.add(
        BookingApproval(
            booking_id=booking.id,
            level=level,
            approver_id=principal.user_id,
            decision="rejected",
            reason=reason.strip(),
            at=utcnow(),
        )
    )
    await _release(session, booking, principal.user_id)
    previous = await step(session, booking, "rejected", principal, "rejected", note=reason.strip())
    first = await people.first_approval(session, booking.id)
    others = [first.approver_id] if first is not None and level == 2 else []
    message = text("rejected", "requester", booking, policy.timezone, reason=reason.strip())
    await announce(session, booking, "rejected", previous, [([booking.requester_id, *others], message)])
    return booking


async def may_cancel(session: AsyncSession, principal: Principal, booking: Booking) -> bool:
    """The requester; dispatchers; approvers of the booking's unit — while the trip has not started."""
    if booking.status not in ("submitted", "approved", "assigned"):
        return False
    if booking.requester_id == principal.user_id:
        return principal.can("dispatch.booking.cancel")
    if principal.can("dispatch.plan.manage"):
        return True
    if principal.can(people.APPROVE):
        unit, _ = await service.unit_chain(session, booking.unit_id)
        return principal.sees_path(unit.path)
    return False


async def cancel(
    session: AsyncSession, principal: Principal, booking_id: int, *, policy: Policy, reason: str | None = None
) -> Booking:
    """Call the trip off before it starts; a reservation on the budget is released."""
    booking = await service.get_booking(session, booking_id, principal, lock=True)
    if booking.status in ("in_progress",):
        raise BadTransition(
            f"The trip of {booking.code} has started; it can no longer be cancelled (行程已开始，不能取消).",
            message_zh=f"用车申请 {booking.code} 的行程已开始，不能取消。",
            details={"booking_id": booking.id, "status": booking.status},
        )
    if booking.status in ("submitted", "approved", "assigned") and not await may_cancel(session, principal, booking):
        raise Forbidden(
            "Only the requester, an approver of the unit or a dispatcher can cancel this booking.",
            code="dispatch.cancel_forbidden",
            message_zh="只有申请人、本单位审批人或调度员可以取消该申请。",
        )
    former_driver = await people.driver_user(session, booking.driver_id)
    approvers = [a.approver_id for a in await service.approvals_of(session, booking.id) if a.decision == "approved"]
    await _release(session, booking, principal.user_id)
    was = booking.status
    previous = await step(session, booking, "cancelled", principal, "cancelled", note=reason)
    concerned: list[int | None] = [booking.requester_id, *approvers, former_driver]
    if was in ("approved", "assigned"):
        concerned += await people.dispatchers(session)
    if was == "submitted":
        concerned += await people.unit_approvers(session, booking)
    concerned = [u for u in concerned if u != principal.user_id]
    message = text("cancelled", "any", booking, policy.timezone, reason=reason)
    await announce(session, booking, "cancelled", previous, [(concerned, message)])
    return booking


async def _release(session: AsyncSession, booking: Booking, actor_id: int | None) -> None:
    if booking.budget_line_id is not None:
        await budget.release(
            session,
            booking.budget_line_id,
            source_type=SOURCE_TYPE,
            source_id=booking.id,
            note=booking.code,
            actor_id=actor_id,
        )


async def user_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {i: n for i, n in rows}
