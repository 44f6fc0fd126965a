"""The pipeline: the ordered handlers, then the batch writer (persist → ack → publish)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

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
        self, track: Track, positions: Sequence[Position], received_at: datetime, done: Done | None
    ) -> list[Fix]:
        fixes = [Fix(p, track.terminal_id, track.vehicle_id, received_at) for p in positions]
        handlers = self.handlers
        for fix in fixes:
            run_handlers(handlers, fix, track)
        self.writer.add(fixes, done)
        return fixes

    @property
    def saturated(self) -> bool:
        return self.writer.saturated


def bus_publisher(bus: EventBus) -> Publish:
    """Publish stored fixes on ``telematics.positions``, one event each, in order."""

    async def publish(fixes: Sequence[Fix]) -> None:
        await bus.publish_many(topics.POSITIONS, [f.event() for f in fixes])

    return publish
