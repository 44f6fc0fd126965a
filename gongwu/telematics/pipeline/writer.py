"""Batches across terminals: persist, then ack, then publish — in that order, batch after batch.

Sessions hand the writer the fixes of one message and a ``done`` callback (the ack). The writer groups what
arrives into batches of up to ``max_rows`` rows or ``max_ms`` milliseconds, writes up to ``concurrency``
batches at once, and releases each batch only after every earlier batch was released: its callbacks run
(the acks leave) and its stored fixes go to the publisher, which puts them on the bus in the same order. A
batch that fails to write is retried (its acks wait: the terminals re-send what was not acked, and the store
de-duplicates). ``pending`` counts what was accepted and not yet released; the gateway stops reading from its
connections while it is above ``high_water``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gongwu.telematics.pipeline.fix import Fix
from gongwu.telematics.pipeline.store import PositionStore

__all__ = ["BatchWriter", "Done", "Publish"]

log = logging.getLogger(__name__)

Done = Callable[[], None]
Publish = Callable[[Sequence[Fix]], Awaitable[None]]


@dataclass
class _Batch:
    records: list[tuple[Any, ...]] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    done: list[Done] = field(default_factory=list)
    items: int = 0
    released: asyncio.Future[None] | None = None


class BatchWriter:
    """Durable batches with ordered release; see the module docstring."""

    def __init__(
        self,
        store: PositionStore,
        publish: Publish | None = None,
        *,
        max_rows: int = 2000,
        max_ms: float = 40.0,
        concurrency: int = 2,
        high_water: int = 50_000,
    ) -> None:
        self.store = store
        self.publish = publish
        self.max_rows = max_rows
        self.max_s = max_ms / 1000
        self.high_water = high_water
        self.pending = 0
        self.stored = 0
        self.batches = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._current = _Batch()
        self._first_at = 0.0
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._tail: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._publish_queue: asyncio.Queue[list[Fix]] = asyncio.Queue()
        self._on_drain: list[Callable[[], None]] = []

    # -- the sessions' side

    def add(self, fixes: Sequence[Fix], done: Done | None = None) -> None:
        """Queue the fixes of one message; ``done`` runs once they (and everything before them) are durable."""
        batch = self._current
        if not batch.items:
            self._first_at = time.monotonic()
            self._arrived.set()
        for fix in fixes:
            if not fix.duplicate:
                batch.records.append(fix.record())
                batch.fixes.append(fix)
        if done is not None:
            batch.done.append(done)
        count = max(len(fixes), 1)
        batch.items += count
        self.pending += count
        if len(batch.records) >= self.max_rows:
            self._full.set()

    @property
    def saturated(self) -> bool:
        return self.pending > self.high_water

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once ``pending`` is back under half the high-water mark."""
        self._on_drain.append(callback)

    # -- the background side

    async def run(self, stop: asyncio.Event) -> None:
        """Seal and write batches until ``stop``; then flush what is left."""
        publisher = asyncio.create_task(self._publisher(), name="telematics-publisher")
        try:
            while not stop.is_set():
                if not self._current.items:
                    self._arrived.clear()
                    waiter = asyncio.create_task(self._arrived.wait())
                    stopper = asyncio.create_task(stop.wait())
                    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                    waiter.cancel()
                    stopper.cancel()
                    continue
                remaining = self._first_at + self.max_s - time.monotonic()
                if remaining > 0 and len(self._current.records) < self.max_rows:
                    self._full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), remaining)
                await self._slots.acquire()
                self._seal()
            await self.flush()
        finally:
            await self._drain_publisher()
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)

    async def flush(self) -> None:
        """Write whatever is queued and wait until every batch is released."""
        while self._current.items:  # more than max_rows may be queued: every part gets its batch
            await self._slots.acquire()
            self._seal()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _seal(self) -> None:
        batch = self._current
        self._current = _Batch()
        if len(batch.records) > self.max_rows:
            # more arrived while every writer was busy: write the first max_rows now and carry the rest; the
            # acks go with the rest (a message's rows may straddle the cut, and its ack must wait for all)
            rest = _Batch(batch.records[self.max_rows :], batch.fixes[self.max_rows :], batch.done, batch.items)
            batch = _Batch(batch.records[: self.max_rows], batch.fixes[: self.max_rows])
            self._current = rest
            self._first_at = time.monotonic() - self.max_s
            self._arrived.set()
        prev = self._tail
        batch.released = asyncio.get_running_loop().create_future()
        self._tail = batch.released
        task = asyncio.create_task(self._write(batch, prev), name="telematics-batch")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _write(self, batch: _Batch, prev: asyncio.Future[None] | None) -> None:
        try:
            delay = 0.2
            while batch.records:
                try:
                    await self.store.write(batch.records)
                    break
                except Exception:
                    log.exception("writing %d positions failed; retrying in %.1f s", len(batch.records), delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
        finally:
            self._slots.release()
        if prev is not None:
            await asyncio.shield(prev)
        self._release(batch)

    def _release(self, batch: _Batch) -> None:
        for done in batch.done:
            try:
                done()
            except Exception:
                log.exception("an ack callback failed")
        self.pending -= batch.items
        self.stored += len(batch.records)
        self.batches += 1
        assert batch.released is not None
        batch.released.set_result(None)
        if batch.fixes and self.publish is not None:
            self._publish_queue.put_nowait(batch.fixes)
        if self._on_drain and self.pending <= self.high_water // 2:
            waiting, self._on_drain = self._on_drain, []
            for callback in waiting:
                callback()

    async def _publisher(self) -> None:
        while True:
            fixes = await self._publish_queue.get()
            await self._publish_one(fixes)
            self._publish_queue.task_done()

    async def _publish_one(self, fixes: list[Fix]) -> None:
        if self.publish is None:
            return
        try:
            await self.publish(fixes)
        except Exception:  # stored and acked; the bus was down: the consumers miss these events
            log.exception("publishing %d stored positions failed", len(fixes))

    async def _drain_publisher(self) -> None:
        while not self._publish_queue.empty():
            await self._publish_one(self._publish_queue.get_nowait())
            self._publish_queue.task_done()
