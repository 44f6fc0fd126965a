"""core.geo: distances, bearings, bboxes and the WGS-84 ⇄ GCJ-02 round trip."""

from __future__ import annotations

import math
import random

import pytest

from gongwu.core import geo


def test_haversine_known_distances() -> None:
    # Tiananmen → Beijing South Railway Station: ~5 km as the crow flies.
    d = geo.haversine_m(39.9087, 116.3975, 39.8652, 116.3786)
    assert 4_500 < d < 5_200
    # One degree of latitude is ~111.2 km everywhere.
    assert geo.haversine_m(10.0, 20.0, 11.0, 20.0) == pytest.approx(111_195, rel=1e-3)
    assert geo.haversine_m(31.2, 121.4, 31.2, 121.4) == 0.0


def test_bearing_and_destination_agree() -> None:
    assert geo.bearing_deg(0.0, 0.0, 1.0, 0.0) == pytest.approx(0.0)
    assert geo.bearing_deg(0.0, 0.0, 0.0, 1.0) == pytest.approx(90.0)
    assert geo.bearing_deg(0.0, 0.0, -1.0, 0.0) == pytest.approx(180.0)
    lat, lon = geo.destination(39.9, 116.4, 45.0, 1_000.0)
    assert geo.haversine_m(39.9, 116.4, lat, lon) == pytest.approx(1_000.0, abs=0.01)
    assert geo.bearing_deg(39.9, 116.4, lat, lon) == pytest.approx(45.0, abs=0.01)


def test_bbox() -> None:
    box = geo.BBox(min_lat=60.1, min_lon=24.9, max_lat=60.2, max_lon=25.0)
    assert geo.in_bbox(60.15, 24.95, box)
    assert not geo.in_bbox(60.25, 24.95, box)
    assert geo.in_bbox(60.205, 24.95, box, margin_deg=0.01)
    assert box.as_list() == [24.9, 60.1, 25.0, 60.2]
    with pytest.raises(ValueError):
        geo.BBox(min_lat=1.0, min_lon=0.0, max_lat=0.0, max_lon=1.0)


def test_gcj02_offset_is_the_known_few_hundred_metres_in_china() -> None:
    # Known pair (Tiananmen): WGS-84 (39.90734, 116.39089) is shown by Amap at about (39.90874, 116.39713).
    g_lat, g_lon = geo.wgs84_to_gcj02(39.90734, 116.39089)
    assert g_lat == pytest.approx(39.90874, abs=2e-4)
    assert g_lon == pytest.approx(116.39713, abs=2e-4)
    assert 300 < geo.haversine_m(39.90734, 116.39089, g_lat, g_lon) < 800


def test_gcj02_round_trip_within_one_metre() -> None:
    rng = random.Random(7)
    worst = 0.0
    for _ in range(2_000):
        lat = rng.uniform(18.0, 53.0)
        lon = rng.uniform(74.0, 134.0)
        back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lat, lon))
        worst = max(worst, geo.haversine_m(lat, lon, *back))
    assert worst < 1.0
    # And the other way round: a point read off a Chinese map comes back to itself.
    w = geo.gcj02_to_wgs84(31.2304, 121.4737)
    assert geo.haversine_m(31.2304, 121.4737, *geo.wgs84_to_gcj02(*w)) < 0.05


def test_outside_china_gcj02_is_wgs84() -> None:
    helsinki = (60.1699, 24.9384)
    assert geo.out_of_china(*helsinki)
    assert geo.wgs84_to_gcj02(*helsinki) == helsinki
    assert geo.gcj02_to_wgs84(*helsinki) == helsinki
    assert not geo.out_of_china(39.9, 116.4)
    assert all(math.isfinite(v) for v in geo.wgs84_to_gcj02(39.9, 116.4))
