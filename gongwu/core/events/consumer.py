"""A consumer-group reader that hands batches to a handler, acks what it handled, and takes over
what a dead sibling left pending."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from gongwu.core.events.base import Delivery, EventBus

__all__ = ["Consumer", "Handler"]

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[Delivery]], Awaitable[None]]


@dataclass
class Consumer:
    """Reads ``topic`` as ``consumer`` in ``group``; a batch is acked only after ``handler`` returns.

    A batch whose handler raises stays pending and is retried after ``min_idle_ms`` (by this consumer or
    any other of the group). When the bus goes away the consumer waits and goes on where its group is; when it
    comes back without its data (a Redis restarted without persistence) the group is created again. After
    ``max_attempts`` deliveries an event goes to ``<topic>.dead`` and is acked, so one poisonous event cannot
    stall the group.
    """

    bus: EventBus
    topic: str
    group: str
    consumer: str
    handler: Handler
    batch: int = 500
    block_ms: int = 500
    min_idle_ms: int = 30_000
    claim_every_s: float = 5.0
    max_attempts: int = 5

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():  # the bus may be down when the process starts: wait for it
            try:
                await self.bus.ensure_group(self.topic, self.group)
                break
            except Exception as exc:
                log.warning("consumer %s/%s: bus not reachable (%s); retrying", self.group, self.consumer, exc)
                await asyncio.sleep(1.0)
        loop = asyncio.get_running_loop()
        next_claim = loop.time()
        while not stop.is_set():
            try:
                if loop.time() >= next_claim:
                    next_claim = loop.time() + self.claim_every_s
                    stale = await self.bus.claim_stale(
                        self.topic, self.group, self.consumer, min_idle_ms=self.min_idle_ms, count=self.batch
                    )
                    await self._handle(stale)
                fresh = await self.bus.read(
                    self.topic, self.group, self.consumer, count=self.batch, block_ms=self.block_ms
                )
                await self._handle(fresh)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the bus itself failed (Redis restarting): wait and go on
                if "NOGROUP" in str(exc):  # Redis came back without its data: the group is made again
                    log.warning("consumer %s/%s: the group is gone; creating it again", self.group, self.consumer)
                    with contextlib.suppress(Exception):
                        await self.bus.ensure_group(self.topic, self.group)
                    continue
                log.warning("consumer %s/%s: bus error (%s); retrying", self.group, self.consumer, exc)
                await asyncio.sleep(1.0)

    async def _handle(self, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        dead = [d for d in deliveries if d.attempts > self.max_attempts]
        live = [d for d in deliveries if d.attempts <= self.max_attempts]
        if dead:
            await self.bus.publish_many(
                f"{self.topic}.dead", [{"id": d.id, "payload": d.payload, "group": self.group} for d in dead]
            )
            await self.bus.ack(self.topic, self.group, [d.id for d in dead])
            log.error("consumer %s: %d events moved to %s.dead", self.group, len(dead), self.topic)
        if not live:
            return
        try:
            await self.handler(live)
        except Exception:
            log.exception("consumer %s/%s: handler failed on %d events", self.group, self.consumer, len(live))
            return
        await self.bus.ack(self.topic, self.group, [d.id for d in live])
