"""The in-process bus: the same semantics as Redis Streams, for one process (the embedded default)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from gongwu.core.events.base import Delivery, EventBus

__all__ = ["MemoryBus"]


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    attempts: int


@dataclass
class _Group:
    next_seq: int
    pending: dict[int, _Pending] = field(default_factory=dict)


@dataclass
class _Topic:
    entries: deque[tuple[int, dict[str, Any]]]
    groups: dict[str, _Group] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def payload(self, seq: int) -> dict[str, Any] | None:
        if not self.entries or seq < self.entries[0][0]:
            return None  # trimmed away
        index = seq - self.entries[0][0]
        if index < len(self.entries) and self.entries[index][0] == seq:
            return self.entries[index][1]
        return None


class MemoryBus(EventBus):
    """Topics as bounded deques; groups as cursors with pending lists; broadcast through queues."""

    def __init__(self, *, maxlen: int = 1_000_000, listener_queue: int = 10_000) -> None:
        self._maxlen = maxlen
        self._listener_queue = listener_queue
        self._topics: dict[str, _Topic] = {}
        self._listeners: dict[str, set[asyncio.Queue[tuple[str, dict[str, Any]]]]] = {}

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(entries=deque(maxlen=self._maxlen))
        return topic

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        return (await self.publish_many(topic, [payload]))[0]

    async def publish_many(self, topic: str, payloads: Sequence[Mapping[str, Any]]) -> list[str]:
        t = self._topic(topic)
        ids = []
        for payload in payloads:
            seq = next(t.seq)
            t.entries.append((seq, dict(payload)))
            ids.append(str(seq))
        async with t.changed:
            t.changed.notify_all()
        return ids

    async def ensure_group(self, topic: str, group: str, *, from_start: bool = True) -> None:
        t = self._topic(topic)
        if group not in t.groups:
            first = t.entries[0][0] if (from_start and t.entries) else self._next_seq(t)
            t.groups[group] = _Group(next_seq=first)

    @staticmethod
    def _next_seq(t: _Topic) -> int:
        return t.entries[-1][0] + 1 if t.entries else 1

    def _group(self, topic: str, group: str) -> tuple[_Topic, _Group]:
        t = self._topic(topic)
        g = t.groups.get(group)
        if g is None:
            raise LookupError(f"no consumer group {group!r} on {topic!r}; call ensure_group first")
        return t, g

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 100, block_ms: int = 1000
    ) -> list[Delivery]:
        t, g = self._group(topic, group)
        deadline = time.monotonic() + block_ms / 1000
        while True:
            out = self._take(t, g, topic, consumer, count)
            remaining = deadline - time.monotonic()
            if out or remaining <= 0:
                return out
            async with t.changed:
                with suppress(TimeoutError):
                    await asyncio.wait_for(t.changed.wait(), remaining)

    def _take(self, t: _Topic, g: _Group, topic: str, consumer: str, count: int) -> list[Delivery]:
        if t.entries and g.next_seq < t.entries[0][0]:
            g.next_seq = t.entries[0][0]
        out: list[Delivery] = []
        now = time.monotonic()
        while len(out) < count and t.entries and g.next_seq <= t.entries[-1][0]:
            seq = g.next_seq
            g.next_seq += 1
            payload = t.payload(seq)
            if payload is None:
                continue
            g.pending[seq] = _Pending(consumer, now, 1)
            out.append(Delivery(str(seq), topic, payload, 1))
        return out

    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        _, g = self._group(topic, group)
        for i in ids:
            g.pending.pop(int(i), None)

    async def claim_stale(
        self, topic: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        t, g = self._group(topic, group)
        now = time.monotonic()
        out: list[Delivery] = []
        for seq in sorted(g.pending):
            if len(out) >= count:
                break
            p = g.pending[seq]
            if (now - p.delivered_at) * 1000 < min_idle_ms:
                continue
            payload = t.payload(seq)
            if payload is None:  # trimmed while pending: nothing left to deliver
                del g.pending[seq]
                continue
            g.pending[seq] = _Pending(consumer, now, p.attempts + 1)
            out.append(Delivery(str(seq), topic, payload, p.attempts + 1))
        return out

    async def pending_count(self, topic: str, group: str) -> int:
        return len(self._group(topic, group)[1].pending)

    async def lag(self, topic: str, group: str) -> int:
        t, g = self._group(topic, group)
        return max(0, self._next_seq(t) - max(g.next_seq, t.entries[0][0] if t.entries else 1))

    async def broadcast(self, channel: str, payload: Mapping[str, Any]) -> None:
        for queue in self._listeners.get(channel, ()):
            if queue.full():  # a slow listener loses the oldest, never blocks the publisher
                queue.get_nowait()
            queue.put_nowait((channel, dict(payload)))

    @asynccontextmanager
    async def listen(self, *channels: str) -> AsyncIterator[AsyncIterator[tuple[str, dict[str, Any]]]]:
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(self._listener_queue)
        for channel in channels:
            self._listeners.setdefault(channel, set()).add(queue)

        async def feed() -> AsyncIterator[tuple[str, dict[str, Any]]]:
            while True:
                yield await queue.get()

        try:
            yield feed()
        finally:
            for channel in channels:
                self._listeners.get(channel, set()).discard(queue)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()
