"""Edge weights for the shortest-path search: travel time and length packed in one float.

scipy's Dijkstra sums one weight. We want the fastest path *and* its length, so each arc's weight is
``round(time_s × 100) × 2**27 + round(length_m × 10)``: exact integers in a float64 (below 2**53), compared
first by time (hundredths of a second, up to 7.7 days of driving) and then by length (decimetres, up to
13,400 km). The sum along a path decodes back to both with no second search and no walk over predecessor
trees. Rounding is at most 5 ms and 5 cm per arc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from gongwu.routing.graph import RoadGraph, directed_arcs

__all__ = ["DIST_SCALE", "TIME_SCALE", "Weights", "decode", "encode"]

DIST_SCALE = float(2**27)
TIME_SCALE = 100.0

F64 = npt.NDArray[np.float64]


def encode(time_s: F64 | float, length_m: F64 | float) -> F64:
    """Pack (seconds, metres) into one additive weight."""
    t = np.round(np.asarray(time_s, dtype=np.float64) * TIME_SCALE)
    d = np.round(np.asarray(length_m, dtype=np.float64) * 10.0)
    return np.asarray(t * DIST_SCALE + d, dtype=np.float64)


def decode(code: F64) -> tuple[F64, F64]:
    """Unpack summed weights into (seconds, metres); ``inf`` stays ``inf``."""
    code = np.asarray(code, dtype=np.float64)
    finite = np.isfinite(code)
    t = np.full(code.shape, np.inf)
    d = np.full(code.shape, np.inf)
    ticks = np.floor(code[finite] / DIST_SCALE)
    t[finite] = ticks / TIME_SCALE
    d[finite] = (code[finite] - ticks * DIST_SCALE) / 10.0
    return t, d


@dataclass(frozen=True, eq=False)
class Weights:
    """One speed assignment of a graph, ready to search forward and backward.

    ``forward`` is the CSR adjacency (tail → head) with parallel arcs reduced to the best one;
    ``forward_arc[k]`` is the arc behind CSR entry ``k`` (for drawing the path). ``backward`` is the same
    graph reversed, for searches from targets.
    """

    road_time_s: F64
    road_code: F64
    forward: csr_matrix
    forward_arc_road: npt.NDArray[np.int32]
    forward_arc_is_forward: npt.NDArray[np.bool_]
    backward: csr_matrix

    @classmethod
    def build(cls, graph: RoadGraph, speed_kmh: F64) -> Weights:
        time_s = graph.road_length_m / (speed_kmh / 3.6)
        road_code = encode(time_s, graph.road_length_m)
        tail, head, road, fwd = directed_arcs(graph)
        code = road_code[road]
        n = graph.n_vertices
        fwd_csr, keep = _reduced_csr(tail, head, code, n)
        bwd_csr, _ = _reduced_csr(head, tail, code, n)
        return cls(
            road_time_s=time_s,
            road_code=road_code,
            forward=fwd_csr,
            forward_arc_road=road[keep],
            forward_arc_is_forward=fwd[keep],
            backward=bwd_csr,
        )


def _reduced_csr(
    tail: npt.NDArray[np.int32], head: npt.NDArray[np.int32], code: F64, n: int
) -> tuple[csr_matrix, npt.NDArray[np.int64]]:
    """CSR of the arcs keeping, for each (tail, head), the cheapest; also the kept arcs' indices."""
    order = np.lexsort((code, head, tail))
    t, h = tail[order], head[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (t[1:] != t[:-1]) | (h[1:] != h[:-1])
    keep = order[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum(np.bincount(tail[keep], minlength=n))
    csr = csr_matrix((code[keep], head[keep].astype(np.int32), indptr), shape=(n, n))
    return csr, keep
