"""Background work of running costs: settle every completed booking from the bus (topic ``dispatch.bookings``,
consumer group ``costs.settle``; at least once, and settling is idempotent), and hourly: link the day's charging
sessions and drivers' expenses, accrue the current month (depreciation, fixed shares) and close months that are
due (``close_after_days`` into the next month)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from gongwu.core.events import Delivery
from gongwu.core.events.consumer import Consumer
from gongwu.dispatch.bookings.lifecycle import TOPIC as BOOKINGS
from gongwu.dispatch.costs import flows, ledger, sources
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.dispatch.costs.settlement import Policy

__all__ = ["background_tasks", "policy_of"]

log = logging.getLogger(__name__)
Task = Callable[[Any, asyncio.Event], Awaitable[None]]


def policy_of(platform: Any) -> Policy:
    settings = getattr(platform.settings, "costs", None)
    return Policy(
        settings if isinstance(settings, CostsSettings) else CostsSettings(), platform.settings.core.local_timezone
    )


async def settle_from_bus(platform: Any, stop: asyncio.Event) -> None:
    policy = policy_of(platform)

    async def handle(deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            if d.payload.get("event") != "completed" or not d.payload.get("booking_id"):
                continue
            async with platform.db.session() as session:
                await flows.settle(session, int(d.payload["booking_id"]), policy)
                await session.commit()

    name = f"{socket.gethostname()}-{os.getpid()}"
    await Consumer(platform.bus, BOOKINGS, "costs.settle", name, handle, batch=50).run(stop)


async def housekeeping(platform: Any, stop: asyncio.Event) -> None:
    """Hourly, starting a minute after start-up (one short transaction per step: SQLite has one writer)."""
    policy = policy_of(platform)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), 60)
    while not stop.is_set():
        try:
            now = datetime.now(UTC)
            async with platform.db.session() as session:
                await sources.sync_charging(session, now - timedelta(days=2), now, policy)
                await sources.sync_expenses(session, now - timedelta(days=2), now, policy)
                await sources.accrue_month(session, ledger.month_of(ledger.local_day(now, policy.timezone)), policy)
                await session.commit()
                due = await flows.due_months(session, policy, now)
            for month in due:
                async with platform.db.session() as session:
                    await flows.close_month(session, month, policy)
                    await session.commit()
        except Exception:
            log.exception("costs housekeeping failed; trying again later")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 3600)


def background_tasks(settings: CostsSettings) -> list[Task]:
    return [settle_from_bus, housekeeping] if settings.background_enabled else []
