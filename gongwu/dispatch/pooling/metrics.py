"""Prometheus metrics of the optimizer (served on ``/metrics`` by each process that plans)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["SOLVE_SECONDS", "WORKER_DEATHS"]

SOLVE_SECONDS = Histogram(
    "gongwu_pooling_solve_seconds",
    "Wall time of one solve in the worker process (the search time limit plus the checks)",
    buckets=(0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60),
)
WORKER_DEATHS = Counter("gongwu_pooling_worker_deaths_total", "Optimizer worker processes that died during a solve")
