"""Links: chains of roads through junctions of degree two, searched as one arc.

OpenStreetMap splits ways wherever a tag changes (a bridge, a new speed limit, a bus lane), so most graph
vertices just join two roads: two thirds of them in the demo city. They matter for drawing and snapping but not
for choosing a path, so the search graph keeps only *anchors* (junctions, dead ends) and one arc per direction
of each *link* — a maximal chain of roads between two anchors. A search then settles a third as many vertices.

Every road knows its link, its place in it, whether it runs with or against the link's direction, and how far
along the link it starts. A point snapped onto a road is a position along its link; whether it may drive
towards either end of the link depends only on the one-way roads between it and that end, which prefix counts
answer in O(1). U-turns at a degree-two junction are never part of a shortest path (weights are positive), so
nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gongwu.routing.graph import RoadGraph

__all__ = ["Links"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class Links:
    """The chain structure of a graph (static: independent of speeds)."""

    n_anchors: int
    anchor_of_vertex: I64  # compact anchor id of each graph vertex, -1 for a pass-through vertex
    link_a: I64  # start anchor of each link
    link_b: I64  # end anchor
    link_start: I64  # link k's roads are order[link_start[k]:link_start[k + 1]], from a to b
    order: I64  # roads, link by link, in driving order from a to b
    road_link: I64
    road_index: I64  # position of each road in ``order``
    road_rev: Bools  # the road's u→v runs from b towards a
    road_before_m: F64  # link length before the road
    road_length_m: F64
    link_length_m: F64
    no_fwd_prefix: I64  # count of roads (in ``order``) that forbid a→b travel, up to and including each
    no_bwd_prefix: I64

    @property
    def n_links(self) -> int:
        return int(self.link_a.shape[0])

    @classmethod
    def build(cls, graph: RoadGraph) -> Links:
        n_v, n_r = graph.n_vertices, graph.n_roads
        ends = np.concatenate([graph.road_u, graph.road_v]).astype(np.int64)
        roads = np.concatenate([np.arange(n_r), np.arange(n_r)]).astype(np.int64)
        by_vertex = np.argsort(ends, kind="stable")
        incident_start = np.zeros(n_v + 1, dtype=np.int64)
        incident_start[1:] = np.cumsum(np.bincount(ends, minlength=n_v))
        incident = roads[by_vertex]
        degree = np.diff(incident_start)
        anchor = degree != 2
        # A degree-two vertex whose two roads lead to the same neighbour (two roads between the same pair of
        # vertices, or a loop) stays an anchor, so that every link joins two distinct points in order.
        two = np.flatnonzero(degree == 2)
        r1, r2 = incident[incident_start[two]], incident[incident_start[two] + 1]
        other1 = np.where(graph.road_u[r1] == two, graph.road_v[r1], graph.road_u[r1])
        other2 = np.where(graph.road_u[r2] == two, graph.road_v[r2], graph.road_u[r2])
        anchor[two[(other1 == other2) | (r1 == r2)]] = True

        u_list = graph.road_u.tolist()
        v_list = graph.road_v.tolist()
        inc_list = incident.tolist()
        inc_start = incident_start.tolist()
        anchor_list = anchor.tolist()
        road_link = [-1] * n_r
        road_rev = [False] * n_r
        order: list[int] = []
        link_a: list[int] = []
        link_b: list[int] = []
        link_start: list[int] = []

        def walk(start: int, first_road: int) -> None:
            link_start.append(len(order))
            link_a.append(start)
            k = len(link_a) - 1
            at, road = start, first_road
            while True:
                road_link[road] = k
                road_rev[road] = u_list[road] != at
                order.append(road)
                at = v_list[road] if u_list[road] == at else u_list[road]
                if anchor_list[at]:
                    break
                a, b = inc_list[inc_start[at]], inc_list[inc_start[at] + 1]
                road = b if a == road else a
                if road_link[road] != -1:  # a pure cycle with no anchor on it
                    break
            link_b.append(at)

        for v in np.flatnonzero(anchor).tolist():
            for i in range(inc_start[v], inc_start[v + 1]):
                if road_link[inc_list[i]] == -1:
                    walk(v, inc_list[i])
        for r in range(n_r):  # cycles made only of degree-two vertices: anchor them where they start
            if road_link[r] == -1:
                anchor_list[u_list[r]] = True
                walk(u_list[r], r)
        link_start.append(len(order))
        return cls._finish(graph, np.array(anchor_list), order, road_link, road_rev, link_a, link_b, link_start)

    @classmethod
    def _finish(
        cls,
        graph: RoadGraph,
        anchor: Bools,
        order_l: list[int],
        road_link_l: list[int],
        road_rev_l: list[bool],
        link_a_l: list[int],
        link_b_l: list[int],
        link_start_l: list[int],
    ) -> Links:
        anchor_of_vertex = np.full(graph.n_vertices, -1, dtype=np.int64)
        anchor_of_vertex[anchor] = np.arange(int(anchor.sum()))
        order = np.asarray(order_l, dtype=np.int64)
        link_start = np.asarray(link_start_l, dtype=np.int64)
        road_rev = np.asarray(road_rev_l, dtype=bool)
        road_index = np.empty(graph.n_roads, dtype=np.int64)
        road_index[order] = np.arange(len(order))
        length = graph.road_length_m[order]
        cum = np.concatenate([[0.0], np.cumsum(length)])
        before = np.empty(graph.n_roads)
        before[order] = cum[:-1] - np.repeat(cum[link_start[:-1]], np.diff(link_start))
        link_length = cum[link_start[1:]] - cum[link_start[:-1]]
        ow = graph.road_oneway[order]
        rev = road_rev[order]
        # Travel a→b uses a road forward unless the road is reversed in the link.
        no_fwd = np.where(rev, ow > 0, ow < 0)
        no_bwd = np.where(rev, ow < 0, ow > 0)
        return cls(
            n_anchors=int(anchor.sum()),
            anchor_of_vertex=anchor_of_vertex,
            link_a=anchor_of_vertex[np.asarray(link_a_l, dtype=np.int64)],
            link_b=anchor_of_vertex[np.asarray(link_b_l, dtype=np.int64)],
            link_start=link_start,
            order=order,
            road_link=np.asarray(road_link_l, dtype=np.int64),
            road_index=road_index,
            road_rev=road_rev,
            road_before_m=before,
            road_length_m=graph.road_length_m,
            link_length_m=link_length,
            no_fwd_prefix=np.cumsum(no_fwd).astype(np.int64),
            no_bwd_prefix=np.cumsum(no_bwd).astype(np.int64),
        )

    # -- questions about stretches of a link ------------------------------------------------------------

    def _count(self, prefix: I64, lo: I64, hi: I64) -> I64:
        """Roads in ``order[lo..hi]`` (inclusive) counted by ``prefix``."""
        below = np.where(lo > 0, prefix[np.maximum(lo - 1, 0)], 0)
        return np.asarray(prefix[hi] - below, dtype=np.int64)

    def forward_ok(self, lo: I64, hi: I64) -> Bools:
        """Whether a car may drive a→b over the roads ``order[lo..hi]``."""
        return np.asarray(self._count(self.no_fwd_prefix, lo, hi) == 0, dtype=np.bool_)

    def backward_ok(self, lo: I64, hi: I64) -> Bools:
        """Whether a car may drive b→a over the roads ``order[lo..hi]``."""
        return np.asarray(self._count(self.no_bwd_prefix, lo, hi) == 0, dtype=np.bool_)

    def first_index(self, link: I64) -> I64:
        return np.asarray(self.link_start[link], dtype=np.int64)

    def last_index(self, link: I64) -> I64:
        return np.asarray(self.link_start[link + 1] - 1, dtype=np.int64)

    def inside(self, road: I64, offset_m: F64) -> F64:
        """Metres from where the road enters its link (its u, or its v if reversed) to ``offset_m``."""
        length = self.road_length_m[road]
        return np.asarray(np.where(self.road_rev[road], length - offset_m, offset_m), dtype=np.float64)

    def along(self, road: I64, offset_m: F64) -> F64:
        """Metres from the link's start anchor of a position ``offset_m`` after the road's u."""
        return np.asarray(self.road_before_m[road] + self.inside(road, offset_m), dtype=np.float64)
