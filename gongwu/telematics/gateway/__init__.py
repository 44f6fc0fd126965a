"""The TCP gateways (JT/T 808, GB/T 32960, NMEA) of one process, with the pipeline behind them.

:class:`GatewayService` owns the gateways, the batch writer, the listener of ``telematics.commands`` (its own
consumer group, named after the gateway), the idle sweeper and the directory heartbeat::

    service = GatewayService(db, bus, settings)
    await service.start()          # service.ports == {"jt808": 6808, …}
    …
    await service.stop()           # closes connections, writes and acks what is queued
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Sequence
from typing import Any

from gongwu.core.db import Database, utcnow
from gongwu.core.events import Consumer, Delivery, EventBus
from gongwu.telematics import topics
from gongwu.telematics.gateway.base import BaseSession, Gateway, GatewayContext
from gongwu.telematics.gateway.gb32960 import Gb32960Session
from gongwu.telematics.gateway.jt808 import Jt808Session
from gongwu.telematics.gateway.nmea import NmeaSession, hello_line
from gongwu.telematics.maintenance import ensure_partitions
from gongwu.telematics.pipeline import BatchWriter, Pipeline, bus_publisher, default_handlers, open_store
from gongwu.telematics.pipeline.store import Mode
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import shared_state

__all__ = [
    "BaseSession",
    "Gateway",
    "GatewayContext",
    "GatewayService",
    "Gb32960Session",
    "Jt808Session",
    "NmeaSession",
    "hello_line",
]

log = logging.getLogger(__name__)

SESSION_CLASSES: dict[str, type[BaseSession]] = {
    "jt808": Jt808Session,
    "gb32960": Gb32960Session,
    "nmea": NmeaSession,
}


class GatewayService:
    """The gateways of one process and everything they need; see the module docstring."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        settings: TelematicsSettings,
        *,
        store_mode: Mode = "staging",
    ) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings
        self.gateway_id = settings.resolved_gateway_id()
        self.store = open_store(db, size=settings.writer_concurrency, mode=store_mode)
        self.writer = BatchWriter(
            self.store,
            bus_publisher(bus, stream_maxlen=settings.positions_stream_maxlen),
            max_rows=settings.batch_max_rows,
            max_ms=settings.batch_max_ms,
            concurrency=settings.writer_concurrency,
        )
        handlers = default_handlers(
            max_future_s=settings.max_future_s,
            max_speed_kmh=settings.max_speed_kmh,
            moving_speed_kmh=settings.moving_speed_kmh,
        )
        self.pipeline = Pipeline(handlers, self.writer)
        self.ctx = GatewayContext(db, bus, settings, self.pipeline, shared_state(bus), self.gateway_id)
        self.gateways: dict[str, Gateway] = {}
        for protocol, enabled, port in (
            ("jt808", settings.jt808_enabled, settings.jt808_port),
            ("gb32960", settings.gb32960_enabled, settings.gb32960_port),
            ("nmea", settings.nmea_enabled, settings.nmea_port),
        ):
            if enabled:
                self.gateways[protocol] = Gateway(self.ctx, SESSION_CLASSES[protocol], settings.gateway_host, port)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[Any]] = []
        self.heartbeat_every_s = 10.0

    @property
    def ports(self) -> dict[str, int]:
        return {protocol: gateway.port for protocol, gateway in self.gateways.items()}

    async def start(self) -> None:
        # what exists now (modules, settings, pools) lives as long as the process: keep it out of the cyclic
        # collector's work, so collections stay short under load (fewer long pauses in the ack path)
        gc.collect()
        gc.freeze()
        if self.db.is_postgres:
            await ensure_partitions(self.db, utcnow().date(), self.settings.partitions_ahead_days)
        await self.store.open()
        group = f"gateway.{self.gateway_id}"
        await self.bus.ensure_group(topics.COMMANDS, group, from_start=False)
        commands = Consumer(self.bus, topics.COMMANDS, group, self.gateway_id, self._commands, batch=100)
        self._tasks = [
            asyncio.create_task(self.writer.run(self._stop), name="telematics-writer"),
            asyncio.create_task(commands.run(self._stop), name="telematics-commands"),
            asyncio.create_task(self._housekeeping(), name="telematics-sweeper"),
        ]
        for gateway in self.gateways.values():
            await gateway.start()

    async def stop(self) -> None:
        for gateway in self.gateways.values():
            await gateway.stop()
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=15)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.ctx.background:
            await asyncio.wait(list(self.ctx.background), timeout=5)
        await self.store.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Start, serve until ``stop`` is set, stop (also when starting failed half-way: a port in use)."""
        try:
            await self.start()
            await stop.wait()
        finally:
            await self.stop()

    async def _commands(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            session = self.ctx.held.get(int(delivery.payload.get("terminal_id", 0)))
            if session is not None and not session.closed:
                await session.send_command(delivery.payload)

    async def _housekeeping(self) -> None:
        beat = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            for gateway in self.gateways.values():
                gateway.sweep(now)
            if now - beat >= self.heartbeat_every_s:
                beat = now
                try:
                    directory = self.ctx.state.directory
                    if await directory.heartbeat(self.gateway_id) and self.ctx.held:
                        log.warning("the session directory did not know this gateway: binding its terminals again")
                        held = list(self.ctx.held)
                        await directory.bind_all(held, self.gateway_id)
                        for terminal_id in held:  # left while the binding was on its way
                            if terminal_id not in self.ctx.held:
                                await directory.unbind(terminal_id, self.gateway_id)
                except Exception as exc:
                    log.warning("gateway heartbeat failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 1.0)
