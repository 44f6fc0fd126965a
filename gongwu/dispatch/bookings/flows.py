"""A booking's life: submit → approve (one or two levels) | reject → assign → start → complete; cancel.

Every step validates its transition, writes the timeline and the audit context, notifies the people concerned
(in-page, and the webhook through the outbox) and queues a bus event on :data:`TOPIC`. None commits: the
caller ends the unit of work with :func:`commit` (commit, then publish), so nothing is announced that did not
happen and a refused step changes nothing.

Steps people take (``submit_booking``, ``approve``, ``reject``, ``cancel``) check who may take them. Steps
dispatch takes (``mark_assigned``, ``unassign``, ``mark_in_progress``, ``mark_completed``) check the booking and
the car, not the caller: the route or worker that calls them checks its permission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.budget import service as budget
from gongwu.core.db import utcnow
from gongwu.core.errors import DomainError, Forbidden
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.models import User
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import people, rules, service
from gongwu.dispatch.bookings.errors import BadTransition, BookingNotFound, BookingRefused, NotAnApprover, RuleBroken
from gongwu.dispatch.bookings.estimates import Estimator, beyond_city, estimate_cost, max_ride_minutes
from gongwu.dispatch.bookings.models import STATUSES, Booking, BookingApproval
from gongwu.dispatch.bookings.schemas import BookingIn
from gongwu.dispatch.bookings.texts import text
from gongwu.dispatch.notify import service as notify
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
]

TOPIC = "dispatch.bookings"
"""Bus topic: ``{booking_id, code, event, status, previous, unit_id, vehicle_id, driver_id, may_pool,
earliest_pickup, latest_arrival, at}`` after every step."""
BUDGET_CLASS = "30231"
"""公务用车运行维护费: the economic class a booking's cost is reserved on."""
SOURCE_TYPE = "dispatch.booking"
"""Source type of the budget ledger entries of bookings (source id: the booking id)."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"assigned", "cancelled"}),
    "assigned": frozenset({"assigned", "approved", "in_progress", "cancelled"}),
    "in_progress": frozenset({"completed"}),
    "rejected": frozenset(),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
"""Allowed status changes (``assigned → assigned`` is a re-assignment, ``assigned → approved`` an un-assignment)."""

PLAN_TOLERANCE = timedelta(minutes=1)
CONTEXTS = {
    "approved": "approve",
    "rejected": "reject",
    "cancelled": "cancel",
    "assigned": "assign",
    "reassigned": "assign",
    "unassigned": "unassign",
    "in_progress": "start",
    "completed": "complete",
}
"""The use case (audit context ``dispatch.booking.<name>``) of each step."""


@dataclass(frozen=True)
class Policy:
    """The bureau's dispatch settings and its wall-clock time zone (booking codes, budget year, texts)."""

    settings: DispatchSettings
    timezone: str = "Asia/Shanghai"


def _actor(who: Principal | Actor | None) -> tuple[Actor, str]:
    """The audit actor and the name the timeline shows."""
    if isinstance(who, Principal):
        return Actor(who.user_id, who.username), who.full_name
    if who is None:
        return Actor(None, "dispatch"), "dispatch"
    return who, who.name


def _aware(value: datetime, timezone: str) -> datetime:
    """A naive time is the bureau's wall-clock time."""
    return value.replace(tzinfo=ZoneInfo(timezone)) if value.tzinfo is None else value


def _ensure(booking: Booking, to: str) -> None:
    """Raise :class:`BadTransition` unless the booking may move to ``to``."""
    now = booking.status
    if to not in TRANSITIONS[now]:
        raise BadTransition(
            f"Booking {booking.code} is {STATUSES[now][1].lower()} ({STATUSES[now][0]}); it cannot become "
            f"{STATUSES[to][1].lower()}.",
            details={"booking_id": booking.id, "status": now, "wanted": to},
        )


async def _step(
    session: AsyncSession,
    booking: Booking,
    to: str,
    who: Principal | Actor | None,
    kind: str,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Move the booking to ``to`` (checked against :data:`TRANSITIONS`), write the timeline and the audit
    context; returns the previous status."""
    previous = booking.status
    _ensure(booking, to)
    actor, name = _actor(who)
    audit.set_actor(session, actor, context=f"dispatch.booking.{CONTEXTS.get(kind, kind)}")
    booking.status = to
    await session.flush()
    await service.add_event(session, booking, Actor(actor.id, name), kind, previous, note=note, data=data)
    await session.flush()
    return previous


async def _announce(
    session: AsyncSession,
    booking: Booking,
    kind: str,
    previous: str | None,
    messages: Iterable[tuple[Iterable[int | None], tuple[str, str]]],
) -> None:
    """Notify each audience its text (in-page) and queue the bus event with the webhook notice."""
    recipients: list[dict[str, Any]] = []
    texts: list[dict[str, str]] = []
    for users, (zh, en) in messages:
        ids = [u for u in dict.fromkeys(users) if u is not None]
        if not ids:
            continue
        await notify.notify(session, ids, kind=kind, text_zh=zh, text_en=en, booking_id=booking.id)
        for contact in await notify.contacts(session, ids):
            recipients.append(contact | {"text": {"zh": zh, "en": en}})
        texts.append({"zh": zh, "en": en})
    payload = {
        "booking_id": booking.id,
        "code": booking.code,
        "event": kind,
        "status": booking.status,
        "previous": previous,
        "unit_id": booking.unit_id,
        "vehicle_id": booking.vehicle_id,
        "driver_id": booking.driver_id,
        "may_pool": booking.may_pool,
        "earliest_pickup": booking.earliest_pickup.isoformat(),
        "latest_arrival": booking.latest_arrival.isoformat(),
        "at": utcnow().isoformat(),
    }
    await notify.enqueue(session, TOPIC, payload, notice={"kind": kind, "recipients": recipients})


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
    earliest, latest = _aware(body.earliest_pickup, tz), _aware(body.latest_arrival, tz)
    unit, chain = await service.unit_chain(session, body.unit_id or principal.unit_id)
    principal.check_unit(unit, writing=True)
    rules.check_category(body.category, body.confidential)
    rules.check_leader(settings, principal, body.leader_trip)
    names = [n.strip() for n in body.passenger_names if n.strip()]
    if len(names) > body.passengers:
        raise BookingRefused(f"{len(names)} names for {body.passengers} passenger(s).", code="dispatch.passenger_names")
    min_seats = max(body.min_seats or 0, body.passengers + 1)
    rules.check_window(settings, earliest, latest, now)
    await rules.check_unit_may_use(session, settings, chain, body.category)
    await rules.check_seats(session, body.category, min_seats)
    await rules.check_not_sealed(session, chain, body.category, min_seats, earliest, latest)
    await rules.check_monthly_quota(session, settings, unit.id, earliest, tz)
    pickup, dropoff = LatLon(body.pickup.lat, body.pickup.lon), LatLon(body.dropoff.lat, body.dropoff.lon)
    estimate = await estimator.estimate(pickup, dropoff, earliest)
    rules.check_fits(settings, earliest, latest, estimate)
    beyond = beyond_city(settings, pickup, dropoff)

    actor, name = _actor(principal)
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
    await _announce(
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
        raise BookingNotFound(f"Booking {booking_id} not found.", details={"booking_id": booking_id})
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
            details={"booking_id": booking.id, "status": booking.status},
        )
    if booking.requester_id == principal.user_id:
        raise NotAnApprover("You cannot approve your own booking (不能审批本人的申请).", code="dispatch.own_booking")
    if level == 1:
        unit, _ = await service.unit_chain(session, booking.unit_id)
        if not principal.sees_path(unit.path):
            raise NotAnApprover(
                "Only an approver of the booking's unit gives the first approval.", code="dispatch.not_unit_approver"
            )
        return level
    first = await people.first_approval(session, booking.id)
    if first is not None and first.approver_id == principal.user_id:
        raise NotAnApprover(
            "A beyond-city trip needs a second approver; you gave the first approval (出市用车须另一位领导复核).",
            code="dispatch.same_approver",
        )
    needed = await people.senior_needed_rank(session, booking, settings)
    unit, _ = await service.unit_chain(session, booking.unit_id)
    if rules.rank_order(principal.rank) < needed or not (
        principal.sees_path(unit.path) or await people.is_senior(session, principal, settings)
    ):
        raise NotAnApprover(
            "A beyond-city trip needs the approval of a more senior leader (出市用车须上级领导审批).",
            code="dispatch.senior_required",
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
        )
    actor, _ = _actor(principal)
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
        await _announce(
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
    previous = await _step(session, booking, "approved", principal, "approved", note=reason, data={"level": level})
    await _announce(
        session, booking, "approved", previous, [([booking.requester_id], text("approved", "requester", booking, tz))]
    )
    return booking


async def reject(
    session: AsyncSession, principal: Principal, booking_id: int, reason: str, *, policy: Policy
) -> Booking:
    """Refuse the booking, with the reason the requester reads."""
    if not reason or len(reason.strip()) < 2:
        raise BookingRefused("Say why the booking is rejected (请填写驳回理由).", code="dispatch.reason_required")
    booking, level = await _approvable(session, principal, booking_id, policy.settings)
    actor, _ = _actor(principal)
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
    previous = await _step(session, booking, "rejected", principal, "rejected", note=reason.strip())
    first = await people.first_approval(session, booking.id)
    others = [first.approver_id] if first is not None and level == 2 else []
    message = text("rejected", "requester", booking, policy.timezone, reason=reason.strip())
    await _announce(session, booking, "rejected", previous, [([booking.requester_id, *others], message)])
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
            details={"booking_id": booking.id, "status": booking.status},
        )
    if booking.status in ("submitted", "approved", "assigned") and not await may_cancel(session, principal, booking):
        raise Forbidden(
            "Only the requester, an approver of the unit or a dispatcher can cancel this booking.",
            code="dispatch.cancel_forbidden",
        )
    former_driver = await people.driver_user(session, booking.driver_id)
    approvers = [a.approver_id for a in await service.approvals_of(session, booking.id) if a.decision == "approved"]
    await _release(session, booking, principal.user_id)
    was = booking.status
    previous = await _step(session, booking, "cancelled", principal, "cancelled", note=reason)
    concerned: list[int | None] = [booking.requester_id, *approvers, former_driver]
    if was in ("approved", "assigned"):
        concerned += await people.dispatchers(session)
    if was == "submitted":
        concerned += await people.unit_approvers(session, booking)
    concerned = [u for u in concerned if u != principal.user_id]
    message = text("cancelled", "any", booking, policy.timezone, reason=reason)
    await _announce(session, booking, "cancelled", previous, [(concerned, message)])
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


# -- dispatch's steps --------------------------------------------------------------------------------------


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
    _ensure(booking, "assigned")
    vehicle = await fleet.get_vehicle(session, None, vehicle_id)
    driver = await fleet.get_driver(session, None, driver_id)
    _check_car(booking, vehicle, driver, planned_pickup_at, planned_dropoff_at)
    seal = await fleet.active_seal(session, vehicle, planned_pickup_at, planned_dropoff_at)
    if seal is not None:
        raise RuleBroken(
            f"Car {vehicle.plate} is sealed (封存: {seal.reason}) at that time.",
            code="dispatch.vehicle_sealed",
            details={"vehicle_id": vehicle.id, "seal_id": seal.id},
        )
    if check_pooling:
        await _check_pooling(session, booking, vehicle.id, planned_pickup_at, planned_dropoff_at)
    former_driver = await people.driver_user(session, booking.driver_id) if booking.driver_id != driver_id else None
    kind = "reassigned" if booking.status == "assigned" else "assigned"
    booking.vehicle_id, booking.driver_id = vehicle.id, driver.id
    booking.planned_pickup_at, booking.planned_dropoff_at = planned_pickup_at, planned_dropoff_at
    previous = await _step(
        session, booking, "assigned", actor, kind, data={"vehicle_id": vehicle.id, "driver_id": driver.id}
    )
    driver_uid = driver.user_id
    details = {"plate": vehicle.plate, "driver": driver.name}
    await _announce(
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
            details={"vehicle_category": vehicle.category, "category": booking.category},
        )
    if vehicle.seats < booking.min_seats:
        raise RuleBroken(
            f"Car {vehicle.plate} has {vehicle.seats} seats; the booking needs {booking.min_seats}.",
            code="dispatch.vehicle_seats",
        )
    if vehicle.status not in ("available", "in_use"):
        raise RuleBroken(
            f"Car {vehicle.plate} is not in service ({vehicle.status}).", code="dispatch.vehicle_unavailable"
        )
    if vehicle.dedicated and not booking.leader_trip:
        raise RuleBroken(
            f"Car {vehicle.plate} is a leader's car (定向化保障); it serves leader trips only.",
            code="dispatch.dedicated_car",
        )
    if driver.status != "active":
        raise RuleBroken(f"Driver {driver.name} is not on duty ({driver.status}).", code="dispatch.driver_unavailable")
    if not (
        dropoff_at > pickup_at
        and pickup_at >= booking.earliest_pickup - PLAN_TOLERANCE
        and dropoff_at <= booking.latest_arrival + PLAN_TOLERANCE
    ):
        raise RuleBroken(
            "The planned pick-up and drop-off must lie within the booking's window.",
            code="dispatch.plan_outside_window",
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
            details={"booking_id": booking.id, "status": booking.status, "wanted": "approved"},
        )
    former_driver = await people.driver_user(session, booking.driver_id)
    booking.vehicle_id = booking.driver_id = None
    booking.planned_pickup_at = booking.planned_dropoff_at = None
    previous = await _step(session, booking, "approved", actor, "unassigned", note=reason)
    await _announce(
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
    previous = await _step(session, booking, "in_progress", actor, "in_progress")
    await _announce(
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
        raise BookingRefused("Kilometres driven cannot be negative.", code="dispatch.bad_km")
    booking = await service.get_booking(session, booking_id, lock=True)
    _ensure(booking, "completed")
    booking.actual_km = actual_km
    booking.telematics_trip_id = trip_id
    previous = await _step(
        session, booking, "completed", actor, "completed", data={"actual_km": actual_km, "trip_id": trip_id}
    )
    await _announce(
        session, booking, "completed", previous, [([booking.requester_id], text("completed", "", booking, tz))]
    )
    return booking


async def user_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {i: n for i, n in rows}
