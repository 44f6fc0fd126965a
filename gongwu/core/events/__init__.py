"""The event bus: durable topics with consumer groups, and a fan-out channel for live views.

One interface (:class:`EventBus`), two implementations: :class:`RedisBus` (Redis Streams with consumer
groups; pub/sub for fan-out) for production and scale-out, and :class:`MemoryBus` (in-process, same
semantics) for the embedded default and unit tests. One contract test suite runs against both.
"""

from gongwu.core.events.base import Delivery, EventBus, decode_payload, encode_payload
from gongwu.core.events.consumer import Consumer
from gongwu.core.events.memory import MemoryBus

__all__ = [
    "Consumer",
    "Delivery",
    "EventBus",
    "MemoryBus",
    "RedisBus",
    "connect_bus",
    "decode_payload",
    "encode_payload",
]


def __getattr__(name: str) -> object:
    if name == "RedisBus":  # imported lazily: the embedded default does not need the redis client
        from gongwu.core.events.redis import RedisBus

        return RedisBus
    raise AttributeError(name)


def connect_bus(redis_url: str | None, *, maxlen: int = 1_000_000) -> EventBus:
    """The bus for a configured Redis URL, or the in-process bus when there is none."""
    if redis_url:
        from gongwu.core.events.redis import RedisBus

        return RedisBus(redis_url, maxlen=maxlen)
    return MemoryBus(maxlen=maxlen)
