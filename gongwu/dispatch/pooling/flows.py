"""Pooled dispatch's use cases: run the planner (gather → matrix → solve in the worker → check → store a
proposal) and accept a proposal (the booking flows assign, re-assign and take back in one transaction); the
dispatcher's overrides are in :mod:`.overrides`. None commits: the route or the background task ends the unit
of work with :func:`gongwu.dispatch.bookings.flows.commit`.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
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
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.pooling import service
from gongwu.dispatch.pooling.drafts import PlanDraft, draft
from gongwu.dispatch.pooling.errors import PlanOutdated, PlanRejected
from gongwu.dispatch.pooling.inputs import Sources, gather
from gongwu.dispatch.pooling.models import PLAN_STATUSES, DispatchPlan, PlanStop, PlanUnserved
from gongwu.dispatch.pooling.problem import REASONS, build, points_of
from gongwu.dispatch.pooling.verify import check_plan
from gongwu.dispatch.pooling.worker import solve_off_loop
from gongwu.routing.service import RoutingService
from gongwu.routing.straight import StraightLineTravelTimes
from gongwu.routing.types import LatLon, MatrixResult
from gongwu.routing.vrp import Solution, SolveStats, check

__all__ = ["Accepted", "Outcome", "accept", "run_plan"]

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
            message_zh=f"调度方案 {plan.id} 当前为“{PLAN_STATUSES[plan.status][0]}”，只能接受最新的待确认方案。",
            details={"plan_id": plan.id, "status": plan.status},
        )
    stops = await service.stops_of(session, plan.id)
    unserved = await service.unserved_of(session, plan.id)
    ids = sorted({s.booking_id for s in stops} | {u.booking_id for u in unserved})
    rows = {b.id: b for b in (await session.scalars(select(Booking).where(Booking.id.in_(ids)))).all()}
    _check_fresh(plan, [*stops, *unserved], rows)
    result = Accepted(plan, [], [], [], [])
    tasks = await driving.tasks_by_booking(session, ids)
    for u in unserved:
        booking = rows.get(u.booking_id)
        task = tasks.get(u.booking_id)
        if booking is None or booking.status != "assigned" or (task is not None and task.step != "assigned"):
            continue  # started legs are never taken back
        zh, en = REASONS.get(u.reason, (u.reason, u.reason))
        await bookings.unassign(session, booking.id, actor=actor, reason=f"{zh} ({en})", policy=policy)
        result.unassigned.append(booking.id)
    await _assign(session, stops, rows, result, policy=policy, actor=actor, retime=retime)
    in_force = await service.plan_in_force(session)
    if in_force is not None:
        in_force.status, in_force.superseded_at = "superseded", now
    plan.status, plan.accepted_at = "accepted", now
    plan.accepted_by = actor.user_id if isinstance(actor, Principal) else None
    await session.flush()
    who = actor if isinstance(actor, Actor) else Actor(actor.user_id, actor.username) if actor else None
    audit.set_actor(session, who or Actor(None, "dispatch"), context="dispatch.plan.accept")
    moves = {"assigned": result.assigned, "reassigned": result.reassigned, "unassigned": result.unassigned}
    await audit.record(session, "dispatch.plan.accept", "dispatch_plan", plan.id, moves | {"kept": len(result.kept)})
    return result


def _check_fresh(plan: DispatchPlan, rows_of_plan: Sequence[PlanStop | PlanUnserved], rows: dict[int, Booking]) -> None:
    """Every booking the plan moves still has the car it had when the plan was made."""
    for s in rows_of_plan:
        booking = rows.get(s.booking_id)
        if booking is None or booking.status not in ("approved", "assigned"):
            continue
        if booking.vehicle_id != s.previous_vehicle_id:
            raise PlanOutdated(
                f"Booking {booking.code} got another car since plan {plan.id} was made; run the planner again.",
                message_zh=f"调度方案 {plan.id} 生成后，用车申请 {booking.code} 已改派其他车辆，请重新运行优化。",
                details={"plan_id": plan.id, "booking_id": booking.id},
            )


async def _assign(
    session: AsyncSession,
    stops: Sequence[PlanStop],
    rows: dict[int, Booking],
    result: Accepted,
    *,
    policy: bookings.Policy,
    actor: Principal | Actor | None,
    retime: timedelta,
) -> None:
    """Assign new bookings, re-assign moved ones, re-time those whose pick-up moved more than ``retime``."""
    picks = {s.booking_id: s for s in stops if s.kind == "pickup"}
    drops = {s.booking_id: s for s in stops if s.kind == "dropoff"}
    for booking_id, drop in sorted(drops.items()):
        booking, pick = rows.get(booking_id), picks.get(booking_id)
        if booking is None or pick is None or booking.status not in ("approved", "assigned"):
            continue  # a rider aboard, or a booking cancelled since
        same = booking.vehicle_id == drop.vehicle_id and booking.driver_id == drop.driver_id
        moved = booking.planned_pickup_at is None or abs(booking.planned_pickup_at - pick.start_at) > retime
        if booking.status == "assigned" and same and not moved:
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
            check_pooling=False,  # the whole plan was checked; its intermediate states may overlap
        )
        (result.assigned if was == "approved" else result.reassigned).append(booking_id)
