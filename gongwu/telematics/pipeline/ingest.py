"""The pipeline: the ordered handlers, then the batch writer (persist → ack → publish)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import orjson

from gongwu.core.events import EventBus
from gongwu.devices import Position
from gongwu.telematics import topics
from gongwu.telematics.pipeline.fix import Fix
from gongwu.telematics.pipeline.handlers import Handler, Track, run_handlers
from gongwu.telematics.pipeline.writer import BatchWriter, Done, Publish

__all__ = ["Pipeline", "bus_publisher"]


class Pipeline:
    """``submit`` runs a message's positions through the handlers in order and queues them for the writer."""

    def __init__(self, handlers: Sequence[Handler], writer: BatchWriter) -> None:
        self.handlers = list(handlers)
        self.writer = writer

    def submit(
        self,
        track: Track,
        positions: Sequence[Position],
        received_at: datetime,
        done: Done | None,
        refuse: Done | None = None,
    ) -> list[Fix]:
        fixes = [Fix(p, track.terminal_id, track.vehicle_id, received_at) for p in positions]
        handlers = self.handlers
        for fix in fixes:
            run_handlers(handlers, fix, track)
        if refuse is not None:
            refuse = _forgetting(track, fixes, refuse)
        self.writer.add(fixes, done, refuse)
        return fixes

    @property
    def saturated(self) -> bool:
        return self.writer.saturated


def _forgetting(track: Track, fixes: Sequence[Fix], refuse: Done) -> Done:
    """``refuse``, after the session forgets the message's keys: its re-send is no duplicate of what was stored
    (acked as one, it would tell the terminal a refused report is stored) but goes to the database again."""

    def forget_and_refuse() -> None:
        for fix in fixes:
            track.recent_set.discard((fix.device_time, fix.digest))
        refuse()

    return forget_and_refuse


_XADD_ALL = """
for i = 2, #ARGV do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'd', ARGV[i])
end
return #ARGV - 1
"""


def bus_publisher(bus: EventBus, *, stream_maxlen: int = 1_000_000) -> Publish:
    """Publish stored fixes on ``telematics.positions``, one event each, in order.

    On Redis a batch goes in one script call (one round trip, one command to pack) instead of one XADD per
    event — the same stream entries (field ``d``, the JSON payload) that :class:`~gongwu.core.events.RedisBus`
    reads; the stream keeps about ``stream_maxlen`` events.
    """
    client = getattr(bus, "client", None)
    if client is None:

        async def publish(fixes: Sequence[Fix]) -> None:
            await bus.publish_many(topics.POSITIONS, [f.event() for f in fixes])

        return publish
    script = client.register_script(_XADD_ALL)
    dumps = orjson.dumps  # the event is plain JSON types; orjson encodes it several times faster than json

    async def publish_redis(fixes: Sequence[Fix]) -> None:
        for start in range(0, len(fixes), 1000):
            chunk = fixes[start : start + 1000]
            await script(keys=[topics.POSITIONS], args=[stream_maxlen, *(dumps(f.event_for_json()) for f in chunk)])

    return publish_redis
