"""Interpreter tuning for the long-running processes (`gongwu serve`, `gateway`, `consumers`).

CPython's cyclic garbage collector runs its youngest generation every 700 net allocations of container objects.
A gateway allocates a handful per position (the decoded position, its fix, the ack's closure, the published
event), almost all freed at once by reference counting, so at 20,000 positions/s the collector ran about 150
times a second, each pass also walking objects that survive a while (sessions, tracks, batches). That was about a
fifth of a gateway's CPU in ``bench/ingest``. The processes therefore freeze what start-up allocated (modules,
settings, pools — alive as long as the process) out of the collector's sight and let the youngest generation grow
to ``GONGWU_GC_THRESHOLD`` objects. Reference counting still frees everything that is not in a cycle at once;
cycles are found later, not never.
"""

from __future__ import annotations

import gc


def tune_gc(gen0_threshold: int) -> None:
    """Freeze the start-up heap and set the youngest generation's threshold (0: leave Python's defaults)."""
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
