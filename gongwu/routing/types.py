"""Value objects and the :class:`TravelTimes` interface every engine implements.

Points are WGS-84 ``(lat, lon)`` (the same order as :func:`gongwu.core.geo.haversine_m`); route geometry is a
list of ``(lon, lat)`` pairs, the GeoJSON/MapLibre order, so it can be drawn as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from gongwu.routing.errors import BadCoordinate

__all__ = [
    "LatLon",
    "MatrixResult",
    "PointLike",
    "PointsLike",
    "Route",
    "TravelTimes",
    "as_points",
    "point_arrays",
]

FloatArray = npt.NDArray[np.float64]


class LatLon(NamedTuple):
    """A WGS-84 point, decimal degrees."""

    lat: float
    lon: float


PointLike = LatLon | tuple[float, float]
PointsLike = Sequence[PointLike] | npt.NDArray[np.float64]
"""Points as a sequence of (lat, lon) pairs or an (n, 2) array."""


def point_arrays(points: PointsLike) -> tuple[FloatArray, FloatArray]:
    """Validated ``(lat, lon)`` pairs as two arrays; raises :class:`BadCoordinate` naming the bad index."""
    if len(points) == 0:
        return np.zeros(0), np.zeros(0)
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        arr = np.zeros((0, 0))
    if arr.ndim != 2 or arr.shape[1] != 2:
        for i, p in enumerate(points):
            try:
                float(p[0]), float(p[1])
                if len(p) != 2:
                    raise ValueError
            except (TypeError, ValueError, IndexError) as exc:
                raise BadCoordinate(
                    f"Point {i} is not a (lat, lon) pair.",
                    message_zh=f"坐标点 {i} 不是（纬度, 经度）坐标对。",
                    details={"index": i},
                ) from exc
        raise BadCoordinate("Points must be (lat, lon) pairs.", message_zh="坐标点须为（纬度, 经度）坐标对。")
    lat, lon = arr[:, 0].copy(), arr[:, 1].copy()
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BadCoordinate(details={"index": i, "lat": _jsonable(lat[i]), "lon": _jsonable(lon[i])})
    return lat, lon


def _jsonable(v: float) -> float | str:
    return float(v) if math.isfinite(v) else str(v)


def as_points(points: PointsLike) -> list[LatLon]:
    """Validate and normalise ``(lat, lon)`` pairs; raises :class:`BadCoordinate` naming the bad index."""
    lat, lon = point_arrays(points)
    return list(map(LatLon._make, zip(lat.tolist(), lon.tolist(), strict=True)))


@dataclass(frozen=True, slots=True)
class MatrixResult:
    """Travel times and distances from every source (rows) to every target (columns).

    ``durations_s[i, j]`` and ``distances_m[i, j]`` are ``inf`` where no route exists. ``approximate[i, j]``
    is True where the value is a straight-line estimate (a point off the road graph, or an engine gap).
    """

    durations_s: FloatArray
    distances_m: FloatArray
    approximate: npt.NDArray[np.bool_]
    engine: str

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.durations_s.shape[0]), int(self.durations_s.shape[1]))


@dataclass(frozen=True, slots=True)
class Route:
    """One route: its drawable geometry, length and time.

    ``way_ids`` are the OpenStreetMap ways travelled, in order (empty for engines that do not report them);
    ``snapped`` are the points on the road where the route really starts and ends.
    """

    geometry: list[tuple[float, float]]
    distance_m: float
    duration_s: float
    engine: str
    approximate: bool = False
    way_ids: list[int] = field(default_factory=list)
    snapped: tuple[LatLon, LatLon] | None = None


@runtime_checkable
class TravelTimes(Protocol):
    """What dispatch, ETA and cost estimates ask of a routing engine.

    ``depart_at`` lets an engine use time-of-day speeds (naive: the bureau's wall-clock time); engines without
    them ignore it.
    """

    name: str

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult: ...

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route: ...
