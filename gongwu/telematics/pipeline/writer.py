"""Batches across terminals: persist, then publish, then ack — in that order, batch after batch.

Sessions hand the writer the fixes of one message and a ``done`` callback (the ack). The writer groups what
arrives into batches of up to ``max_rows`` rows or ``max_ms`` milliseconds, writes up to ``concurrency``
batches at once, and releases each batch only after every earlier batch was released: its stored fixes are
put on the bus (in the same order), then its callbacks run (the acks leave). An ack therefore means "stored
*and* published": a process killed between the two has acked nothing of that batch, so the terminal re-sends
it, the store skips the rows it holds, and the events are published again (consumers are idempotent).

A batch that fails to write, or to publish, is retried with a growing pause (up to 5 s); its acks wait — the
terminals keep what was not acked and re-send it. ``pending`` counts what was accepted and not yet released;
the gateway stops reading from its connections while it is above ``high_water`` (TCP back-pressure), so a
database or bus outage holds a bounded amount in memory. ``failing_since`` says since when the store or the
bus has been refusing (None while all is well): readiness reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gongwu.telematics import metrics
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
        self.failures = 0
        """Failed store writes and publishes (each retried)."""
        self._failing: dict[str, tuple[float, str]] = {}
        """"writing" / "publishing" → (monotonic time of the first failure of the current run, the last error)."""
        self.last_release = time.monotonic()
        self._slots = asyncio.Semaphore(concurrency)
        self._current = _Batch()
        self._first_at = 0.0
        self._arrived = asyncio.Event()
        self._full = asyncio.Event()
        self._tail: asyncio.Future[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_drain: list[Callable[[], None]] = []
        metrics.watch(self)
        self._arrivals: deque[float] = deque()
        """When the first item of each sealed batch not yet released arrived, oldest first (the lag)."""

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

    async def flush(self) -> None:
        """Write whatever is queued and wait until every batch is released."""
        while self._current.items:  # more than max_rows may be queued: every part gets its batch
            await self._slots.acquire()
            self._seal()
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _seal(self) -> None:
        self._arrivals.append(self._first_at)
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
            if batch.records:
                await self._until_done("writing", len(batch.records), self.store.write, batch.records)
        finally:
            self._slots.release()
        if prev is not None:
            await asyncio.shield(prev)
        publish = self.publish
        if batch.fixes and publish is not None:
            await self._until_done("publishing", len(batch.fixes), publish, batch.fixes)
        self._release(batch)

    async def _until_done(self, what: str, count: int, work: Callable[[Any], Awaitable[None]], arg: Any) -> None:
        """Run ``work(arg)`` until it succeeds, pausing longer after each failure (up to 5 s)."""
        delay = 0.2
        while True:
            try:
                await work(arg)
            except Exception as exc:
                self.failures += 1
                metrics.WRITE_FAILURES.inc()
                since = self._failing.get(what, (time.monotonic(), ""))[0]
                if what not in self._failing:
                    log.exception("%s %d positions failed; acks wait, retrying", what, count)
                else:
                    log.warning("%s %d positions failed again (%s); retrying in %.1f s", what, count, exc, delay)
                self._failing[what] = (since, f"{what} positions: {type(exc).__name__}: {exc}"[:300])
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            failed = self._failing.pop(what, None)
            if failed is not None:
                log.warning("%s positions works again after %.1f s", what, time.monotonic() - failed[0])
            return

    def _release(self, batch: _Batch) -> None:
        for done in batch.done:
            try:
                done()
            except Exception:
                log.exception("an ack callback failed")
        self.pending -= batch.items
        self.stored += len(batch.records)
        self.batches += 1
        metrics.ACKS.inc(len(batch.done))
        metrics.POSITIONS.inc(len(batch.records))
        metrics.BATCHES.inc()
        self.last_release = time.monotonic()
        if self._arrivals:
            self._arrivals.popleft()
        assert batch.released is not None
        batch.released.set_result(None)
        if self._on_drain and self.pending <= self.high_water // 2:
            waiting, self._on_drain = self._on_drain, []
            for callback in waiting:
                callback()

    @property
    def failing_since(self) -> float | None:
        """Monotonic time since which the store or the bus has been refusing; None while all is well."""
        return min((since for since, _ in self._failing.values()), default=None)

    @property
    def failing_what(self) -> str:
        """The last error of each failing stage ("" while all is well)."""
        return "; ".join(problem for _, problem in self._failing.values())

    @property
    def failing_for(self) -> float:
        """Seconds the store or the bus has been refusing (0 while all is well)."""
        return 0.0 if self.failing_since is None else time.monotonic() - self.failing_since

    @property
    def lag_s(self) -> float:
        """How long the oldest position not yet acked has waited (0 when none waits)."""
        if self._arrivals:
            oldest = self._arrivals[0]
        elif self._current.items:
            oldest = self._first_at
        else:
            return 0.0
        return max(0.0, time.monotonic() - oldest)
