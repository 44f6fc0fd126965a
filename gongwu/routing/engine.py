"""The embedded engine: travel times on the imported road graph with scipy's Dijkstra.

The search graph is the links graph (:mod:`gongwu.routing.links`): junctions as vertices, chains of roads
through degree-two vertices as single arcs. A point is snapped to a position along a road, hence along its
link; it joins the graph through a *virtual vertex* with an arc to each end of its link that the one-way
roads in between allow, costed for the part actually driven.

A matrix runs one Dijkstra per distinct source (or per distinct target on the reversed graph, whichever side
is smaller) over the graph plus those virtual vertices, then reads each target off the result through its
own partial arcs; two points on the same link also get the direct drive between them. Result rows (one per
snapped point and speed assignment) are kept in an LRU cache bounded in bytes, so a dispatcher's matrix that
differs by one booking costs one search.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from gongwu.routing.errors import NoRoadNearby, NoRoute, OutsideMap
from gongwu.routing.learned import SpeedProfile
from gongwu.routing.links import Links
from gongwu.routing.network import RoadNetwork
from gongwu.routing.paths import PathPiece, assemble_route
from gongwu.routing.snap import Snapped
from gongwu.routing.types import LatLon, MatrixResult, PointLike, PointsLike, Route, as_points, point_arrays
from gongwu.routing.weights import Weights, decode, encode

__all__ = ["GraphTravelTimes"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_CHUNK_BYTES = 64 * 2**20


class _RowCache:
    """LRU of search rows (float64 vectors), bounded by total bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._rows: OrderedDict[Hashable, F64] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> F64 | None:
        row = self._rows.get(key)
        if row is None:
            self.misses += 1
            return None
        self._rows.move_to_end(key)
        self.hits += 1
        return row

    def put(self, key: Hashable, row: F64) -> None:
        if key in self._rows or row.nbytes > self.max_bytes:
            return
        self._rows[key] = row
        self._bytes += row.nbytes
        while self._bytes > self.max_bytes:
            _, old = self._rows.popitem(last=False)
            self._bytes -= old.nbytes

    def clear(self) -> None:
        self._rows.clear()
        self._bytes = 0


class GraphTravelTimes:
    """:class:`~gongwu.routing.types.TravelTimes` on the imported road graph.

    ``max_snap_m``: a point farther than this from every road is refused (:class:`NoRoadNearby`; wrap the
    engine in :class:`~gongwu.routing.fallback.FallbackTravelTimes` to estimate such points instead).
    ``speed_overrides``: default speed (km/h) per road class name. ``timezone``: the zone whose hour of day
    selects learned speeds. ``cache_mb``: bound of the row cache.
    """

    name = "graph"

    def __init__(
        self,
        network: RoadNetwork,
        *,
        max_snap_m: float = 300.0,
        speed_overrides: Mapping[str, float] | None = None,
        timezone: str = "Asia/Shanghai",
        cache_mb: float = 128.0,
        use_learned_speeds: bool = True,
    ) -> None:
        self.network = network
        self.graph = network.graph
        self.links = Links.build(network.graph)
        self.max_snap_m = max_snap_m
        self._tz = ZoneInfo(timezone)
        self._free_flow = self.graph.free_flow_speed_kmh(speed_overrides)
        self._profile = network.speed_profile if use_learned_speeds else None
        self._weights: dict[int | None, Weights] = {}
        self._cache = _RowCache(int(cache_mb * 2**20))
        self._lock = threading.Lock()

    # -- speeds ------------------------------------------------------------------------------------------

    @property
    def speed_profile(self) -> SpeedProfile | None:
        return self._profile

    def apply_speed_profile(self, profile: SpeedProfile | None) -> None:
        """Use learned speeds from now on (None: back to default speeds). Clears cached results."""
        with self._lock:
            self._profile = profile
            self._weights.clear()
            self._cache.clear()

    def hour_of(self, depart_at: datetime | None) -> int | None:
        """Which learned-speed column applies: the local hour, or None (all-day / default speeds).

        A naive ``depart_at`` is taken as local wall-clock time (as terminals and people write it).
        """
        if depart_at is None or self._profile is None:
            return None
        if depart_at.tzinfo is None:
            return depart_at.hour
        return depart_at.astimezone(self._tz).hour

    def weights(self, hour: int | None = None) -> Weights:
        """The search weights for a learned-speed hour (None: all-day learned or default speeds)."""
        with self._lock:
            w = self._weights.get(hour)
            if w is None:
                speed = self._free_flow
                if self._profile is not None:
                    speed = self._profile.road_speeds(self.graph, hour, self._free_flow)
                w = self._weights[hour] = Weights.build(self.graph, self.links, speed)
            return w

    # -- snapping ----------------------------------------------------------------------------------------

    def locate(self, points: PointsLike) -> tuple[Snapped, npt.NDArray[np.bool_]]:
        """Snap points and tell which are usable (inside the map and within ``max_snap_m`` of a road)."""
        lat, lon = point_arrays(points)
        if lat.size == 0:
            empty = np.zeros(0)
            return Snapped(np.zeros(0, np.int32), empty, empty, empty, empty), np.zeros(0, bool)
        inside = self._inside(lat, lon)
        # Points far outside would only slow the k-d tree down: snap them at the map centre and refuse them.
        c_lat, c_lon = self.network.bbox.center
        snapped = self.network.index.snap(np.where(inside, lat, c_lat), np.where(inside, lon, c_lon))
        ok = inside & (snapped.distance_m <= self.max_snap_m)
        return snapped, ok

    def snap(self, points: PointsLike, role: str = "points") -> Snapped:
        """Snap points, refusing any outside the map or away from roads (errors name ``role`` and index)."""
        lat, lon = point_arrays(points)
        snapped, ok = self.locate(np.column_stack([lat, lon]))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            p = LatLon(float(lat[i]), float(lon[i]))
            details = {"role": role, "index": i, "lat": p.lat, "lon": p.lon}
            if not self._inside(np.array([p.lat]), np.array([p.lon]))[0]:
                details["map_bbox"] = self.network.bbox.as_list()
                raise OutsideMap(
                    f"{role}[{i}] ({p.lat:.6f}, {p.lon:.6f}) is outside the map.",
                    message_zh=f"{role}[{i}]（{p.lat:.6f}, {p.lon:.6f}）不在地图范围内。",
                    details=details,
                )
            details["distance_m"] = round(float(snapped.distance_m[i]), 1)
            details["max_snap_m"] = self.max_snap_m
            raise NoRoadNearby(
                f"{role}[{i}] is {snapped.distance_m[i]:.0f} m from the nearest drivable road "
                f"(limit {self.max_snap_m:.0f} m).",
                message_zh=f"{role}[{i}] 距最近的可通行道路 {snapped.distance_m[i]:.0f} 米"
                f"（上限 {self.max_snap_m:.0f} 米）。",
                details=details,
            )
        return snapped

    def _inside(self, lat: F64, lon: F64) -> npt.NDArray[np.bool_]:
        box = self.network.bbox
        m_lat = self.max_snap_m / 111_195.0
        m_lon = m_lat / max(0.05, float(np.cos(np.radians(box.center[0]))))
        return np.asarray(
            (lat >= box.min_lat - m_lat)
            & (lat <= box.max_lat + m_lat)
            & (lon >= box.min_lon - m_lon)
            & (lon <= box.max_lon + m_lon),
            dtype=np.bool_,
        )

    # -- matrices ----------------------------------------------------------------------------------------

    def matrix(
        self,
        sources: Sequence[PointLike],
        targets: Sequence[PointLike],
        depart_at: datetime | None = None,
    ) -> MatrixResult:
        src = self.snap(sources, "sources")
        dst = self.snap(targets, "targets")
        codes = self.matrix_codes(src, dst, self.hour_of(depart_at))
        durations, distances = decode(codes)
        return MatrixResult(durations, distances, np.zeros(codes.shape, dtype=bool), self.name)

    def matrix_codes(self, src: Snapped, dst: Snapped, hour: int | None = None) -> F64:
        """Packed (time, length) weights between snapped points; see :mod:`gongwu.routing.weights`."""
        if len(src) == 0 or len(dst) == 0:
            return np.zeros((len(src), len(dst)))
        w = self.weights(hour)
        s_nodes, s_costs = self._attach(w, src, leaving=True)
        t_nodes, t_costs = self._attach(w, dst, leaving=False)
        if len(src) <= len(dst):
            codes = self._search(w, (hour, "fwd"), w.forward, src, s_nodes, s_costs, t_nodes, t_costs)
        else:
            codes = self._search(w, (hour, "bwd"), w.backward, dst, t_nodes, t_costs, s_nodes, s_costs).T
        self._direct(w, src, dst, codes)
        return np.ascontiguousarray(codes)

    def _place(self, w: Weights, s: Snapped) -> _Placed:
        """Where snapped points lie along their links (metres and seconds from the link's start)."""
        lk = self.links
        r = s.road.astype(np.int64)
        inside = lk.inside(r, s.offset_m)
        frac = inside / self.graph.road_length_m[r]
        return _Placed(
            link=lk.road_link[r],
            index=lk.road_index[r],
            at_m=lk.road_before_m[r] + inside,
            at_s=w.road_before_s[r] + w.road_time_s[r] * frac,
        )

    def _attach(self, w: Weights, s: Snapped, leaving: bool) -> tuple[I64, F64]:
        """Each point's two arcs to/from its link's ends, (n, 2) anchors and packed costs (inf: not allowed)."""
        lk = self.links
        p = self._place(w, s)
        k = p.link
        first, last = lk.first_index(k), lk.last_index(k)
        cost_a = encode(p.at_s, p.at_m)
        cost_b = encode(np.maximum(w.link_time_s[k] - p.at_s, 0.0), np.maximum(lk.link_length_m[k] - p.at_m, 0.0))
        if leaving:  # point → a drives backward over first..here, point → b forward over here..last
            ok_a, ok_b = lk.backward_ok(first, p.index), lk.forward_ok(p.index, last)
        else:  # a → point drives forward over first..here, b → point backward over here..last
            ok_a, ok_b = lk.forward_ok(first, p.index), lk.backward_ok(p.index, last)
        nodes = np.column_stack([lk.link_a[k], lk.link_b[k]]).astype(np.int64)
        return nodes, np.column_stack([np.where(ok_a, cost_a, np.inf), np.where(ok_b, cost_b, np.inf)])

    def _search(
        self,
        w: Weights,
        tag: tuple[int | None, str],
        csr: csr_matrix,
        origin: Snapped,
        o_nodes: I64,
        o_costs: F64,
        far_nodes: I64,
        far_costs: F64,
    ) -> F64:
        """Codes from every origin (rows) to every far point (columns) over ``csr``."""
        n = self.links.n_anchors
        keys = [(tag, int(r), round(float(o), 1)) for r, o in zip(origin.road, origin.offset_m, strict=True)]
        out = np.empty((len(keys), len(far_nodes)))
        chunk = max(1, _CHUNK_BYTES // (8 * n))
        for start in range(0, len(keys), chunk):
            sl = slice(start, start + chunk)
            rows = self._rows(csr, keys[sl], o_nodes[sl], o_costs[sl])
            best = rows[:, far_nodes[:, 0]] + far_costs[:, 0]
            np.minimum(best, rows[:, far_nodes[:, 1]] + far_costs[:, 1], out=best)
            out[sl] = best
        return out

    def _rows(self, csr: csr_matrix, keys: Sequence[Hashable], nodes: I64, costs: F64) -> F64:
        """Search rows (len(keys) × anchors), from the cache or by one Dijkstra per missing key."""
        rows: list[F64 | None] = []
        with self._lock:
            rows = [self._cache.get(k) for k in keys]
        missing: dict[Hashable, int] = {}
        for i, (k, row) in enumerate(zip(keys, rows, strict=True)):
            if row is None and k not in missing:
                missing[k] = i
        if missing:
            idx = np.fromiter(missing.values(), dtype=np.int64, count=len(missing))
            fresh = self._dijkstra(csr, nodes[idx], costs[idx])
            with self._lock:
                for j, k in enumerate(missing):
                    self._cache.put(k, fresh[j].copy())  # a view would pin the whole block
            by_key = {k: fresh[j] for j, k in enumerate(missing)}
            rows = [row if row is not None else by_key[k] for k, row in zip(keys, rows, strict=True)]
        return np.vstack([r for r in rows if r is not None]) if rows else np.zeros((0, csr.shape[0]))

    def _dijkstra(self, csr: csr_matrix, nodes: I64, costs: F64) -> F64:
        """Rows of ``csr`` searched from virtual vertices joined by (nodes, costs) arcs."""
        n = csr.shape[0]
        m = len(nodes)
        valid = np.isfinite(costs)
        indptr = np.concatenate([csr.indptr, csr.indptr[-1] + np.cumsum(valid.sum(axis=1))])
        indices = np.concatenate([csr.indices, nodes[valid].astype(csr.indices.dtype)])
        data = np.concatenate([csr.data, costs[valid]])
        aug = csr_matrix((data, indices, indptr), shape=(n + m, n + m))
        dist = dijkstra(aug, directed=True, indices=np.arange(n, n + m))
        return np.ascontiguousarray(np.asarray(dist)[:, :n])

    def _direct(self, w: Weights, src: Snapped, dst: Snapped, codes: F64) -> None:
        """Lower ``codes`` where a source and a target lie on the same link in an order one may drive."""
        ps, pt = self._place(w, src), self._place(w, dst)
        same = ps.link[:, None] == pt.link[None, :]
        if not same.any():
            return
        i, j = np.nonzero(same)
        lo = np.minimum(ps.index[i], pt.index[j])
        hi = np.maximum(ps.index[i], pt.index[j])
        ahead = pt.at_m[j] >= ps.at_m[i]
        behind = pt.at_m[j] <= ps.at_m[i]
        allowed = (ahead & self.links.forward_ok(lo, hi)) | (behind & self.links.backward_ok(lo, hi))
        cost = encode(np.abs(pt.at_s[j] - ps.at_s[i]), np.abs(pt.at_m[j] - ps.at_m[i]))
        codes[i, j] = np.minimum(codes[i, j], np.where(allowed, cost, np.inf))

    # -- routes ------------------------------------------------------------------------------------------

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        snapped = self.snap([a, b], "points")
        w = self.weights(self.hour_of(depart_at))
        start, end = _one(snapped, 0), _one(snapped, 1)
        s_nodes, s_costs = self._attach(w, start, leaving=True)
        t_nodes, t_costs = self._attach(w, end, leaving=False)
        n = self.links.n_anchors
        valid = np.isfinite(s_costs[0])
        fwd = w.forward
        indptr = np.concatenate([fwd.indptr, [fwd.indptr[-1] + int(valid.sum())]])
        indices = np.concatenate([fwd.indices, s_nodes[0][valid].astype(fwd.indices.dtype)])
        data = np.concatenate([fwd.data, s_costs[0][valid]])
        aug = csr_matrix((data, indices, indptr), shape=(n + 1, n + 1))
        dist, pred = dijkstra(aug, directed=True, indices=n, return_predecessors=True)
        via = dist[t_nodes[0]] + t_costs[0]
        k = int(np.argmin(via))
        direct = np.array([[np.inf]])
        self._direct(w, start, end, direct)
        if not np.isfinite(min(via[k], direct[0, 0])):
            raise NoRoute(details={"from": list(as_points([a])[0]), "to": list(as_points([b])[0])})
        ps, pt = self._place(w, start), self._place(w, end)
        pieces: list[PathPiece]
        if direct[0, 0] <= via[k]:
            pieces = self._link_pieces(int(ps.link[0]), float(ps.at_m[0]), float(pt.at_m[0]))
        else:
            anchors: list[int] = []
            v = int(t_nodes[0, k])
            while v != n:
                anchors.append(v)
                v = int(pred[v])
            anchors.reverse()
            # Leave by the end the search used (the cheaper allowed one if both ends are that anchor).
            ends = [e for e in (0, 1) if s_nodes[0, e] == anchors[0] and np.isfinite(s_costs[0, e])]
            out = min(ends, key=lambda e: s_costs[0, e])
            lk0 = int(ps.link[0])
            pieces = self._link_pieces(lk0, float(ps.at_m[0]), float(self.links.link_length_m[lk0]) if out else 0.0)
            fwd = w.forward
            for x, y in itertools.pairwise(anchors):
                lo, hi = int(fwd.indptr[x]), int(fwd.indptr[x + 1])
                e = lo + int(np.flatnonzero(fwd.indices[lo:hi] == y)[0])
                link = int(w.forward_arc_link[e])
                full = float(self.links.link_length_m[link])
                forward = bool(w.forward_arc_is_forward[e])
                pieces += self._link_pieces(link, 0.0 if forward else full, full if forward else 0.0)
            lk1 = int(pt.link[0])
            into = k
            pieces += self._link_pieces(lk1, float(self.links.link_length_m[lk1]) if into else 0.0, float(pt.at_m[0]))
        return assemble_route(
            self.graph,
            w.road_time_s,
            pieces,
            engine=self.name,
            snapped=(
                LatLon(float(start.lat[0]), float(start.lon[0])),
                LatLon(float(end.lat[0]), float(end.lon[0])),
            ),
        )

    def _link_pieces(self, link: int, from_m: float, to_m: float) -> list[PathPiece]:
        """The roads driven along ``link`` from ``from_m`` to ``to_m`` metres after its start (either way)."""
        lk = self.links
        lo, hi = sorted((from_m, to_m))
        out: list[PathPiece] = []
        for road in lk.order[lk.link_start[link] : lk.link_start[link + 1]].tolist():
            begin = float(lk.road_before_m[road])
            length = float(lk.road_length_m[road])
            a, b = max(lo, begin), min(hi, begin + length)
            if b <= a:
                continue
            if lk.road_rev[road]:
                piece = PathPiece(road, length - (a - begin), length - (b - begin))
            else:
                piece = PathPiece(road, a - begin, b - begin)
            out.append(piece)
        if from_m > to_m:
            out = [PathPiece(p.road, p.end_m, p.start_m) for p in reversed(out)]
        return out


@dataclass(frozen=True, slots=True)
class _Placed:
    link: I64
    index: I64  # position of the point's road in the link's road order
    at_m: F64
    at_s: F64


def _one(s: Snapped, i: int) -> Snapped:
    sl = slice(i, i + 1)
    return Snapped(s.road[sl], s.offset_m[sl], s.lat[sl], s.lon[sl], s.distance_m[sl])
