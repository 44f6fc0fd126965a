"""Pooled dispatch's use cases: run the planner (gather → matrix → solve in the worker → check → store a
proposal), accept a proposal (the booking flows assign, re-assign and take back in one transaction), and the
dispatcher's overrides. None commits: the route or the background task ends the unit of work with
:func:`gongwu.dispatch.bookings.flows.commit`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.db import utcnow
from gongwu.core.errors import DomainError
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.errors import BadTransition
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.pooling import service
from gongwu.dispatch.pooling.errors import OverrideRefused, PlanOutdated, PlanRejected
from gongwu.dispatch.pooling.inputs import IN_SERVICE, Sources, gather
from gongwu.dispatch.pooling.models import DispatchPlan, Override, PlanStop, PlanUnserved
from gongwu.dispatch.pooling.problem import REASONS, PlanDraft, build, draft, points_of
from gongwu.dispatch.pooling.verify import check_plan
from gongwu.dispatch.pooling.worker import solve_off_loop
from gongwu.routing.service import RoutingService
from gongwu.routing.straight import StraightLineTravelTimes
from gongwu.routing.types import LatLon, MatrixResult
from gongwu.routing.vrp import Solution, SolveStats, check

__all__ = ["Accepted", "Outcome", "accept", "create_override", "remove_override", "run_plan"]

log = logging.getLogger(__name__)

_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _locks.get(loop)
    if lock is None:
        lock = _locks[loop] = asyncio.Lock()
    return lock


@dataclass(frozen=True)
class Outcome:
    plan: DispatchPlan | None
    unchanged: bool
    """The solve found the plan already proposed (or in force): nothing new was stored."""


def _matrix(routing: RoutingService | None, points: list[LatLon], now: datetime) -> MatrixResult:
    if routing is not None:
        try:
            return routing.matrix(points, points, now)
        except DomainError as exc:  # no map imported: plan on straight-line estimates rather than not at all
            log.warning("pooling: %s; planning on straight-line estimates", exc)
        except Exception:  # an engine down
            log.warning("pooling: routing matrix failed; planning on straight-line estimates", exc_info=True)
    return StraightLineTravelTimes().matrix(points, points, now)


async def run_plan(
    session: AsyncSession,
    sources: Sources,
    routing: RoutingService | None,
    *,
    trigger: str,
    actor: Principal | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Plan the open bookings now and store the result as a proposal (unless it is the plan already proposed
    or in force). Waits for a plan another caller of this process is making."""
    async with _lock():
        now = (now or utcnow()).replace(microsecond=0)
        inp = await gather(session, sources, now)
        points = points_of(inp)
        result = await asyncio.to_thread(_matrix, routing, points, now) if points else None
        durations = result.durations_s if result is not None else np.zeros((0, 0))
        distances = result.distances_m if result is not None else np.zeros((0, 0))
        built = build(inp, durations, distances)
        cfg = sources.pooling
        if built.problem.requests:
            solution, violations = await solve_off_loop(
                built.problem,
                cfg.time_limit_s,
                previous=built.previous,
                stability=inp.rules.stability_m,
                workers=cfg.solver_workers,
            )
        else:  # nothing to route: no worker needed
            solution = Solution((), (), 0.0, 0.0, SolveStats(method="empty", verified=True))
            violations = check(built.problem, solution)
        if violations:
            log.error("pooling: the optimizer's plan failed the check: %s", violations[:5])
            raise PlanRejected(details={"violations": [f"{v.kind}: {v.detail}" for v in violations[:10]]})
        plan_draft = draft(built, solution, inp.jobs)
        findings = check_plan(
            plan_draft.stops, {j.booking_id: j for j in inp.jobs}, {c.vehicle_id: c for c in inp.cars}
        )
        if findings:
            log.error("pooling: the plan failed the booking-level check: %s", findings[:5])
            raise PlanRejected(details={"violations": [f"{f.booking_id}: {f.what}" for f in findings[:10]]})
        latest = await service.latest_proposal(session)
        if latest is not None and latest.signature == plan_draft.signature:
            return Outcome(latest, True)
        in_force = await service.plan_in_force(session)
        if latest is None and in_force is not None and in_force.signature == plan_draft.signature:
            return Outcome(in_force, True)
        stats = _stats(solution.stats, inp, built.problem, result, plan_draft)
        plan = await service.save_plan(
            session,
            plan_draft,
            trigger=trigger,
            created_by=actor.user_id if actor is not None else None,
            stats=stats,
            created_at=now,
        )
        return Outcome(plan, False)


def _stats(s: Any, inp: Any, problem: Any, result: MatrixResult | None, plan: PlanDraft) -> dict[str, Any]:
    return {
        "method": s.method,
        "wall_s": round(s.wall_s, 3),
        "iterations": s.iterations,
        "workers": s.workers,
        "verified": s.verified,
        "notes": list(s.notes),
        "bookings": len(inp.jobs),
        "requests": len(problem.requests),
        "cars_in_service": len(inp.cars),
        "cars_planned": len(problem.vehicles),
        "drivers": len(inp.drivers),
        "engine": result.engine if result is not None else None,
        "approximate": bool(result.approximate.any()) if result is not None and result.approximate.size else False,
        "routes": len(plan.routes),
    }


# -- accept -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    plan: DispatchPlan
    assigned: list[int]
    reassigned: list[int]
    unassigned: list[int]
    kept: list[int]


async def accept(
    session: AsyncSession,
    plan_id: int,
    *,
    policy: bookings.Policy,
    actor: Principal | Actor | None,
    retime: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> Accepted:
    """Put the proposal in force: take back the cars of bookings it leaves out, then assign and re-assign;
    the plan in force before is superseded. Refused (nothing changed) when the plan is not the latest proposal
    or a booking's car changed since it was made."""
    now = now or utcnow()
    plan = await service.get_plan(session, plan_id, lock=True)
    if plan.status != "proposed":
        raise PlanOutdated(
            f"Plan {plan.id} is {plan.status}; only the latest proposal can be accepted.",
            details={"plan_id": plan.id, "status": plan.status},
        )
    stops = await service.stops_of(session, plan.id)
    unserved = await service.unserved_of(session, plan.id)
    ids = sorted({s.booking_id for s in stops} | {u.booking_id for u in unserved})
    rows = {b.id: b for b in (await session.scalars(select(Booking).where(Booking.id.in_(ids)))).all()}
    tasks = await driving.tasks_by_booking(session, ids)
    checked: list[PlanStop | PlanUnserved] = [*stops, *unserved]
    for s in checked:
        booking = rows.get(s.booking_id)
        if (
            booking is not None
            and booking.status in ("approved", "assigned")
            and (booking.vehicle_id != s.previous_vehicle_id)
        ):
            raise PlanOutdated(
                f"Booking {booking.code} got another car since plan {plan.id} was made; run the planner again.",
                details={"plan_id": plan.id, "booking_id": booking.id},
            )
    result = Accepted(plan, [], [], [], [])
    for u in unserved:
        booking = rows.get(u.booking_id)
        task = tasks.get(u.booking_id)
        if booking is None or booking.status != "assigned" or (task is not None and task.step != "assigned"):
            continue
        zh, en = REASONS.get(u.reason, (u.reason, u.reason))
        await bookings.unassign(session, booking.id, actor=actor, reason=f"{zh} ({en})", policy=policy)
        result.unassigned.append(booking.id)
    first: dict[int, Any] = {}
    last: dict[int, Any] = {}
    for s in stops:
        if s.kind == "pickup":
            first[s.booking_id] = s
        else:
            last[s.booking_id] = s
    for booking_id, drop in sorted(last.items()):
        booking = rows.get(booking_id)
        pick = first.get(booking_id)
        if booking is None or pick is None or booking.status not in ("approved", "assigned"):
            continue
        same = booking.vehicle_id == drop.vehicle_id and booking.driver_id == drop.driver_id
        moved_time = booking.planned_pickup_at is None or abs(booking.planned_pickup_at - pick.start_at) > retime
        if booking.status == "assigned" and same and not moved_time:
            result.kept.append(booking_id)
            continue
        was = booking.status
        await bookings.mark_assigned(
            session,
            booking_id,
            vehicle_id=drop.vehicle_id,
            driver_id=drop.driver_id,
            planned_pickup_at=pick.start_at,
            planned_dropoff_at=drop.start_at,
            actor=actor,
            policy=policy,
            check_pooling=False,
        )
        (result.assigned if was == "approved" else result.reassigned).append(booking_id)
    in_force = await service.plan_in_force(session)
    if in_force is not None:
        in_force.status, in_force.superseded_at = "superseded", now
    plan.status, plan.accepted_at = "accepted", now
    plan.accepted_by = actor.user_id if isinstance(actor, Principal) else None
    await session.flush()
    who = (
        actor
        if isinstance(actor, Actor)
        else Actor(actor.user_id, actor.username)
        if actor
        else Actor(None, "dispatch")
    )
    audit.set_actor(session, who, context="dispatch.plan.accept")
    await audit.record(
        session,
        "dispatch.plan.accept",
        "dispatch_plan",
        plan.id,
        {
            "assigned": result.assigned,
            "reassigned": result.reassigned,
            "unassigned": result.unassigned,
            "kept": len(result.kept),
        },
    )
    return result


# -- overrides --------------------------------------------------------------------------------------------


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
    from gongwu.dispatch.bookings import service as booking_service

    booking = await booking_service.get_booking(session, booking_id, lock=True)
    if booking.status not in ("approved", "assigned"):
        zh, en = STATUSES[booking.status]
        raise BadTransition(
            f"Booking {booking.code} is {en.lower()} ({zh}); only approved or assigned bookings can be dispatched by "
            "hand.",
            code="dispatch.override_closed",
            details={"booking_id": booking.id, "status": booking.status},
        )
    task = await driving.task_of(session, booking.id)
    if task is not None and task.step != "assigned" and task.vehicle_id == booking.vehicle_id:
        raise BadTransition(
            f"The driver has started booking {booking.code} ({task.step}); it stays on its car.",
            code="dispatch.leg_started",
            details={"booking_id": booking.id, "step": task.step},
        )
    if kind not in ("pin", "hold"):
        raise OverrideRefused(
            "An override pins a booking to a car or holds it (pin, hold).", code="dispatch.bad_override"
        )
    if kind == "pin":
        if vehicle_id is None:
            raise OverrideRefused("Say which car the booking is pinned to.", code="dispatch.override_vehicle_required")
        await _check_pin(session, booking, vehicle_id, driver_id)
    elif vehicle_id is not None or driver_id is not None:
        raise OverrideRefused("A hold names no car or driver.", code="dispatch.bad_override")
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
    from gongwu.core.errors import NotFound

    try:
        car = await fleet.get_vehicle(session, None, vehicle_id)
    except NotFound:
        raise OverrideRefused(f"Car {vehicle_id} does not exist.", code="dispatch.vehicle_not_found") from None
    details = {"vehicle_id": car.id, "booking_id": booking.id}
    if car.category != booking.category:
        raise OverrideRefused(
            f"Car {car.plate} is not of the category booking {booking.code} asks for (车辆类别不符).",
            code="dispatch.vehicle_category",
            details=details | {"vehicle_category": car.category, "category": booking.category},
        )
    if car.seats < booking.min_seats:
        raise OverrideRefused(
            f"Car {car.plate} has {car.seats} seats; booking {booking.code} needs {booking.min_seats} (座位不足).",
            code="dispatch.vehicle_seats",
            details=details | {"seats": car.seats, "min_seats": booking.min_seats},
        )
    if car.dedicated and not booking.leader_trip:
        raise OverrideRefused(
            f"Car {car.plate} is a leader's car (定向化保障); it serves leader trips only.",
            code="dispatch.dedicated_car",
            details=details,
        )
    if car.status not in IN_SERVICE:
        raise OverrideRefused(
            f"Car {car.plate} is not in service ({car.status}).", code="dispatch.vehicle_unavailable", details=details
        )
    seal = await fleet.active_seal(session, car, booking.earliest_pickup, booking.latest_arrival)
    if seal is not None:
        raise OverrideRefused(
            f"Car {car.plate} is sealed (封存: {seal.reason}) during the trip.",
            code="dispatch.vehicle_sealed",
            details=details | {"seal_id": seal.id},
        )
    if driver_id is not None:
        try:
            driver = await fleet.get_driver(session, None, driver_id)
        except NotFound:
            raise OverrideRefused(f"Driver {driver_id} does not exist.", code="dispatch.driver_not_found") from None
        if driver.status != "active":
            raise OverrideRefused(
                f"Driver {driver.name} is not on duty ({driver.status}).",
                code="dispatch.driver_unavailable",
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
