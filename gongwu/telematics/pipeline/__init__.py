"""The ingest pipeline: one ordered list of handlers (validate → de-duplicate → odometer and motion), then
persist in batches (COPY on PostgreSQL), and only then ack — then publish on the bus."""

from gongwu.telematics.pipeline.fix import COLUMNS, Fix, Flag
from gongwu.telematics.pipeline.handlers import Dedupe, Handler, Motion, Track, Validate, default_handlers
from gongwu.telematics.pipeline.ingest import Pipeline, bus_publisher
from gongwu.telematics.pipeline.store import PgPositionStore, PositionStore, SqlitePositionStore, open_store
from gongwu.telematics.pipeline.writer import BatchWriter

__all__ = [
    "COLUMNS",
    "BatchWriter",
    "Dedupe",
    "Fix",
    "Flag",
    "Handler",
    "Motion",
    "PgPositionStore",
    "Pipeline",
    "PositionStore",
    "SqlitePositionStore",
    "Track",
    "Validate",
    "bus_publisher",
    "default_handlers",
    "open_store",
]
