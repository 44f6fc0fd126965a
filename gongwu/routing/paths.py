"""Turning a path (pieces of roads, each driven between two offsets) into a drawable :class:`Route`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gongwu.routing.graph import RoadGraph, segment_lengths_m
from gongwu.routing.types import LatLon, Route

__all__ = ["PathPiece", "assemble_route", "cut_road"]


@dataclass(frozen=True, slots=True)
class PathPiece:
    """Road ``road`` driven from ``start_m`` to ``end_m`` metres after its start vertex (backward if less)."""

    road: int
    start_m: float
    end_m: float


def cut_road(graph: RoadGraph, road: int, start_m: float, end_m: float) -> list[tuple[float, float]]:
    """(lon, lat) points of ``road`` between two offsets, in driving order, ends interpolated."""
    lats, lons = graph.shape(road)
    cum = np.concatenate([[0.0], np.cumsum(segment_lengths_m(lats, lons))])
    scale = float(graph.road_length_m[road]) / cum[-1] if cum[-1] > 0 else 1.0
    cum = cum * scale
    lo, hi = sorted((start_m, end_m))
    inner = np.flatnonzero((cum > lo) & (cum < hi))
    pts = [_at(cum, lats, lons, lo)] + [(float(lons[i]), float(lats[i])) for i in inner] + [_at(cum, lats, lons, hi)]
    if start_m > end_m:
        pts.reverse()
    return pts


def _at(
    cum: npt.NDArray[np.float64], lats: npt.NDArray[np.float64], lons: npt.NDArray[np.float64], m: float
) -> tuple[float, float]:
    lat = float(np.interp(m, cum, lats))
    lon = float(np.interp(m, cum, lons))
    return (lon, lat)


def assemble_route(
    graph: RoadGraph,
    road_time_s: npt.NDArray[np.float64],
    pieces: Sequence[PathPiece],
    *,
    engine: str,
    snapped: tuple[LatLon, LatLon] | None,
) -> Route:
    """Geometry, length, time and way ids of a path."""
    geometry: list[tuple[float, float]] = []
    distance = 0.0
    duration = 0.0
    way_ids: list[int] = []
    for p in pieces:
        driven = abs(p.end_m - p.start_m)
        length = float(graph.road_length_m[p.road])
        distance += driven
        duration += float(road_time_s[p.road]) * driven / length
        for pt in cut_road(graph, p.road, p.start_m, p.end_m):
            if not geometry or geometry[-1] != pt:
                geometry.append(pt)
        way = int(graph.road_way_id[p.road])
        if driven > 0 and (not way_ids or way_ids[-1] != way):
            way_ids.append(way)
    if len(geometry) == 1:
        geometry.append(geometry[0])
    return Route(
        geometry=geometry,
        distance_m=distance,
        duration_s=duration,
        engine=engine,
        way_ids=way_ids,
        snapped=snapped,
    )
