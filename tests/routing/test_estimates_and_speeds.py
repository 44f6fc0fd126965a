"""Straight-line fallback for cars off the graph, learned speeds, settings and the service the app holds."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from gongwu.core.geo import haversine_m
from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.errors import MapNotImported
from gongwu.routing.learned import (
    SpeedProfile,
    Traversals,
    fit_speed_profile,
    traversals_from_track,
)
from gongwu.routing.network import RoadNetwork
from gongwu.routing.paths import cut_road
from gongwu.routing.service import RoutingService
from gongwu.routing.settings import RoutingSettings
from gongwu.routing.speeds import ROAD_CLASSES, parse_maxspeed
from gongwu.routing.straight import FallbackTravelTimes, StraightLineTravelTimes
from gongwu.routing.types import LatLon

Points = Callable[..., list[LatLon]]
BEIJING = LatLon(39.9087, 116.3975)


def test_straight_line_uses_detour_and_speed() -> None:
    sl = StraightLineTravelTimes(detour_factor=1.5, speed_kmh=36.0)
    a, b = LatLon(60.17, 24.94), LatLon(60.18, 24.94)
    m = sl.matrix([a], [a, b])
    crow = haversine_m(a.lat, a.lon, b.lat, b.lon)
    assert m.distances_m[0, 1] == pytest.approx(1.5 * crow)
    assert m.durations_s[0, 1] == pytest.approx(1.5 * crow / 10.0)
    assert m.durations_s[0, 0] == 0 and m.approximate.all()
    r = sl.route(a, b)
    assert r.approximate and r.geometry == [(a.lon, a.lat), (b.lon, b.lat)]


def test_fallback_fills_only_the_cars_off_the_graph(engine: GraphTravelTimes, road_points: Points) -> None:
    pts = road_points(5, 10)
    safe = FallbackTravelTimes(engine, StraightLineTravelTimes(1.4, 25.0))
    m = safe.matrix([*pts, BEIJING], pts)
    exact = engine.matrix(pts, pts)
    assert np.array_equal(m.durations_s[:5], exact.durations_s)
    assert not m.approximate[:5].any()
    assert m.approximate[5].all()  # the car in Beijing is estimated, not refused
    assert m.distances_m[5, 0] > 1_000_000
    assert m.engine == "graph"
    assert safe.route(BEIJING, pts[0]).approximate
    assert not safe.route(pts[0], pts[1]).approximate


def test_maxspeed_parsing() -> None:
    assert parse_maxspeed("50") == 50
    assert parse_maxspeed("30 mph") == pytest.approx(48.28, abs=0.01)
    assert parse_maxspeed("FI:urban") == 50
    assert parse_maxspeed("CN:motorway") == 120
    assert parse_maxspeed("60;80") == 60
    assert parse_maxspeed("none") is None and parse_maxspeed(None) is None and parse_maxspeed("signals") is None


def _records(cls: str, hour: int, speed: float, n: int) -> list[tuple[str, int, float]]:
    rng = np.random.default_rng(hour)
    return [(cls, hour, float(s)) for s in rng.normal(speed, 2.0, n)]


def test_fit_speed_profile_medians_with_minimum_samples(tmp_path: Path) -> None:
    records = _records("secondary", 8, 12.0, 40) + _records("secondary", 14, 30.0, 40) + _records("primary", 8, 20.0, 5)
    records += [("secondary", 8, 0.2)] * 10 + [("secondary", 8, 400.0)] * 3 + [("cycleway", 8, 15.0)] * 50
    profile = fit_speed_profile(Traversals.from_records(records), min_samples=30)
    sec = ROAD_CLASSES.index("secondary")
    pri = ROAD_CLASSES.index("primary")
    assert profile.speed_kmh[sec, 8] == pytest.approx(12.0, abs=1.0)
    assert profile.speed_kmh[sec, 14] == pytest.approx(30.0, abs=1.0)
    assert np.isnan(profile.speed_kmh[pri, 8])  # 5 samples are not enough
    assert profile.samples[sec, 8] == 40  # parked (0.2 km/h) and jump (400 km/h) passes left out
    assert ("secondary", 8) in profile.covered()
    profile.save(tmp_path / "speeds.json")
    again = SpeedProfile.load(tmp_path / "speeds.json")
    assert np.allclose(again.speed_kmh, profile.speed_kmh, atol=0.01, equal_nan=True)


def test_learned_speeds_change_travel_times_by_hour(network: RoadNetwork, road_points: Points) -> None:
    engine = GraphTravelTimes(network, timezone="Europe/Helsinki")
    pts = road_points(15, 11)
    free = engine.matrix(pts, pts)
    classes = {ROAD_CLASSES[c] for c in np.unique(network.graph.road_class)}
    records: list[tuple[str, int, float]] = []
    for cls in classes:
        records += _records(cls, 8, 8.0, 40)  # morning rush: crawling everywhere
    engine.apply_speed_profile(fit_speed_profile(Traversals.from_records(records), min_samples=30))
    rush = engine.matrix(pts, pts, depart_at=datetime(2026, 3, 2, 6, 15, tzinfo=UTC))  # 08:15 in Helsinki
    night = engine.matrix(pts, pts, depart_at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))  # 03:00: no data, defaults
    off = ~np.eye(15, dtype=bool)
    assert (rush.durations_s[off] > free.durations_s[off]).all()
    assert np.allclose(night.durations_s, free.durations_s)
    assert engine.hour_of(datetime(2026, 3, 2, 6, 15, tzinfo=UTC)) == 8
    assert engine.hour_of(datetime(2026, 3, 2, 8, 15)) == 8  # naive: local wall-clock time


def test_traversals_from_a_gps_track(network: RoadNetwork, engine: GraphTravelTimes) -> None:
    g = network.graph
    road = int(np.argmax(g.road_length_m))
    # A car crawling at 2 m/s along the road, one fix every 5 s.
    along = np.arange(0.0, float(g.road_length_m[road]), 10.0)
    fixes = [cut_road(g, road, 0.0, float(m))[-1] for m in along[1:]]
    lat = [p[1] for p in fixes]
    lon = [p[0] for p in fixes]
    roads, hours, speeds = traversals_from_track(
        engine.network.index, lat, lon, [9] * len(lat), [5.0 * i for i in range(len(lat))]
    )
    assert len(speeds) >= 5
    assert set(roads.tolist()) == {road} and set(hours.tolist()) == {9}
    assert np.allclose(speeds, 7.2, atol=0.3)
    t = Traversals.from_roads(g, roads, hours, speeds)
    assert set(t.road_class.tolist()) == {int(g.road_class[road])}


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGWU_ROUTING_ENGINE", "osrm")
    monkeypatch.setenv("GONGWU_OSRM_URL", "http://osrm:5000")
    monkeypatch.setenv("GONGWU_ROUTING_DEFAULT_SPEEDS_KMH", '{"residential": 20}')
    s = RoutingSettings()
    assert s.routing_engine == "osrm" and s.osrm_url == "http://osrm:5000"
    assert s.routing_default_speeds_kmh == {"residential": 20.0}
    monkeypatch.delenv("GONGWU_OSRM_URL")
    with pytest.raises(ValueError, match="GONGWU_OSRM_URL"):
        RoutingSettings()


def test_service_without_a_map_says_so(tmp_path: Path) -> None:
    service = RoutingService(RoutingSettings(), tmp_path / "map")
    with pytest.raises(MapNotImported) as exc:
        service.route((60.17, 24.94), (60.171, 24.941))
    assert exc.value.code == "routing.map_not_imported"
    assert service.tiles is None


def test_service_eta_and_learning(map_dir: Path, tmp_path: Path, road_points: Points) -> None:
    local = tmp_path / "map"
    shutil.copytree(map_dir, local)
    service = RoutingService(RoutingSettings(), local, timezone="Europe/Helsinki")
    a, b = road_points(2, 12)
    now = datetime(2026, 3, 2, 6, 15, tzinfo=UTC)
    eta = service.eta(a, b, now=now)
    assert eta.duration_s > 0 and not eta.approximate
    assert (eta.arrive_at - now).total_seconds() == pytest.approx(eta.duration_s)
    records = [(c, 8, 5.0) for c in ROAD_CLASSES for _ in range(30)]
    service.learn_speeds(Traversals.from_records(records))
    assert json.loads((local / "speeds.json").read_text())["min_samples"] == 30
    slower = service.eta(a, b, now=now)
    assert slower.duration_s > eta.duration_s
    service.reload()  # the saved profile is picked up again after a restart
    assert service.eta(a, b, now=now).duration_s == pytest.approx(slower.duration_s)
