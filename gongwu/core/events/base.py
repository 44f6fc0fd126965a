"""The bus interface every implementation honours (see ``tests/core/test_events.py`` for the contract)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

__all__ = ["Broadcast", "Delivery", "EventBus", "decode_payload", "encode_payload"]

Broadcast = tuple[str, dict[str, Any]]
"""A broadcast as a listener receives it: (channel, payload)."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event handed to a consumer; it stays pending in its group until acknowledged."""

    id: str
    topic: str
    payload: dict[str, Any]
    attempts: int = 1


def _default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"cannot put {type(value).__name__} on the bus")


_OPTIONS = orjson.OPT_NON_STR_KEYS  # as the json module: an int key becomes its string


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON (orjson: a gateway encodes one event per position); datetimes in ISO 8601."""
    return orjson.dumps(payload, default=_default, option=_OPTIONS)


def decode_payload(raw: str | bytes) -> dict[str, Any]:
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("a bus payload is a JSON object")
    return value


class EventBus(ABC):
    """Durable topics read through consumer groups, plus best-effort broadcast channels.

    * A topic keeps events in publish order. Each consumer group sees every event once; within a group,
      an event goes to one consumer and stays *pending* until that consumer acknowledges it.
    * Pending events idle for longer than ``min_idle_ms`` can be claimed by another consumer of the
      group (that is how the work of a consumer that died is taken over); ``attempts`` counts deliveries.
    * Broadcast channels fan a payload out to whoever listens now; nothing is kept.
    """

    @abstractmethod
    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Append one event; returns its id."""

    async def publish_many(self, topic: str, payloads: Sequence[Mapping[str, Any]]) -> list[str]:
        """Append several events in order (implementations pipeline this)."""
        return [await self.publish(topic, p) for p in payloads]

    @abstractmethod
    async def ensure_group(self, topic: str, group: str, *, from_start: bool = True) -> None:
        """Create the consumer group if it does not exist (reading from the start, or only new events)."""

    @abstractmethod
    async def read(
        self, topic: str, group: str, consumer: str, *, count: int = 100, block_ms: int = 1000
    ) -> list[Delivery]:
        """New events for this group, delivered to ``consumer``; waits up to ``block_ms`` for some."""

    @abstractmethod
    async def ack(self, topic: str, group: str, ids: Sequence[str]) -> None:
        """Mark events handled; they leave the group's pending list."""

    @abstractmethod
    async def claim_stale(
        self, topic: str, group: str, consumer: str, *, min_idle_ms: int, count: int = 100
    ) -> list[Delivery]:
        """Take over events pending for longer than ``min_idle_ms`` in other consumers' hands."""

    @abstractmethod
    async def pending_count(self, topic: str, group: str) -> int:
        """How many events of the group are delivered but not yet acknowledged; ``LookupError`` if no such group."""

    @abstractmethod
    async def lag(self, topic: str, group: str) -> int:
        """How many events of the topic the group has not read yet; ``LookupError`` if no such group."""

    @abstractmethod
    async def broadcast(self, channel: str, payload: Mapping[str, Any]) -> None:
        """Send to every current listener of ``channel``; nothing is stored."""

    @abstractmethod
    def listen(self, *channels: str) -> AbstractAsyncContextManager[AsyncIterator[tuple[str, dict[str, Any]]]]:
        """``async with bus.listen("live") as feed: async for channel, payload in feed: …``"""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the bus cannot be reached."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""
