"""Redis Streams bus: XADD / XREADGROUP / XACK / XAUTOCLAIM, and pub/sub for broadcast."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from gongwu.core.events.base import Delivery, EventBus, decode_payload, encode_payload

__all__ = ["RedisBus"]

_FIELD = "d"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBus(EventBus):
    """One Redis stream per topic (trimmed to about ``maxlen``), one consumer group per kind of reader."""

    def __init__(self, url: str, *, maxlen: int = 1_000_000) -> None:
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url, decode_responses=False)
        self._maxlen = maxlen

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        entry_id = await self._redis.xadd(
            topic, {_FIELD: encode_payload(payload)}, maxlen=self._maxlen, approximate=True
        )
        return _text(entry_id)

    async def publish_many(self, topic: str, payloads: Sequence[Mapping[str, Any]]) -> list[str]:
        if not payloads:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for payload in payloads:
                pipe.xadd(topic, {_FIELD: encode_payload(payload)}, maxlen=self._maxlen, approximate=True)
            ids = await pipe.execute()
        return [_text(i) for i in ids]

    async def ensure_group(self, topic: str, group: str, *, from_start: bool = True) -> None:
        try:
            await self._redis.xgroup_create(topic, group, id="0" if from_start else "$", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _deliveries(self, topic: str, entries: Sequence[Any], attempts: Mapping[str, int]) -> list[Delivery]:
        out = []
        for raw_id, fields in entries:
            entry_id = _text(raw_id)
            if not fields or _FIELD.encode() not in fields:
                continue  # trimmed while pending
            payload = decode_payload(fields[_FIELD.encode()])
            out.append(Delivery(entry_id, topic, payload, attempts.get(entry_id, 1)))
        return out

    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 100, block_ms: int = 1000
    ) -> list[Delivery]:
        result: Any = await self._redis.xreadgroup(group, consumer, {topic: ">"}, count=count, block=block_ms)
        if not result:
            return []
        _, entries = result[0]
        return self._deliveries(topic, entries, {})

    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        if ids:
            await self._redis.xack(topic, group, *ids)

    async def claim_stale(
        self, topic: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        _, entries, deleted = await self._redis.xautoclaim(
            topic, group, consumer, min_idle_time=min_idle_ms, start_id="0-0", count=count
        )
        if deleted:  # trimmed while pending: nothing left to deliver
            await self._redis.xack(topic, group, *deleted)
        if not entries:
            return []
        first, last = _text(entries[0][0]), _text(entries[-1][0])
        info = await self._redis.xpending_range(
            topic, group, min=first, max=last, count=len(entries), consumername=consumer
        )
        attempts = {str(_text(p["message_id"])): int(p["times_delivered"]) for p in info}
        return self._deliveries(topic, entries, attempts)

    async def pending_count(self, topic: str, group: str) -> int:
        try:
            summary = await self._redis.xpending(topic, group)
        except ResponseError as exc:
            if "NOGROUP" in str(exc):  # as the in-process bus: a missing group is a LookupError
                raise LookupError(f"no consumer group {group!r} on {topic!r}") from exc
            raise
        return int(summary["pending"])

    async def lag(self, topic: str, group: str) -> int:
        try:
            groups = await self._redis.xinfo_groups(topic)
        except ResponseError as exc:
            if "no such key" in str(exc):  # no stream, so no group either
                raise LookupError(f"no consumer group {group!r} on {topic!r}") from exc
            raise
        for info in groups:
            if _text(info["name"]) == group:
                return int(info.get("lag") or 0)
        raise LookupError(f"no consumer group {group!r} on {topic!r}")

    async def broadcast(self, channel: str, payload: Mapping[str, Any]) -> None:
        await self._redis.publish(channel, encode_payload(payload))

    @asynccontextmanager
    async def listen(self, *channels: str) -> AsyncIterator[AsyncIterator[tuple[str, dict[str, Any]]]]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*channels)

        async def feed() -> AsyncIterator[tuple[str, dict[str, Any]]]:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield _text(message["channel"]), decode_payload(message["data"])

        try:
            yield feed()
        finally:
            await pubsub.unsubscribe(*channels)
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
