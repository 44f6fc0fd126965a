"""The pooling tables: store a plan, find the latest proposal and the plan in force, read a plan's routes and
stops, keep the overrides. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.dispatch.pooling.drafts import PlanDraft
from gongwu.dispatch.pooling.errors import OverrideNotFound, PlanNotFound
from gongwu.dispatch.pooling.models import DispatchPlan, Override, PlanRoute, PlanStop, PlanUnserved

__all__ = [
    "active_overrides",
    "forget_old_plans",
    "get_override",
    "get_plan",
    "latest_proposal",
    "plan_in_force",
    "routes_of",
    "save_plan",
    "stops_of",
    "unserved_of",
]


async def save_plan(
    session: AsyncSession,
    draft: PlanDraft,
    *,
    trigger: str,
    created_by: int | None,
    stats: dict[str, Any],
    created_at: datetime | None = None,
) -> DispatchPlan:
    """Store a checked plan as a proposal; older proposals are superseded."""
    now = created_at or utcnow()
    await session.execute(
        update(DispatchPlan)
        .where(DispatchPlan.status == "proposed")
        .values(status="superseded", superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    plan = DispatchPlan(
        created_at=now,
        status="proposed",
        trigger=trigger,
        created_by=created_by,
        cost=round(draft.cost, 3),
        distance_km=draft.distance_km,
        served=len({s.booking_id for s in draft.stops}),
        unserved=len(draft.unserved),
        moved=draft.moved,
        verified=True,
        signature=draft.signature,
        stats=stats,
    )
    session.add(plan)
    await session.flush()
    session.add_all(
        PlanRoute(
            plan_id=plan.id,
            vehicle_id=r.vehicle_id,
            driver_id=r.driver_id,
            start_lat=r.start.lat,
            start_lon=r.start.lon,
            start_source=r.start_source,
            depart_at=r.depart_at,
            finish_at=r.finish_at,
            distance_km=r.distance_km,
            readiness=r.readiness,
        )
        for r in draft.routes
    )
    session.add_all(
        PlanStop(
            plan_id=plan.id,
            vehicle_id=s.vehicle_id,
            driver_id=s.driver_id,
            sequence=s.sequence,
            booking_id=s.booking_id,
            kind=s.kind,
            lat=s.place.lat,
            lon=s.place.lon,
            arrive_at=s.arrive_at,
            start_at=s.start_at,
            load_after=s.load_after,
            previous_vehicle_id=s.previous_vehicle_id,
            locked=s.locked,
        )
        for s in draft.stops
    )
    session.add_all(
        PlanUnserved(plan_id=plan.id, booking_id=b, reason=reason, message=reason, previous_vehicle_id=previous)
        for b, reason, previous in draft.unserved
    )
    await session.flush()
    return plan


async def get_plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> DispatchPlan:
    query = select(DispatchPlan).where(DispatchPlan.id == plan_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    plan = await session.scalar(query)
    if plan is None:
        raise PlanNotFound(
            f"Plan {plan_id} not found.", message_zh=f"未找到调度方案 {plan_id}。", details={"plan_id": plan_id}
        )
    return plan


async def latest_proposal(session: AsyncSession) -> DispatchPlan | None:
    query = select(DispatchPlan).where(DispatchPlan.status == "proposed").order_by(DispatchPlan.id.desc()).limit(1)
    plan: DispatchPlan | None = await session.scalar(query)
    return plan


async def plan_in_force(session: AsyncSession) -> DispatchPlan | None:
    query = select(DispatchPlan).where(DispatchPlan.status == "accepted").order_by(DispatchPlan.id.desc()).limit(1)
    plan: DispatchPlan | None = await session.scalar(query)
    return plan


async def routes_of(session: AsyncSession, plan_id: int) -> Sequence[PlanRoute]:
    query = select(PlanRoute).where(PlanRoute.plan_id == plan_id).order_by(PlanRoute.vehicle_id)
    return (await session.scalars(query)).all()


async def stops_of(
    session: AsyncSession, plan_id: int, *, vehicle_id: int | None = None, driver_id: int | None = None
) -> Sequence[PlanStop]:
    query = select(PlanStop).where(PlanStop.plan_id == plan_id)
    if vehicle_id is not None:
        query = query.where(PlanStop.vehicle_id == vehicle_id)
    if driver_id is not None:
        query = query.where(PlanStop.driver_id == driver_id)
    return (await session.scalars(query.order_by(PlanStop.vehicle_id, PlanStop.sequence))).all()


async def unserved_of(session: AsyncSession, plan_id: int) -> Sequence[PlanUnserved]:
    query = select(PlanUnserved).where(PlanUnserved.plan_id == plan_id).order_by(PlanUnserved.booking_id)
    return (await session.scalars(query)).all()


async def forget_old_plans(session: AsyncSession, older_than: timedelta) -> int:
    """Delete proposals and superseded plans older than ``older_than`` (never the plan in force)."""
    cutoff = utcnow() - older_than
    old = select(DispatchPlan.id).where(DispatchPlan.status != "accepted", DispatchPlan.created_at < cutoff)
    ids = list((await session.scalars(old)).all())
    if not ids:
        return 0
    for table in (PlanStop, PlanRoute, PlanUnserved):
        await session.execute(delete(table).where(table.plan_id.in_(ids)))
    await session.execute(delete(DispatchPlan).where(DispatchPlan.id.in_(ids)))
    return len(ids)


# -- overrides --------------------------------------------------------------------------------------------


async def active_overrides(session: AsyncSession, booking_ids: Sequence[int] | None = None) -> Sequence[Override]:
    query = select(Override).where(Override.active.is_(True))
    if booking_ids is not None:
        query = query.where(Override.booking_id.in_(booking_ids))
    return (await session.scalars(query.order_by(Override.id))).all()


async def get_override(session: AsyncSession, override_id: int) -> Override:
    override = await session.get(Override, override_id)
    if override is None:
        raise OverrideNotFound(
            f"Override {override_id} not found.",
            message_zh=f"未找到人工指定 {override_id}。",
            details={"override_id": override_id},
        )
    return override
