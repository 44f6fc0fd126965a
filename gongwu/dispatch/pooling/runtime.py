"""Background work of pooled dispatch: the rolling planner, and the assigned trips charging plans for.

The planner re-plans every ``replan_every_s`` and shortly after a booking is approved, cancelled, started or
completed (``dispatch.bookings``), storing a proposal when the plan would change; with ``auto_accept`` it puts
each new proposal in force at once. Run it in one process of a deployment (``GONGWU_POOLING_PLANNER_ENABLED=0``
on the others); every process still plans on demand.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.errors import DomainError
from gongwu.core.events import Consumer, Delivery
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.charging.sources import AssignedTrip, NoTrips, set_trip_source, trip_source
from gongwu.dispatch.pooling import flows, service
from gongwu.dispatch.pooling.router import announce_change, sources_of
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.routing.service import RoutingService

__all__ = ["BookingTrips", "background_tasks", "plan_once"]

log = logging.getLogger(__name__)

Task = Callable[[Any, asyncio.Event], Awaitable[None]]
WAKE_ON = {"approved", "cancelled", "in_progress", "completed"}
"""Booking events that change what there is to plan (assignments are the planner's own)."""


class BookingTrips:
    """The trips charging plans for: assigned bookings and those under way, leaving in ``[start, end)``.

    A car leaves a quarter of an hour before its planned pick-up and is back one direct drive after the drop-off;
    it drives there and back (twice the routed kilometres, plus two for the approach)."""

    async def upcoming(self, session: AsyncSession, start: datetime, end: datetime) -> Sequence[AssignedTrip]:
        rows = (
            await session.scalars(
                select(Booking).where(
                    Booking.status.in_(("assigned", "in_progress")),
                    Booking.vehicle_id.is_not(None),
                    Booking.planned_pickup_at.is_not(None),
                )
            )
        ).all()
        out = []
        for b in rows:
            assert b.vehicle_id is not None and b.planned_pickup_at is not None
            leave = b.planned_pickup_at - timedelta(minutes=15)
            if not start <= leave < end:
                continue
            back = (b.planned_dropoff_at or b.latest_arrival) + timedelta(minutes=b.estimated_minutes)
            out.append(
                AssignedTrip(
                    trip_id=f"booking-{b.id}",
                    vehicle_id=b.vehicle_id,
                    departure=leave,
                    return_time=back,
                    distance_km=2 * b.estimated_km + 2.0,
                    label=b.code,
                )
            )
        return out


def background_tasks(settings: PoolingSettings, *, routing: Callable[[], RoutingService | None]) -> list[Task]:
    """What the composition root starts: the rolling planner (if enabled). Registers the bookings as charging's
    trip source unless another source (the demo's) is registered already."""
    if isinstance(trip_source(), NoTrips):
        set_trip_source(BookingTrips())
    if not settings.planner_enabled:
        return []

    async def planner(platform: Any, stop: asyncio.Event) -> None:
        await rolling(platform, stop, routing)

    return [planner]


async def plan_once(platform: Any, routing: RoutingService | None, trigger: str) -> None:
    """One rolling batch: plan, store a changed proposal, accept it when auto-accept is on."""
    sources = sources_of(platform)
    async with platform.db.session() as session:
        outcome = await flows.run_plan(session, sources, routing, trigger=trigger)
        if outcome.plan is not None and not outcome.unchanged and sources.pooling.auto_accept:
            policy = bookings.Policy(sources.dispatch, platform.settings.core.local_timezone)
            retime = timedelta(minutes=sources.pooling.retime_minutes)
            await flows.accept(session, outcome.plan.id, policy=policy, actor=None, retime=retime)
            await bookings.commit(session, platform.bus)
            await announce_change(platform, "plan accepted")
        else:
            await session.commit()


async def rolling(platform: Any, stop: asyncio.Event, routing: Callable[[], RoutingService | None]) -> None:
    settings = sources_of(platform).pooling
    wake = asyncio.Event()

    async def on_booking(deliveries: Sequence[Delivery]) -> None:
        if any(d.payload.get("event") in WAKE_ON for d in deliveries):
            wake.set()

    name = f"{socket.gethostname()}-{os.getpid()}"
    consumer = Consumer(platform.bus, bookings.TOPIC, "dispatch.pooling", name, on_booking)
    listening = asyncio.create_task(consumer.run(stop))
    trigger = "timer"
    cleaned = datetime.min
    try:
        while not stop.is_set():
            try:
                await plan_once(platform, routing(), trigger)
            except DomainError as exc:
                log.warning("pooling: no plan this round: %s", exc)
            except Exception:
                log.exception("pooling: planning failed")
            if datetime.now() - cleaned > timedelta(hours=1):
                cleaned = datetime.now()
                await _clean(platform, settings)
            wake.clear()
            waiter, stopper = asyncio.create_task(wake.wait()), asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait(
                {waiter, stopper}, timeout=settings.replan_every_s, return_when="FIRST_COMPLETED"
            )
            waiter.cancel()
            stopper.cancel()
            trigger = "change" if waiter in done else "timer"
            if waiter in done and settings.replan_debounce_s:
                pause = asyncio.create_task(stop.wait())
                await asyncio.wait({pause}, timeout=settings.replan_debounce_s)
                pause.cancel()
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)


async def _clean(platform: Any, settings: PoolingSettings) -> None:
    try:
        async with platform.db.session() as session:
            gone = await service.forget_old_plans(session, timedelta(days=settings.keep_plans_days))
            await session.commit()
        if gone:
            log.info("pooling: %d old proposals deleted", gone)
    except Exception:
        log.exception("pooling: cleaning old plans failed")
