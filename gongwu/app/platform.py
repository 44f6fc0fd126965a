"""The running platform of one process: settings, database, bus, token service, background services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from gongwu.app.settings import Settings
from gongwu.core.db import Database
from gongwu.core.events import EventBus, connect_bus
from gongwu.core.identity.tokens import TokenService

__all__ = ["BackgroundTask", "Platform"]

log = logging.getLogger(__name__)

BackgroundTask = Callable[["Platform", asyncio.Event], Awaitable[None]]
"""A long-running part of the platform (a gateway, a consumer): runs until the stop event is set."""


@dataclass
class Platform:
    settings: Settings
    db: Database
    bus: EventBus
    tokens: TokenService
    background: list[BackgroundTask] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        core = settings.core
        return cls(
            settings=settings,
            db=Database(core.resolved_database_url, echo=core.sql_echo),
            bus=connect_bus(core.redis_url),
            tokens=TokenService(
                core.secret_key.get_secret_value(),
                access_minutes=core.access_token_minutes,
                refresh_days=core.refresh_token_days,
            ),
        )

    async def start(self) -> None:
        for task in self.background:
            self._tasks.append(asyncio.create_task(self._run(task), name=getattr(task, "__name__", "background")))

    async def _run(self, task: BackgroundTask) -> None:
        try:
            await task(self, self._stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task %s stopped with an error", task)

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self._tasks.clear()
        await self.bus.close()
        await self.db.dispose()
