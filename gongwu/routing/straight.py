"""Straight-line estimates, and the wrapper that uses them where a real engine cannot answer.

:class:`StraightLineTravelTimes` is great-circle distance × a detour factor at a fixed speed: a usable guess
for a car off the road graph (in a compound, a garage, outside the imported city) or while an engine is down.
:class:`FallbackTravelTimes` wraps an engine: points the engine cannot place (outside the map, too far from a
road) and pairs it has no answer for are filled with straight-line estimates, flagged ``approximate``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from gongwu.core.geo import EARTH_RADIUS_M
from gongwu.routing.errors import EngineError, NoRoadNearby, NoRoute, OutsideMap
from gongwu.routing.types import LatLon, MatrixResult, PointLike, Route, TravelTimes, as_points

__all__ = ["FallbackTravelTimes", "StraightLineTravelTimes", "great_circle_matrix_m"]

log = logging.getLogger(__name__)
F64 = npt.NDArray[np.float64]


def great_circle_matrix_m(a: Sequence[LatLon], b: Sequence[LatLon]) -> F64:
    """Haversine distances (metres) from every point of ``a`` to every point of ``b``."""
    if not a or not b:
        return np.zeros((len(a), len(b)))
    la = np.radians(np.array([p.lat for p in a]))[:, None]
    oa = np.radians(np.array([p.lon for p in a]))[:, None]
    lb = np.radians(np.array([p.lat for p in b]))[None, :]
    ob = np.radians(np.array([p.lon for p in b]))[None, :]
    h = np.sin((lb - la) / 2) ** 2 + np.cos(la) * np.cos(lb) * np.sin((ob - oa) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h))), dtype=np.float64)


class StraightLineTravelTimes:
    """Distance = great circle × ``detour_factor``; time = distance at ``speed_kmh``."""

    name = "straight_line"

    def __init__(self, detour_factor: float = 1.4, speed_kmh: float = 25.0) -> None:
        if detour_factor < 1.0 or speed_kmh <= 0:
            raise ValueError("detour factor must be ≥ 1 and speed positive")
        self.detour_factor = detour_factor
        self.speed_kmh = speed_kmh

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult:
        dist = great_circle_matrix_m(as_points(sources), as_points(targets)) * self.detour_factor
        return MatrixResult(dist / (self.speed_kmh / 3.6), dist, np.ones(dist.shape, dtype=bool), self.name)

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        pa, pb = as_points([a, b])
        dist = float(great_circle_matrix_m([pa], [pb])[0, 0]) * self.detour_factor
        return Route(
            geometry=[(pa.lon, pa.lat), (pb.lon, pb.lat)],
            distance_m=dist,
            duration_s=dist / (self.speed_kmh / 3.6),
            engine=self.name,
            approximate=True,
            snapped=(pa, pb),
        )


class FallbackTravelTimes:
    """An engine whose gaps are filled with straight-line estimates (see the module docstring).

    If the engine can tell which points it can place (a ``locate(points) -> (snapped, ok)`` method, as the
    embedded graph engine has), only those go to it. Whole-request engine failures (:class:`EngineError`)
    also fall back, logged, so dispatch keeps working while an OSRM/Valhalla server is down.
    """

    def __init__(self, primary: TravelTimes, fallback: StraightLineTravelTimes | None = None) -> None:
        self.primary = primary
        self.fallback = fallback or StraightLineTravelTimes()
        self.name = primary.name

    def _placeable(self, points: list[LatLon]) -> npt.NDArray[np.bool_]:
        locate = getattr(self.primary, "locate", None)
        if locate is None:
            return np.ones(len(points), dtype=bool)
        _, ok = locate(points)
        return np.asarray(ok, dtype=bool)

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult:
        src, dst = as_points(sources), as_points(targets)
        dur = np.full((len(src), len(dst)), np.inf)
        dist = np.full((len(src), len(dst)), np.inf)
        approx = np.ones(dur.shape, dtype=bool)
        s_ok, t_ok = self._placeable(src), self._placeable(dst)
        si, ti = np.flatnonzero(s_ok), np.flatnonzero(t_ok)
        engine = self.fallback.name
        if si.size and ti.size:
            try:
                res = self.primary.matrix([src[i] for i in si], [dst[j] for j in ti], depart_at)
            except EngineError as exc:
                log.warning("routing engine %s failed, using straight lines: %s", self.primary.name, exc)
            else:
                engine = res.engine
                good = np.isfinite(res.durations_s) & ~res.approximate
                block = np.ix_(si, ti)
                dur[block] = np.where(good, res.durations_s, dur[block])
                dist[block] = np.where(good, res.distances_m, dist[block])
                approx[block] = ~good
        if approx.any():  # estimate only the cells the engine left open
            rows, cols = np.flatnonzero(approx.any(axis=1)), np.flatnonzero(approx.any(axis=0))
            est = self.fallback.matrix([src[i] for i in rows], [dst[j] for j in cols])
            block = np.ix_(rows, cols)
            gap = approx[block]
            dur[block] = np.where(gap, est.durations_s, dur[block])
            dist[block] = np.where(gap, est.distances_m, dist[block])
        return MatrixResult(dur, dist, approx, engine)

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        pa, pb = as_points([a, b])
        if self._placeable([pa, pb]).all():
            try:
                return self.primary.route(pa, pb, depart_at)
            except (EngineError, NoRoute, OutsideMap, NoRoadNearby) as exc:
                log.info("no %s route, using a straight line: %s", self.primary.name, exc)
        return self.fallback.route(pa, pb)
