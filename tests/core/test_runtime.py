"""The long-running processes tune Python's garbage collector (GONGWU_GC_THRESHOLD)."""

from __future__ import annotations

import gc

from gongwu.core.runtime import tune_gc
from gongwu.core.settings import CoreSettings


def test_the_start_up_heap_is_frozen_and_the_youngest_generation_grows() -> None:
    before = gc.get_threshold()
    try:
        tune_gc(CoreSettings().gc_threshold)
        assert gc.get_threshold() == (50_000, before[1], before[2])
        assert gc.get_freeze_count() > 1000  # modules, settings … out of the collector's sight
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_zero_keeps_pythons_defaults() -> None:
    before = gc.get_threshold()
    tune_gc(0)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
