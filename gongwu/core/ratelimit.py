"""Counting failures to shut out guessing: login passwords, terminal auth codes.

A :class:`FailureLimit` counts failures per key (a username, a client address, a terminal) in a fixed window;
once a key has ``limit`` failures in the window it is *blocked* until the window ends. With Redis configured the
counters live in Redis (``INCR`` + ``EXPIRE``), so every process of a scale-out deployment sees the same count
(a guesser cannot spread attempts over the API workers or gateways); otherwise in process memory::

    limit = FailureLimit(counters_for(bus), "login.user", limit=10, window_s=900)
    if (wait := await limit.blocked(username)) is not None: refuse, retry after ``wait`` seconds
    ... on a wrong password: await limit.failed(username); on success: await limit.succeeded(username)
"""

from __future__ import annotations

import math
import time
import weakref
from abc import ABC, abstractmethod
from typing import Any

__all__ = ["Counters", "FailureLimit", "MemoryCounters", "RedisCounters", "counters_for"]


class Counters(ABC):
    """Fixed-window counters: ``hit`` adds one and returns the count; the window starts at the first hit."""

    @abstractmethod
    async def hit(self, key: str, window_s: float) -> int: ...

    @abstractmethod
    async def get(self, key: str) -> tuple[int, float]:
        """(count, seconds until the window ends); (0, 0) for a key without a live window."""

    @abstractmethod
    async def reset(self, key: str) -> None: ...


class MemoryCounters(Counters):
    """One process's counters (the embedded default). Bounded: expired windows are dropped as keys come in."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._max_keys = max_keys

    def _live(self, key: str, now: float) -> tuple[int, float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= now:
            del self._counts[key]
            return None
        return entry

    async def hit(self, key: str, window_s: float) -> int:
        now = time.monotonic()
        entry = self._live(key, now)
        if entry is None:
            if len(self._counts) >= self._max_keys:
                self._sweep(now)
            entry = (0, now + window_s)
        count = entry[0] + 1
        self._counts[key] = (count, entry[1])
        return count

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, end) in self._counts.items() if end <= now]:
            del self._counts[key]
        while len(self._counts) >= self._max_keys:  # a flood of distinct keys: forget the oldest windows
            del self._counts[next(iter(self._counts))]

    async def get(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        entry = self._live(key, now)
        return (0, 0.0) if entry is None else (entry[0], entry[1] - now)

    async def reset(self, key: str) -> None:
        self._counts.pop(key, None)


_HIT_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisCounters(Counters):
    """Counters shared by every process: one Redis key per counter, expiring with its window."""

    def __init__(self, client: Any, prefix: str = "ratelimit:") -> None:
        self._redis = client
        self._prefix = prefix
        self._hit = client.register_script(_HIT_LUA)

    async def hit(self, key: str, window_s: float) -> int:
        return int(await self._hit(keys=[self._prefix + key], args=[max(1, int(window_s * 1000))]))

    async def get(self, key: str) -> tuple[int, float]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._prefix + key)
            pipe.pttl(self._prefix + key)
            raw, ttl = await pipe.execute()
        if raw is None or ttl is None or int(ttl) < 0:
            return 0, 0.0
        return int(raw), int(ttl) / 1000

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)


_SHARED: weakref.WeakKeyDictionary[Any, Counters] = weakref.WeakKeyDictionary()


def counters_for(bus: Any) -> Counters:
    """The counters that go with an event bus: in Redis for a Redis bus, else in memory (one per bus)."""
    counters = _SHARED.get(bus)
    if counters is None:
        client = getattr(bus, "client", None)
        counters = RedisCounters(client) if client is not None else MemoryCounters()
        _SHARED[bus] = counters
    return counters


class FailureLimit:
    """At most ``limit`` failures per key within ``window_s``; then the key is blocked until the window ends."""

    def __init__(self, counters: Counters, name: str, *, limit: int, window_s: float) -> None:
        self.counters = counters
        self.name = name
        self.limit = limit
        self.window_s = window_s

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def blocked(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        count, left = await self.counters.get(self._key(key))
        return max(1.0, math.ceil(left)) if count >= self.limit else None

    async def failed(self, key: str) -> float | None:
        """Count a failure; returns the wait when this failure blocked the key."""
        count = await self.counters.hit(self._key(key), self.window_s)
        if count < self.limit:
            return None
        _, left = await self.counters.get(self._key(key))
        return max(1.0, math.ceil(left or self.window_s))

    async def succeeded(self, key: str) -> None:
        await self.counters.reset(self._key(key))
