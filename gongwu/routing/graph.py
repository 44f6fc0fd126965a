"""The drivable road graph: built from road pieces, saved as one ``.npz`` of flat arrays, loaded in milliseconds.

Vertices are OpenStreetMap nodes where roads meet or end; a *road* is the chain of nodes of one way between
two vertices (so a 40-node curve is one road with its shape kept for drawing and snapping). A road is
two-way, or one-way forward (``u → v``) or backward (``v → u``); the graph is turn-free (no turn
restrictions or penalties). Only the largest strongly connected part is kept, so every kept point can reach
every other (islands left by cropping or private courtyards are dropped and counted).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from gongwu.routing.osm import RoadPiece
from gongwu.routing.speeds import DEFAULT_SPEEDS_KMH, MAXSPEED_FACTOR, ROAD_CLASSES

__all__ = ["GraphBuildStats", "RoadGraph", "build_graph", "segment_lengths_m"]

FORMAT_VERSION = 1
_R = 6_371_008.8

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


def segment_lengths_m(lats: F64, lons: F64) -> F64:
    """Haversine lengths of the segments of a polyline (vectorised)."""
    p = np.radians(lats)
    dp = np.diff(p)
    dl = np.radians(np.diff(lons))
    h = np.sin(dp / 2) ** 2 + np.cos(p[:-1]) * np.cos(p[1:]) * np.sin(dl / 2) ** 2
    return np.asarray(2 * _R * np.arcsin(np.minimum(1.0, np.sqrt(h))), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class GraphBuildStats:
    roads: int
    vertices: int
    roads_dropped_disconnected: int
    length_km: float


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Flat arrays describing the road network (see the module docstring)."""

    vertex_lat: F64
    vertex_lon: F64
    vertex_osm_id: I64
    road_u: I32
    road_v: I32
    road_oneway: npt.NDArray[np.int8]  # 0 both, 1 u→v only, -1 v→u only
    road_class: npt.NDArray[np.int8]  # index into ROAD_CLASSES
    road_length_m: F64
    road_maxspeed_kmh: npt.NDArray[np.float32]  # NaN when untagged
    road_way_id: I64
    road_name: I32  # index into names, -1 when unnamed
    shape_offset: I64  # road r's shape is shape_lat[shape_offset[r]:shape_offset[r + 1]]
    shape_lat: F64
    shape_lon: F64
    names: tuple[str, ...]

    @property
    def n_vertices(self) -> int:
        return int(self.vertex_lat.shape[0])

    @property
    def n_roads(self) -> int:
        return int(self.road_u.shape[0])

    def bbox(self) -> tuple[float, float, float, float]:
        """(min_lat, min_lon, max_lat, max_lon) of every shape point."""
        return (
            float(self.shape_lat.min()),
            float(self.shape_lon.min()),
            float(self.shape_lat.max()),
            float(self.shape_lon.max()),
        )

    def shape(self, road: int) -> tuple[F64, F64]:
        """(lats, lons) of road ``road`` from ``u`` to ``v``."""
        a, b = int(self.shape_offset[road]), int(self.shape_offset[road + 1])
        return self.shape_lat[a:b], self.shape_lon[a:b]

    def road_name_of(self, road: int) -> str:
        i = int(self.road_name[road])
        return self.names[i] if i >= 0 else ""

    def free_flow_speed_kmh(self, overrides: Mapping[str, float] | None = None) -> npt.NDArray[np.float64]:
        """Speed of each road: posted limit × factor, else its class default (``overrides`` by class name)."""
        table = dict(DEFAULT_SPEEDS_KMH)
        table.update(overrides or {})
        by_class = np.array([table[c] for c in ROAD_CLASSES], dtype=np.float64)
        speed = by_class[self.road_class]
        posted = self.road_maxspeed_kmh.astype(np.float64)
        has = ~np.isnan(posted)
        speed[has] = np.maximum(5.0, posted[has] * MAXSPEED_FACTOR)
        return speed

    # -- persistence -------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """Write the graph as one compressed-free ``.npz`` (fast to load, no pickle)."""
        blob, offsets = _pack_strings(self.names)
        arrays: dict[str, Any] = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "names"}
        np.savez(
            path,
            format_version=np.array(FORMAT_VERSION),
            road_classes=np.array(ROAD_CLASSES),
            names_blob=blob,
            names_offsets=offsets,
            **arrays,
        )

    @classmethod
    def load(cls, path: Path) -> RoadGraph:
        with np.load(path, allow_pickle=False) as z:
            version = int(z["format_version"])
            if version != FORMAT_VERSION:
                raise ValueError(f"{path}: graph format {version}, expected {FORMAT_VERSION}; re-import the map")
            if tuple(str(c) for c in z["road_classes"]) != ROAD_CLASSES:
                raise ValueError(f"{path}: road classes differ from this version; re-import the map")
            fields = {name: z[name] for name in cls.__dataclass_fields__ if name != "names"}
            names = _unpack_strings(z["names_blob"], z["names_offsets"])
        return cls(names=names, **fields)


def _pack_strings(items: Sequence[str]) -> tuple[npt.NDArray[np.uint8], I64]:
    encoded = [s.encode("utf-8") for s in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(e) for e in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def _unpack_strings(blob: npt.NDArray[np.uint8], offsets: I64) -> tuple[str, ...]:
    raw = blob.tobytes()
    return tuple(raw[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1))


# -- building ----------------------------------------------------------------------------------------------


def build_graph(pieces: Sequence[RoadPiece]) -> tuple[RoadGraph, GraphBuildStats]:
    """Road graph from the pieces read out of an extract (see the module docstring)."""
    if not pieces:
        raise ValueError("no road pieces")
    all_ids = np.concatenate([np.asarray(p.node_ids, dtype=np.int64) for p in pieces])
    uniq, counts = np.unique(all_ids, return_counts=True)
    shared = set(uniq[counts >= 2].tolist())

    roads: list[tuple[int, int, RoadPiece]] = []  # (start index, end index) within the piece
    for piece in pieces:
        ids = piece.node_ids
        cuts = [0] + [i for i in range(1, len(ids) - 1) if ids[i] in shared] + [len(ids) - 1]
        for a, b in itertools.pairwise(cuts):
            if ids[a] == ids[b] and b - a >= 2:  # a loop that meets itself: split it in the middle
                m = (a + b) // 2
                roads.append((a, m, piece))
                roads.append((m, b, piece))
            elif ids[a] != ids[b]:
                roads.append((a, b, piece))

    vertex_index: dict[int, int] = {}
    v_lat: list[float] = []
    v_lon: list[float] = []

    def vertex(piece: RoadPiece, i: int) -> int:
        osm_id = piece.node_ids[i]
        idx = vertex_index.get(osm_id)
        if idx is None:
            idx = vertex_index[osm_id] = len(v_lat)
            v_lat.append(piece.lats[i])
            v_lon.append(piece.lons[i])
        return idx

    names: dict[str, int] = {}
    n = len(roads)
    road_u = np.empty(n, dtype=np.int32)
    road_v = np.empty(n, dtype=np.int32)
    oneway = np.empty(n, dtype=np.int8)
    klass = np.empty(n, dtype=np.int8)
    maxspeed = np.empty(n, dtype=np.float32)
    way_id = np.empty(n, dtype=np.int64)
    name_idx = np.empty(n, dtype=np.int32)
    shape_len = np.empty(n, dtype=np.int64)
    shape_lat_parts: list[list[float]] = []
    shape_lon_parts: list[list[float]] = []
    class_codes = {c: i for i, c in enumerate(ROAD_CLASSES)}
    for r, (a, b, piece) in enumerate(roads):
        road_u[r] = vertex(piece, a)
        road_v[r] = vertex(piece, b)
        oneway[r] = piece.oneway
        klass[r] = class_codes[piece.highway]
        maxspeed[r] = np.nan if piece.maxspeed_kmh is None else piece.maxspeed_kmh
        way_id[r] = piece.way_id
        name_idx[r] = names.setdefault(piece.name, len(names)) if piece.name else -1
        shape_lat_parts.append(piece.lats[a : b + 1])
        shape_lon_parts.append(piece.lons[a : b + 1])
        shape_len[r] = b - a + 1
    vertex_ids = np.fromiter(vertex_index.keys(), dtype=np.int64, count=len(vertex_index))
    shape_offset = np.zeros(n + 1, dtype=np.int64)
    shape_offset[1:] = np.cumsum(shape_len)
    shape_lat = np.fromiter((x for part in shape_lat_parts for x in part), dtype=np.float64)
    shape_lon = np.fromiter((x for part in shape_lon_parts for x in part), dtype=np.float64)
    seg = segment_lengths_m(shape_lat, shape_lon)
    # Sum segment lengths per road, skipping the joins between consecutive roads' shapes.
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    length = cum[shape_offset[1:] - 1] - cum[shape_offset[:-1]]

    graph = RoadGraph(
        vertex_lat=np.asarray(v_lat, dtype=np.float64),
        vertex_lon=np.asarray(v_lon, dtype=np.float64),
        vertex_osm_id=vertex_ids,
        road_u=road_u,
        road_v=road_v,
        road_oneway=oneway,
        road_class=klass,
        road_length_m=np.maximum(length, 0.1),
        road_maxspeed_kmh=maxspeed,
        road_way_id=way_id,
        road_name=name_idx,
        shape_offset=shape_offset,
        shape_lat=shape_lat,
        shape_lon=shape_lon,
        names=tuple(names),
    )
    kept = _largest_strong_component(graph)
    dropped = graph.n_roads - int(kept.sum())
    graph = _subgraph(graph, kept)
    stats = GraphBuildStats(
        roads=graph.n_roads,
        vertices=graph.n_vertices,
        roads_dropped_disconnected=dropped,
        length_km=float(graph.road_length_m.sum() / 1000.0),
    )
    return graph, stats


def directed_arcs(graph: RoadGraph) -> tuple[I32, I32, I32, npt.NDArray[np.bool_]]:
    """(tail, head, road, forward) of every direction a car may drive on a road."""
    fwd = graph.road_oneway >= 0
    bwd = graph.road_oneway <= 0
    roads = np.arange(graph.n_roads, dtype=np.int32)
    tail = np.concatenate([graph.road_u[fwd], graph.road_v[bwd]])
    head = np.concatenate([graph.road_v[fwd], graph.road_u[bwd]])
    road = np.concatenate([roads[fwd], roads[bwd]])
    forward = np.concatenate([np.ones(int(fwd.sum()), bool), np.zeros(int(bwd.sum()), bool)])
    return tail, head, road, forward


def _largest_strong_component(graph: RoadGraph) -> npt.NDArray[np.bool_]:
    tail, head, _, _ = directed_arcs(graph)
    n = graph.n_vertices
    adj = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(n, n))
    _, labels = connected_components(adj, directed=True, connection="strong")
    biggest = np.bincount(labels).argmax()
    in_main = labels == biggest
    return np.asarray(in_main[graph.road_u] & in_main[graph.road_v], dtype=np.bool_)


def _subgraph(graph: RoadGraph, keep_roads: npt.NDArray[np.bool_]) -> RoadGraph:
    used = np.zeros(graph.n_vertices, dtype=bool)
    used[graph.road_u[keep_roads]] = True
    used[graph.road_v[keep_roads]] = True
    new_index = np.full(graph.n_vertices, -1, dtype=np.int32)
    new_index[used] = np.arange(int(used.sum()), dtype=np.int32)
    lengths = np.diff(graph.shape_offset)[keep_roads]
    offset = np.zeros(len(lengths) + 1, dtype=np.int64)
    offset[1:] = np.cumsum(lengths)
    point_mask = np.repeat(keep_roads, np.diff(graph.shape_offset))
    return RoadGraph(
        vertex_lat=graph.vertex_lat[used],
        vertex_lon=graph.vertex_lon[used],
        vertex_osm_id=graph.vertex_osm_id[used],
        road_u=new_index[graph.road_u[keep_roads]],
        road_v=new_index[graph.road_v[keep_roads]],
        road_oneway=graph.road_oneway[keep_roads],
        road_class=graph.road_class[keep_roads],
        road_length_m=graph.road_length_m[keep_roads],
        road_maxspeed_kmh=graph.road_maxspeed_kmh[keep_roads],
        road_way_id=graph.road_way_id[keep_roads],
        road_name=graph.road_name[keep_roads],
        shape_offset=offset,
        shape_lat=graph.shape_lat[point_mask],
        shape_lon=graph.shape_lon[point_mask],
        names=graph.names,
    )
