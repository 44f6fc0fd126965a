"""Background work of supervision: audit every finished trip from ``telematics.trips`` (consumer group
``supervision.trips``), and the nightly audit of yesterday after ``nightly_hour`` (once per day across processes:
a day with a nightly run is not run again)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gongwu.core.events import Delivery
from gongwu.core.events.consumer import Consumer
from gongwu.dispatch.supervision.audit import Auditor
from gongwu.dispatch.supervision.models import AuditRun
from gongwu.dispatch.supervision.settings import SupervisionSettings
from gongwu.telematics import topics

__all__ = ["background_tasks"]

log = logging.getLogger(__name__)
Task = Callable[[Any, asyncio.Event], Awaitable[None]]


def _auditor(platform: Any, routing: Callable[[], Any] | None) -> Auditor:
    settings = getattr(platform.settings, "supervision", None)
    return Auditor(
        platform.db,
        settings if isinstance(settings, SupervisionSettings) else SupervisionSettings(),
        platform.settings.core.local_timezone,
        routing() if routing else None,
    )


def background_tasks(settings: SupervisionSettings, *, routing: Callable[[], Any] | None = None) -> list[Task]:
    tasks: list[Task] = []

    async def trips(platform: Any, stop: asyncio.Event) -> None:
        auditor = _auditor(platform, routing)

        async def handle(deliveries: Sequence[Delivery]) -> None:
            for d in deliveries:
                trip = d.payload.get("trip") or {}
                if d.payload.get("kind") == "ended" and trip.get("id"):
                    await auditor.audit_trip(int(trip["id"]))

        name = f"{socket.gethostname()}-{os.getpid()}"
        await Consumer(platform.bus, topics.TRIPS, "supervision.trips", name, handle, batch=100).run(stop)

    async def nightly(platform: Any, stop: asyncio.Event) -> None:
        auditor = _auditor(platform, routing)
        zone = ZoneInfo(platform.settings.core.local_timezone)
        with contextlib.suppress(TimeoutError):  # not in the way of start-up
            await asyncio.wait_for(stop.wait(), 60)
        while not stop.is_set():
            try:
                now = datetime.now(UTC).astimezone(zone)
                yesterday = (now - timedelta(days=1)).date()
                if now.hour >= settings.nightly_hour:
                    async with platform.db.session() as session:
                        done = await session.scalar(
                            select(AuditRun.id).where(AuditRun.kind == "nightly", AuditRun.day == yesterday).limit(1)
                        )
                    if not done:
                        run = await auditor.audit_day(yesterday)
                        log.info("nightly audit of %s: %s findings in %.1f s", yesterday, run.findings, run.seconds)
            except Exception:
                log.exception("nightly audit failed; trying again later")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 300)

    if settings.trips_enabled:
        tasks.append(trips)
    if settings.nightly_enabled:
        tasks.append(nightly)
    return tasks
