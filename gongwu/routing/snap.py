"""Snapping points to the nearest road: the spatial index written at import and queried in bulk.

Every road segment is sampled every :data:`SPACING_M` metres (at the middle of equal sub-pieces, so any point
of a segment is within half the spacing of a sample) in a local metric projection, and a k-d tree is built on
the samples. For a query point ``p`` whose nearest sample is ``d`` away, the nearest segment is among the
segments that own a sample within ``d + SPACING_M / 2`` — those are projected exactly, and the closest wins.
The result is a position *along* a road (road id and metres from its start), so trips that start or end in
the middle of a long road are counted from where the car really is.

The projection is equirectangular about the extract's centre: exact enough for snapping in a city or a
province; lengths along roads are always haversine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from gongwu.routing.graph import RoadGraph, segment_lengths_m

__all__ = ["SPACING_M", "SnapIndex", "Snapped"]

SPACING_M = 10.0
_R = 6_371_008.8
FORMAT_VERSION = 1

F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Snapped:
    """Where each query point lands on the road network (arrays of the query's length)."""

    road: I32
    offset_m: F64  # metres from the road's start vertex u
    lat: F64
    lon: F64
    distance_m: F64  # from the query point to the road

    def __len__(self) -> int:
        return int(self.road.shape[0])


class SnapIndex:
    """Nearest-road lookups on a :class:`RoadGraph` (build once at import, save, load at start)."""

    def __init__(
        self,
        graph: RoadGraph,
        lat0: float,
        lon0: float,
        sample_x: F64,
        sample_y: F64,
        sample_seg: I32,
    ) -> None:
        self.graph = graph
        self.lat0 = lat0
        self.lon0 = lon0
        self._kx = _R * np.cos(np.radians(lat0)) * np.pi / 180.0
        self._ky = _R * np.pi / 180.0
        self.sample_x = sample_x
        self.sample_y = sample_y
        self.sample_seg = sample_seg
        seg_start, seg_road = _segments(graph)
        self.seg_start = seg_start
        self.seg_road = seg_road
        lat, lon = graph.shape_lat, graph.shape_lon
        self._ax, self._ay = self.project(lat[seg_start], lon[seg_start])
        self._bx, self._by = self.project(lat[seg_start + 1], lon[seg_start + 1])
        seg_len = segment_lengths_m(lat, lon)[seg_start]
        # Distance from the road's start to the start of each segment.
        starts = graph.shape_offset[seg_road]
        cum = np.concatenate([[0.0], np.cumsum(segment_lengths_m(lat, lon))])
        self.seg_offset_m = cum[seg_start] - cum[starts]
        self.seg_len_m = seg_len
        self._tree = cKDTree(np.column_stack([sample_x, sample_y]))

    # -- building and persistence ------------------------------------------------------------------------

    @classmethod
    def build(cls, graph: RoadGraph) -> SnapIndex:
        min_lat, min_lon, max_lat, max_lon = graph.bbox()
        lat0, lon0 = (min_lat + max_lat) / 2, (min_lon + max_lon) / 2
        kx = _R * np.cos(np.radians(lat0)) * np.pi / 180.0
        ky = _R * np.pi / 180.0
        seg_start, _ = _segments(graph)
        ax = (graph.shape_lon[seg_start] - lon0) * kx
        ay = (graph.shape_lat[seg_start] - lat0) * ky
        bx = (graph.shape_lon[seg_start + 1] - lon0) * kx
        by = (graph.shape_lat[seg_start + 1] - lat0) * ky
        length = np.hypot(bx - ax, by - ay)
        n = np.maximum(1, np.ceil(length / SPACING_M)).astype(np.int64)
        seg_of_sample = np.repeat(np.arange(len(seg_start), dtype=np.int32), n)
        first = np.concatenate([[0], np.cumsum(n)[:-1]])
        k = np.arange(int(n.sum())) - np.repeat(first, n)
        t = (k + 0.5) / np.repeat(n, n)
        sx = ax[seg_of_sample] + t * (bx - ax)[seg_of_sample]
        sy = ay[seg_of_sample] + t * (by - ay)[seg_of_sample]
        return cls(graph, lat0, lon0, sx, sy, seg_of_sample)

    def save(self, path: Path) -> None:
        np.savez(
            path,
            format_version=np.array(FORMAT_VERSION),
            origin=np.array([self.lat0, self.lon0]),
            sample_x=self.sample_x,
            sample_y=self.sample_y,
            sample_seg=self.sample_seg,
        )

    @classmethod
    def load(cls, path: Path, graph: RoadGraph) -> SnapIndex:
        with np.load(path, allow_pickle=False) as z:
            if int(z["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: snap index format differs from this version; re-import the map")
            lat0, lon0 = (float(v) for v in z["origin"])
            return cls(graph, lat0, lon0, z["sample_x"], z["sample_y"], z["sample_seg"])

    # -- queries -----------------------------------------------------------------------------------------

    def project(self, lat: F64, lon: F64) -> tuple[F64, F64]:
        return (np.asarray(lon) - self.lon0) * self._kx, (np.asarray(lat) - self.lat0) * self._ky

    def snap(self, lat: F64, lon: F64) -> Snapped:
        """Nearest road position of each point (no distance limit: check ``distance_m``)."""
        px, py = self.project(np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64))
        pts = np.column_stack([px, py])
        d_nn, _ = self._tree.query(pts, k=1)
        balls = self._tree.query_ball_point(pts, r=np.asarray(d_nn) + SPACING_M / 2 + 1e-6)
        counts = np.fromiter((len(b) for b in balls), dtype=np.int64, count=len(balls))
        samples = np.fromiter((s for b in balls for s in b), dtype=np.int64, count=int(counts.sum()))
        owner = np.repeat(np.arange(len(balls)), counts)
        seg = self.sample_seg[samples]
        # Each (point, segment) pair once.
        key = np.unique(owner.astype(np.int64) * (len(self.seg_start) + 1) + seg)
        owner = key // (len(self.seg_start) + 1)
        seg = (key % (len(self.seg_start) + 1)).astype(np.int64)
        ax, ay, bx, by = self._ax[seg], self._ay[seg], self._bx[seg], self._by[seg]
        dx, dy = bx - ax, by - ay
        len2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(len2 > 0, ((px[owner] - ax) * dx + (py[owner] - ay) * dy) / len2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        dist = np.hypot(px[owner] - (ax + t * dx), py[owner] - (ay + t * dy))
        order = np.lexsort((dist, owner))
        first = np.ones(len(order), dtype=bool)
        first[1:] = owner[order][1:] != owner[order][:-1]
        best = order[first]
        seg_b, t_b = seg[best], t[best]
        start = self.seg_start[seg_b]
        g = self.graph
        s_lat = g.shape_lat[start] + t_b * (g.shape_lat[start + 1] - g.shape_lat[start])
        s_lon = g.shape_lon[start] + t_b * (g.shape_lon[start + 1] - g.shape_lon[start])
        road = self.seg_road[seg_b]
        offset = np.minimum(self.seg_offset_m[seg_b] + t_b * self.seg_len_m[seg_b], g.road_length_m[road])
        return Snapped(road=road, offset_m=offset, lat=s_lat, lon=s_lon, distance_m=dist[best])


def _segments(graph: RoadGraph) -> tuple[npt.NDArray[np.int64], I32]:
    """(index of the first shape point, road) of every segment."""
    n_points = int(graph.shape_offset[-1])
    is_last = np.zeros(n_points, dtype=bool)
    is_last[graph.shape_offset[1:] - 1] = True
    seg_start = np.flatnonzero(~is_last).astype(np.int64)
    road_of_point = np.repeat(np.arange(graph.n_roads, dtype=np.int32), np.diff(graph.shape_offset))
    return seg_start, road_of_point[seg_start]
