"""Batches across terminals: persist, then publish, then ack — in that order, batch after batch.

Sessions hand the writer the fixes of one message and a ``done`` callback (the ack). The writer groups what
arrives into batches of up to ``max_rows`` rows or ``max_ms`` milliseconds, writes up to ``concurrency``
batches at once, and releases each batch only after every earlier batch was released: its stored fixes are
put on the bus (in the same order), then its callbacks run (the acks leave). An ack therefore means "stored
*and* published": a process killed between the two has acked nothing of that batch, so the terminal re-sends
it, the store skips the rows it holds, and the events are published again (consumers are idempotent).

A batch that fails to write, or to publish, is retried with a growing pause (up to 5 s); its acks wait — the
terminals keep what was not acked and re-send it. A write the database refuses because of a row's data (a value
out of a column's range, a constraint — not an outage) is split in halves until the refused rows are found: the
others are written, each refused one is logged, counted and its message answered with ``refuse`` (the terminal
is told it was not stored) instead of ``done`` — one bad row must not hold every ack of the gateway for good.
``pending`` counts what was accepted and not yet released; the gateway stops reading from its connections while
it is above ``high_water`` (TCP back-pressure), so a database or bus outage holds a bounded amount in memory.
``failing_since`` says since when the store or the bus has been refusing (None while all is well): readiness
reports it.
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
from gongwu.telematics.pipeline.store import PositionStore, refusal

__all__ = ["BatchWriter", "Done", "Publish"]

log = logging.getLogger(__name__)

Done = Callable[[], None]
Publish = Callable[[Sequence[Fix]], Awaitable[None]]


class _Ack:
    """The answer of one message: ``done`` once its rows are stored, ``refuse`` if the database refused one."""

    __slots__ = ("done", "refuse", "refused")

    def __init__(self, done: Done | None, refuse: Done | None) -> None:
        self.done = done
        self.refuse = refuse
        self.refused = False


@dataclass
class _Batch:
    records: list[tuple[Any, ...]] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    done: list[_Ack] = field(default_factory=list)
    items: int = 0
    released: asyncio.Future[None] | None = None
    owners: list[_Ack | None] = field(default_factory=list)
    """The message (its ack) of each record."""


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
        self.refused = 0
        """Positions the database refused for their data (not stored; their messages answered with a failure)."""
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

    def add(self, fixes: Sequence[Fix], done: Done | None = None, refuse: Done | None = None) -> None:
        """Queue the fixes of one message; ``done`` runs once they (and everything before them) are durable —
        or ``refuse``, in its place, when the database refused one of them for its data."""
        batch = self._current
        if not batch.items:
            self._first_at = time.monotonic()
            self._arrived.set()
        ack = _Ack(done, refuse) if done is not None or refuse is not None else None
        for fix in fixes:
            if not fix.duplicate:
                batch.records.append(fix.record())
                batch.fixes.append(fix)
                batch.owners.append(ack)
        if ack is not None:
            batch.done.append(ack)
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
            cut = self.max_rows
            rest = _Batch(batch.records[cut:], batch.fixes[cut:], batch.done, batch.items, owners=batch.owners[cut:])
            batch = _Batch(batch.records[:cut], batch.fixes[:cut], owners=batch.owners[:cut])
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
                await self._until_done("writing", len(batch.records), self._store, batch)
        finally:
            self._slots.release()
        if prev is not None:
            await asyncio.shield(prev)
        publish = self.publish
        if batch.fixes and publish is not None:
            await self._until_done("publishing", len(batch.fixes), publish, batch.fixes)
        self._release(batch)

    async def _store(self, batch: _Batch) -> None:
        """Write the batch; rows the database refuses for their data are set aside (an outage raises: retried)."""
        refused = await self._write_part(batch.records, 0)
        if not refused:
            return
        gone = {index for index, _ in refused}
        for index, reason in refused:
            fix, owner = batch.fixes[index], batch.owners[index]
            if owner is not None:
                owner.refused = True
            log.warning(
                "the database refused a position of terminal %s (car %s, %s): %s; not stored, the terminal is told",
                fix.terminal_id,
                fix.vehicle_id,
                fix.device_time.isoformat(),
                reason,
                extra={"terminal_id": fix.terminal_id, "vehicle_id": fix.vehicle_id},
            )
        self.refused += len(gone)
        metrics.REFUSED.inc(len(gone))
        keep = [i for i in range(len(batch.records)) if i not in gone]
        batch.records = [batch.records[i] for i in keep]
        batch.fixes = [batch.fixes[i] for i in keep]
        batch.owners = [batch.owners[i] for i in keep]

    async def _write_part(self, records: Sequence[tuple[Any, ...]], offset: int) -> list[tuple[int, str]]:
        """Write ``records``; on a data error split them in halves until the refused rows (index, why) are found."""
        try:
            await self.store.write(records)
            return []
        except Exception as exc:
            reason = refusal(exc)
            if reason is None:
                raise  # an outage, not the data: the whole batch is retried
            if len(records) == 1:
                return [(offset, reason)]
        half = len(records) // 2
        return await self._write_part(records[:half], offset) + await self._write_part(records[half:], offset + half)

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
        acked = 0
        for ack in batch.done:
            answer = ack.refuse if ack.refused else ack.done
            if answer is None:
                continue
            acked += not ack.refused
            try:
                answer()
            except Exception:
                log.exception("an ack callback failed")
        self.pending -= batch.items
        self.stored += len(batch.records)
        self.batches += 1
        metrics.ACKS.inc(acked)
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
