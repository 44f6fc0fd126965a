"""The entry point the composition root calls: the background tasks of telematics for ``Platform.background``.

``gongwu serve`` runs the gateways, the bus consumers and the maintenance in the API process; ``gongwu gateway``
runs gateways (and maintenance) alone and ``gongwu consumers`` the consumers alone, for scale-out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from gongwu.core.db import Database
from gongwu.core.events import EventBus
from gongwu.telematics.consumers import ConsumerService
from gongwu.telematics.gateway import GatewayService
from gongwu.telematics.maintenance import run_maintenance
from gongwu.telematics.settings import TelematicsSettings

__all__ = ["BackgroundTask", "HasDbAndBus", "background_tasks"]


class HasDbAndBus(Protocol):
    db: Database
    bus: EventBus


BackgroundTask = Callable[[Any, asyncio.Event], Awaitable[None]]


def background_tasks(
    settings: TelematicsSettings,
    *,
    timezone: str,
    gateways: bool = True,
    consumers: bool = True,
    maintenance: bool = True,
    on_gateways: Callable[[GatewayService], None] | None = None,
) -> list[BackgroundTask]:
    """Tasks ``(platform, stop) -> None`` for the parts asked for (each runs until ``stop`` is set)."""
    tasks: list[BackgroundTask] = []
    if gateways and (settings.jt808_enabled or settings.gb32960_enabled or settings.nmea_enabled):

        async def telematics_gateways(platform: HasDbAndBus, stop: asyncio.Event) -> None:
            service = GatewayService(platform.db, platform.bus, settings)
            if on_gateways is not None:
                on_gateways(service)
            await service.run(stop)

        tasks.append(telematics_gateways)
    if consumers:

        async def telematics_consumers(platform: HasDbAndBus, stop: asyncio.Event) -> None:
            service = ConsumerService(
                platform.db, platform.bus, settings, timezone=timezone, claim_idle_ms=settings.consumer_claim_idle_ms
            )
            await service.run(stop)

        tasks.append(telematics_consumers)
    if maintenance:

        async def telematics_maintenance(platform: HasDbAndBus, stop: asyncio.Event) -> None:
            await run_maintenance(platform.db, settings, stop)

        tasks.append(telematics_maintenance)
    return tasks
