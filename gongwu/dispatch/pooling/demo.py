"""The demo bureau's dispatch: a handful of approved trips this morning and afternoon (two of them going the
same way, so the optimizer pools them), planned once and put in force, so the demo drivers have tasks and the
dispatcher a plan to look at. Seeded after the bookings demo; idempotent (nothing when a plan exists).

Travel times are straight-line estimates when no map is imported yet (``make run`` imports it after seeding);
the cars start at the depot (the bureau) until the simulator drives them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor
from gongwu.core.db import Database, utcnow
from gongwu.core.errors import DomainError
from gongwu.core.identity.models import User
from gongwu.core.identity.service import load_principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.demo import PLACES
from gongwu.dispatch.bookings.estimates import StraightLineEstimator
from gongwu.dispatch.bookings.schemas import BookingIn, StopIn
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.pooling import flows, worker
from gongwu.dispatch.pooling.inputs import Sources
from gongwu.dispatch.pooling.models import DispatchPlan
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.service import RoutingService

__all__ = ["TRIPS", "seed_dispatch"]

log = logging.getLogger(__name__)

# (requester, approver, purpose, from place, to place, minutes from now to the earliest pick-up, passengers)
TRIPS = [
    ("fgw-chief", "fgw-leader", "赴火车站送国家发改委调研组", 1, 5, 70, 2),
    ("czj-chief", "czj-leader", "赴火车站接省财政厅检查组", 2, 5, 75, 1),
    ("sthj-chief", "sthj-leader", "参加滨海会展中心环保产业博览会", 3, 7, 100, 3),
    ("yjgl-chief", "yjgl-leader", "赴市政府会议中心参加防汛调度会", 4, 6, 130, 2),
    ("fgw-admin", "fgw-leader", "向市财政局报送年度预算材料", 1, 2, 200, 1),
    ("czj-admin", "czj-leader", "赴生态环境局会商专项资金", 2, 3, 260, 2),
]


async def seed_dispatch(
    db: Database,
    dispatch: DispatchSettings,
    timezone: str = "Asia/Shanghai",
    *,
    routing: RoutingService | None = None,
    now: datetime | None = None,
) -> bool:
    """Approved demo trips, one plan, accepted. False when a plan exists already."""
    policy = bookings.Policy(dispatch.model_copy(update={"city_area": None}), timezone)
    now = (now or utcnow()).replace(second=0, microsecond=0)
    async with db.session() as session:
        if await session.scalar(select(func.count(DispatchPlan.id))):
            return False
        for requester, approver, purpose, frm, to, minutes, passengers in TRIPS:
            try:
                who = await load_principal(session, await _user(session, requester))
                boss = await load_principal(session, await _user(session, approver))
                a, b = PLACES[frm], PLACES[to]
                start = now + timedelta(minutes=minutes)
                body = BookingIn(
                    purpose=purpose,
                    passengers=passengers,
                    pickup=StopIn(lat=a[3], lon=a[4], address=a[0]),
                    dropoff=StopIn(lat=b[3], lon=b[4], address=b[0]),
                    earliest_pickup=start,
                    latest_arrival=start + timedelta(minutes=45),
                )
                booking = await bookings.submit_booking(
                    session, who, body, policy=policy, estimator=StraightLineEstimator(), now=now
                )
                await bookings.approve(session, boss, booking.id, policy=policy, reason="同意", now=now)
                await session.commit()
            except (DomainError, LookupError) as exc:  # a sealed day, a missing demo user: leave that trip out
                await session.rollback()
                log.warning("demo trip %r left out: %s", purpose, exc)
        sources = Sources(PoolingSettings(time_limit_s=1.0), dispatch, ChargingSettings(), None)
        try:
            outcome = await flows.run_plan(session, sources, routing, trigger="demo", now=now)
            if outcome.plan is not None:
                await flows.accept(session, outcome.plan.id, policy=policy, actor=Actor(None, "dispatcher"))
            await bookings.commit(session, None)
        except DomainError as exc:
            await session.rollback()
            log.warning("demo plan left out: %s", exc)
            return False
        finally:
            worker.shutdown()  # the seeding command plans once
    return True


async def _user(session: AsyncSession, username: str) -> int:
    uid = await session.scalar(select(User.id).where(User.username == username))
    if uid is None:
        raise LookupError(f"demo user {username} is missing")
    return int(uid)
