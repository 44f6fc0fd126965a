"""Speeds learned from the fleet's own trips, per road class and hour of day.

The telematics layer turns stored trips into *traversals*: a road (or just its class), the local hour the car
was on it, and the speed it held there. :func:`fit_speed_profile` takes them as plain arrays and keeps, for
each road class × hour, the median speed when at least ``min_samples`` traversals back it (and the median over
all hours in column 24, used when no departure time is given). Where a cell has too few samples, the road's
default speed stays. :meth:`SpeedProfile.road_speeds` turns a profile into per-road speeds for the graph
(never above a road's posted limit). A profile is saved as JSON next to the graph (``speeds.json``).

:func:`traversals_from_track` is a simple bridge for raw GPS tracks: it snaps consecutive fixes and, where
two fixes fall on the same road, records the along-road speed between them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gongwu.routing.graph import RoadGraph
from gongwu.routing.snap import SnapIndex
from gongwu.routing.speeds import ROAD_CLASSES

__all__ = ["ANY_HOUR", "SpeedProfile", "Traversals", "fit_speed_profile", "traversals_from_track"]

ANY_HOUR = 24
"""Column of :attr:`SpeedProfile.speed_kmh` holding the all-day median."""

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Traversals:
    """Observed passes of cars over roads: parallel arrays, one entry per pass."""

    road_class: npt.NDArray[np.int8]  # code into ROAD_CLASSES
    hour: npt.NDArray[np.int8]  # local hour of day 0..23
    speed_kmh: F64

    @classmethod
    def from_records(cls, records: Sequence[tuple[str, int, float]]) -> Traversals:
        """From ``(road class name, local hour, speed km/h)`` records; unknown classes are dropped."""
        codes = {c: i for i, c in enumerate(ROAD_CLASSES)}
        kept = [(codes[c], h, s) for c, h, s in records if c in codes]
        arr = np.array(kept, dtype=np.float64).reshape(-1, 3)
        return cls(arr[:, 0].astype(np.int8), arr[:, 1].astype(np.int8), arr[:, 2])

    @classmethod
    def from_roads(
        cls, graph: RoadGraph, road: npt.ArrayLike, hour: npt.ArrayLike, speed_kmh: npt.ArrayLike
    ) -> Traversals:
        """From road ids of ``graph`` (as reported by snapping or :class:`~gongwu.routing.types.Route`)."""
        road_arr = np.asarray(road, dtype=np.int64)
        return cls(
            graph.road_class[road_arr].astype(np.int8),
            np.asarray(hour, dtype=np.int8),
            np.asarray(speed_kmh, dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.speed_kmh.shape[0])


@dataclass(frozen=True, eq=False)
class SpeedProfile:
    """Median speeds (km/h) per road class (rows, ROAD_CLASSES order) × hour (0..23, 24 = all day).

    NaN where there were fewer than ``min_samples`` traversals. ``samples`` holds the counts.
    """

    speed_kmh: F64
    samples: npt.NDArray[np.int64]
    min_samples: int
    fitted_at: str

    def road_speeds(self, graph: RoadGraph, hour: int | None, free_flow_kmh: F64) -> F64:
        """Per-road speeds for ``hour`` (None: all-day column): learned where known, else ``free_flow_kmh``."""
        column = ANY_HOUR if hour is None else hour % 24
        learned = self.speed_kmh[graph.road_class.astype(np.int64), column]
        posted = graph.road_maxspeed_kmh.astype(np.float64)
        capped = np.where(np.isnan(posted), learned, np.minimum(learned, posted))
        return np.where(np.isnan(learned), free_flow_kmh, np.maximum(capped, 1.0))

    def covered(self) -> list[tuple[str, int]]:
        """(class, hour) cells that have a learned value (hours 0..23 only)."""
        rows, cols = np.nonzero(~np.isnan(self.speed_kmh[:, :ANY_HOUR]))
        return [(ROAD_CLASSES[r], int(c)) for r, c in zip(rows, cols, strict=True)]

    def to_json(self) -> dict[str, Any]:
        return {
            "road_classes": list(ROAD_CLASSES),
            "min_samples": self.min_samples,
            "fitted_at": self.fitted_at,
            "speed_kmh": [[None if np.isnan(v) else round(float(v), 2) for v in row] for row in self.speed_kmh],
            "samples": self.samples.tolist(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpeedProfile:
        if list(data["road_classes"]) != list(ROAD_CLASSES):
            raise ValueError("speed profile was fitted for other road classes")
        speeds = np.array([[np.nan if v is None else v for v in row] for row in data["speed_kmh"]], dtype=float)
        return cls(speeds, np.array(data["samples"], dtype=np.int64), int(data["min_samples"]), data["fitted_at"])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, path: Path) -> SpeedProfile:
        return cls.from_json(json.loads(path.read_text()))


def fit_speed_profile(traversals: Traversals, min_samples: int = 30, max_speed_kmh: float = 150.0) -> SpeedProfile:
    """Median speed per road class × hour (and all day), kept where ``min_samples`` back it.

    Passes slower than 1 km/h (parked, queued at the gate) or faster than ``max_speed_kmh`` (GPS jumps) are
    left out before counting.
    """
    n_classes = len(ROAD_CLASSES)
    speeds = np.full((n_classes, ANY_HOUR + 1), np.nan)
    counts = np.zeros((n_classes, ANY_HOUR + 1), dtype=np.int64)
    ok = (traversals.speed_kmh >= 1.0) & (traversals.speed_kmh <= max_speed_kmh)
    ok &= (traversals.hour >= 0) & (traversals.hour < 24)
    klass = traversals.road_class[ok].astype(np.int64)
    hour = traversals.hour[ok].astype(np.int64)
    speed = traversals.speed_kmh[ok]
    for c in np.unique(klass):
        in_class = klass == c
        for h in range(ANY_HOUR + 1):
            cell = speed[in_class] if h == ANY_HOUR else speed[in_class & (hour == h)]
            counts[c, h] = cell.size
            if cell.size >= min_samples:
                speeds[c, h] = float(np.median(cell))
    return SpeedProfile(speeds, counts, min_samples, datetime.now(UTC).isoformat(timespec="seconds"))


def traversals_from_track(
    index: SnapIndex,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    local_hour: npt.ArrayLike,
    t_s: npt.ArrayLike,
    max_snap_m: float = 25.0,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int8], F64]:
    """(road, hour, speed km/h) for each pair of consecutive fixes that snap to the same road.

    ``t_s`` are fix times in seconds (any origin). Fixes farther than ``max_snap_m`` from a road, pairs less
    than 5 s or more than 120 s apart, and pairs with no along-road movement are skipped.
    """
    lat_a = np.asarray(lat, dtype=np.float64)
    if lat_a.size < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0)
    snapped = index.snap(lat_a, np.asarray(lon, dtype=np.float64))
    t = np.asarray(t_s, dtype=np.float64)
    dt = np.diff(t)
    same = snapped.road[1:] == snapped.road[:-1]
    close = (snapped.distance_m[1:] <= max_snap_m) & (snapped.distance_m[:-1] <= max_snap_m)
    moved = np.abs(np.diff(snapped.offset_m))
    ok = same & close & (dt >= 5) & (dt <= 120) & (moved > 1.0)
    speed = moved[ok] / dt[ok] * 3.6
    hours = np.asarray(local_hour, dtype=np.int8)[:-1][ok]
    return snapped.road[:-1][ok].astype(np.int64), hours, speed
