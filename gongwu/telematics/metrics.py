"""Prometheus metrics of the gateways and the pipeline (served on ``/metrics`` by each process).

Counters and gauges of this process only: in a deployment of several gateway processes each serves its own
``/metrics`` and Prometheus adds them up. Gauges that describe the writer (pending positions, lag, failing) are
read when scraped, from the :class:`~gongwu.telematics.pipeline.BatchWriter` registered with :func:`watch`.
"""

from __future__ import annotations

import weakref
from typing import Any

from prometheus_client import Counter, Gauge

__all__ = [
    "ACKS",
    "AUTH_FAILURES",
    "CLOSED",
    "CONNECTIONS",
    "FRAMES",
    "REFUSED",
    "THROTTLED",
    "connection_closed",
    "connection_opened",
    "frames_in",
    "watch",
]

CONNECTIONS = Gauge("gongwu_gateway_connections", "Open terminal connections", ["protocol"])
ACCEPTED = Counter("gongwu_gateway_connections_accepted_total", "Terminal connections accepted", ["protocol"])
CLOSED = Counter(
    "gongwu_gateway_connections_closed_total", "Connections the gateway closed, by reason", ["protocol", "reason"]
)
FRAMES = Counter("gongwu_gateway_frames_in_total", "Frames received from terminals", ["protocol"])
BYTES = Counter("gongwu_gateway_bytes_in_total", "Bytes received from terminals", ["protocol"])
ACKS = Counter("gongwu_gateway_acks_total", "Messages acknowledged to terminals once stored and published")
THROTTLED = Counter(
    "gongwu_gateway_throttled_total", "Times a connection was read more slowly (over its frame rate)", ["protocol"]
)
AUTH_FAILURES = Counter(
    "gongwu_gateway_auth_failures_total", "Failed terminal authentications and lock-outs", ["protocol", "reason"]
)
POSITIONS = Counter("gongwu_pipeline_positions_stored_total", "Positions written (new rows and re-sends)")
BATCHES = Counter("gongwu_pipeline_batches_total", "Batches released (written, published, acked)")
WRITE_FAILURES = Counter("gongwu_pipeline_failures_total", "Failed writes or publishes of a batch (retried)")
REFUSED = Counter(
    "gongwu_pipeline_positions_refused_total",
    "Positions the database refused for their data (not stored; the terminal is answered with a failure)",
)

_writers: weakref.WeakSet[Any] = weakref.WeakSet()


def _sum(attribute: str) -> float:
    return float(sum(getattr(w, attribute) for w in list(_writers)))


PENDING = Gauge("gongwu_pipeline_pending", "Positions accepted and not yet acked (the writer's queue)")
PENDING.set_function(lambda: _sum("pending"))
LAG = Gauge("gongwu_pipeline_lag_seconds", "How long the oldest position not yet acked has waited")
LAG.set_function(lambda: max((w.lag_s for w in list(_writers)), default=0.0))
FAILING = Gauge(
    "gongwu_pipeline_failing_seconds", "How long the store or the bus has been refusing batches (0: all well)"
)
FAILING.set_function(lambda: max((w.failing_for for w in list(_writers)), default=0.0))
SATURATED = Gauge("gongwu_pipeline_saturated", "1 while the gateway stops reading because the writer is full")
SATURATED.set_function(lambda: float(any(w.saturated for w in list(_writers))))


def watch(writer: Any) -> None:
    """Report this writer's queue on the gauges (every writer of the process is summed)."""
    _writers.add(writer)


def connection_opened(protocol: str) -> None:
    CONNECTIONS.labels(protocol).inc()
    ACCEPTED.labels(protocol).inc()


def connection_closed(protocol: str) -> None:
    CONNECTIONS.labels(protocol).dec()


def frames_in(protocol: str, frames: int, size: int) -> None:
    if frames:
        FRAMES.labels(protocol).inc(frames)
    BYTES.labels(protocol).inc(size)
