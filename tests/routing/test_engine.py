"""The embedded engine on the real Helsinki extract: one-way streets, snapping, matrices, routes, bad input."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

from gongwu.core.geo import bearing_deg, destination, haversine_m
from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.errors import BadCoordinate, NoRoadNearby, OutsideMap
from gongwu.routing.network import RoadNetwork
from gongwu.routing.paths import cut_road
from gongwu.routing.types import LatLon, TravelTimes

Points = Callable[..., list[LatLon]]


def _point_on(network: RoadNetwork, road: int, at_m: float) -> LatLon:
    lon, lat = cut_road(network.graph, road, 0.0, at_m)[-1]
    return LatLon(lat, lon)


def _long_one_way(network: RoadNetwork) -> int:
    g = network.graph
    candidates = np.flatnonzero((g.road_oneway == 1) & (g.road_length_m > 120) & (g.road_name >= 0))
    assert candidates.size, "the Helsinki extract has long named one-way streets"
    return int(candidates[np.argmax(g.road_length_m[candidates])])


def test_engine_is_a_travel_times_provider(engine: GraphTravelTimes) -> None:
    assert isinstance(engine, TravelTimes)


def test_route_follows_one_way_street(network: RoadNetwork, engine: GraphTravelTimes) -> None:
    g = network.graph
    road = _long_one_way(network)
    length = float(g.road_length_m[road])
    a = _point_on(network, road, 0.2 * length)
    b = _point_on(network, road, 0.8 * length)

    with_flow = engine.route(a, b)
    assert with_flow.distance_m == pytest.approx(0.6 * length, rel=0.01)
    assert with_flow.way_ids == [int(g.road_way_id[road])]

    against = engine.route(b, a)
    # Driving back means going round the block: clearly longer than the 60 % of the street between them.
    assert against.distance_m > 0.6 * length + 100
    assert against.duration_s > with_flow.duration_s
    m = engine.matrix([a, b], [a, b])
    assert m.durations_s[0, 1] == pytest.approx(with_flow.duration_s, abs=0.5)
    assert m.durations_s[1, 0] == pytest.approx(against.duration_s, abs=0.5)
    assert m.distances_m[1, 0] == pytest.approx(against.distance_m, abs=1.0)


def test_snapping_lands_on_the_nearest_road(network: RoadNetwork, engine: GraphTravelTimes) -> None:
    road = _long_one_way(network)
    on = _point_on(network, road, 50.0)
    s = engine.snap([on])
    assert int(s.road[0]) == road
    assert s.offset_m[0] == pytest.approx(50.0, abs=0.5)
    assert s.distance_m[0] < 0.5
    # A few metres to the side of the street: snapped back onto it, at the foot of the perpendicular.
    a, b = _point_on(network, road, 60.0), _point_on(network, road, 61.0)
    side = LatLon(*destination(a.lat, a.lon, bearing_deg(a.lat, a.lon, b.lat, b.lon) + 90.0, 4.0))
    s2 = engine.snap([side])
    assert int(s2.road[0]) == road
    assert s2.offset_m[0] == pytest.approx(60.0, abs=1.0)
    assert s2.distance_m[0] == pytest.approx(4.0, abs=0.3)
    assert haversine_m(side.lat, side.lon, float(s2.lat[0]), float(s2.lon[0])) == pytest.approx(4.0, abs=0.3)
    # Many points at once give the same answers as one by one.
    many = engine.snap([on, side] * 50)
    assert set(many.road.tolist()) == {road}


def test_matrix_is_symmetric_where_the_graph_is(network: RoadNetwork, road_points: Points) -> None:
    g = network.graph
    two_way = replace(g, road_oneway=np.zeros_like(g.road_oneway))
    symmetric = GraphTravelTimes(RoadNetwork(two_way, network.index, network.meta))
    pts = road_points(40, 1)
    m = symmetric.matrix(pts, pts)
    assert np.allclose(m.durations_s, m.durations_s.T, atol=0.3)
    assert np.allclose(m.distances_m, m.distances_m.T, atol=0.5)
    assert np.all(np.diag(m.durations_s) == 0)
    # The real graph has one-way streets, so somewhere A→B differs from B→A.
    real = GraphTravelTimes(network).matrix(pts, pts)
    assert np.abs(real.durations_s - real.durations_s.T).max() > 10


def _reference(network: RoadNetwork, engine: GraphTravelTimes, src: list[LatLon], dst: list[LatLon]) -> np.ndarray:
    """Travel times by networkx on a graph with every point spliced into its road (independent check)."""
    g = network.graph
    time = engine.weights().road_time_s
    G = nx.DiGraph()
    for r in range(g.n_roads):
        u, v, t = int(g.road_u[r]), int(g.road_v[r]), float(time[r])
        for a, b in ([(u, v)] if g.road_oneway[r] >= 0 else []) + ([(v, u)] if g.road_oneway[r] <= 0 else []):
            if not G.has_edge(a, b) or G[a][b]["w"] > t:
                G.add_edge(a, b, w=t)
    ss, ts = engine.snap(src), engine.snap(dst)

    def splice(kind: str, i: int, s: object) -> None:
        r, o = int(s.road[i]), float(s.offset_m[i])  # type: ignore[attr-defined]
        L, T = float(g.road_length_m[r]), float(time[r])
        u, v, ow = int(g.road_u[r]), int(g.road_v[r]), int(g.road_oneway[r])
        node = (kind, i)
        if kind == "s":
            if ow >= 0:
                G.add_edge(node, v, w=T * (L - o) / L)
            if ow <= 0:
                G.add_edge(node, u, w=T * o / L)
        else:
            if ow >= 0:
                G.add_edge(u, node, w=T * o / L)
            if ow <= 0:
                G.add_edge(v, node, w=T * (L - o) / L)

    for i in range(len(src)):
        splice("s", i, ss)
    for j in range(len(dst)):
        splice("t", j, ts)
    out = np.full((len(src), len(dst)), np.inf)
    for i in range(len(src)):
        d = nx.single_source_dijkstra_path_length(G, ("s", i), weight="w")
        for j in range(len(dst)):
            out[i, j] = d.get(("t", j), np.inf)
            if ss.road[i] == ts.road[j]:
                r = int(ss.road[i])
                o_s, o_t = float(ss.offset_m[i]), float(ts.offset_m[j])
                ow = int(g.road_oneway[r])
                if (ow >= 0 and o_t >= o_s) or (ow <= 0 and o_t <= o_s):
                    out[i, j] = min(out[i, j], float(time[r]) * abs(o_t - o_s) / float(g.road_length_m[r]))
    return out


def test_matrix_matches_an_independent_networkx_reference(
    network: RoadNetwork, engine: GraphTravelTimes, road_points: Points
) -> None:
    src, dst = road_points(12, 2), road_points(25, 3)
    ref = _reference(network, engine, src, dst)
    forward = engine.matrix(src, dst)  # fewer sources: searched from the sources
    backward = engine.matrix(dst, src)  # fewer targets: searched from the targets on the reversed graph
    assert np.isfinite(ref).all()
    assert np.abs(forward.durations_s - ref).max() < 1.0
    ref_back = _reference(network, engine, dst, src)
    assert np.abs(backward.durations_s - ref_back).max() < 1.0


def test_route_geometry_agrees_with_its_numbers(engine: GraphTravelTimes, road_points: Points) -> None:
    pts = road_points(20, 4)
    m = engine.matrix(pts[:10], pts[10:])
    for i in range(10):
        r = engine.route(pts[i], pts[10 + i])
        assert r.duration_s == pytest.approx(m.durations_s[i, i], abs=0.5)
        assert r.distance_m == pytest.approx(m.distances_m[i, i], abs=1.0)
        drawn = sum(haversine_m(a[1], a[0], b[1], b[0]) for a, b in zip(r.geometry, r.geometry[1:], strict=False))
        assert drawn == pytest.approx(r.distance_m, rel=0.01, abs=1.0)
        assert r.snapped is not None
        start, end = r.snapped
        assert r.geometry[0] == pytest.approx((start.lon, start.lat))
        assert r.geometry[-1] == pytest.approx((end.lon, end.lat))
        assert all(isinstance(w, int) for w in r.way_ids)


def test_repeated_matrix_comes_from_the_cache(engine: GraphTravelTimes, road_points: Points) -> None:
    pts = road_points(30, 5)
    first = engine.matrix(pts, pts)
    misses = engine._cache.misses
    second = engine.matrix(pts, pts)
    assert engine._cache.misses == misses
    assert engine._cache.hits >= 30
    assert np.array_equal(first.durations_s, second.durations_s)


def test_same_point_is_zero_and_short_trips_count_partial_roads(engine: GraphTravelTimes, network: RoadNetwork) -> None:
    road = _long_one_way(network)
    a = _point_on(network, road, 10.0)
    b = _point_on(network, road, 40.0)
    m = engine.matrix([a], [a, b])
    assert m.durations_s[0, 0] == 0.0
    assert m.distances_m[0, 1] == pytest.approx(30.0, abs=0.5)


def test_points_outside_the_map_are_refused_clearly(engine: GraphTravelTimes, road_points: Points) -> None:
    pts = road_points(3, 6)
    with pytest.raises(OutsideMap) as exc:
        engine.matrix(pts, [*pts, LatLon(39.9087, 116.3975)])  # Tiananmen is not in Helsinki
    assert exc.value.code == "routing.outside_map"
    assert exc.value.details["role"] == "targets"
    assert exc.value.details["index"] == 3
    with pytest.raises(BadCoordinate):
        engine.route((95.0, 24.94), pts[0])
    with pytest.raises(BadCoordinate):
        engine.route((float("nan"), 24.94), pts[0])


def test_point_in_the_harbour_has_no_road_nearby(engine: GraphTravelTimes, network: RoadNetwork) -> None:
    box = network.bbox
    lat = np.linspace(box.min_lat, box.max_lat, 60)
    lon = np.linspace(box.min_lon, box.max_lon, 60)
    grid = [LatLon(float(a), float(b)) for a in lat for b in lon]
    _snapped, ok = engine.locate(grid)
    far = [p for p, good in zip(grid, ok, strict=True) if not good]
    assert far, "some of the extract's bounding box is water, far from any road"
    with pytest.raises(NoRoadNearby) as exc:
        engine.route(far[0], grid[int(np.flatnonzero(ok)[0])])
    assert exc.value.details["distance_m"] > engine.max_snap_m


def test_packed_weights_decode_to_time_and_length() -> None:
    from gongwu.routing.weights import decode, encode

    a = encode(np.array([12.344, 0.004]), np.array([100.04, 2.0]))
    t, d = decode(np.array([a.sum(), np.inf]))
    assert t[0] == pytest.approx(12.34, abs=0.006) and d[0] == pytest.approx(102.0, abs=0.06)
    assert np.isinf(t[1]) and np.isinf(d[1])
    # Faster always wins, whatever the length; equal times fall back to the shorter.
    assert encode(60.0, 5_000.0) < encode(61.0, 10.0)
    assert encode(60.0, 10.0) < encode(60.0, 11.0)
    week = encode(7 * 86_400.0, 13_000_000.0)
    assert decode(week)[0] == pytest.approx(7 * 86_400.0) and decode(week)[1] == pytest.approx(13_000_000.0)


def test_links_chain_roads_through_degree_two_junctions(network: RoadNetwork) -> None:
    from gongwu.routing.links import Links

    g = network.graph
    links = Links.build(g)
    assert links.n_anchors < 0.5 * g.n_vertices  # most junctions of OSM data just join two ways
    assert sorted(links.order.tolist()) == list(range(g.n_roads))  # every road in exactly one link
    for k in range(links.n_links):
        roads = links.order[links.link_start[k] : links.link_start[k + 1]]
        assert links.link_length_m[k] == pytest.approx(float(g.road_length_m[roads].sum()))
        # Consecutive roads meet, in driving order from the link's start anchor to its end anchor.
        ends = [
            (int(g.road_v[r]), int(g.road_u[r])) if links.road_rev[r] else (int(g.road_u[r]), int(g.road_v[r]))
            for r in roads
        ]
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ends))
        assert links.anchor_of_vertex[ends[0][0]] == links.link_a[k]
        assert links.anchor_of_vertex[ends[-1][1]] == links.link_b[k]
