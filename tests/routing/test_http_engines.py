"""OSRM and Valhalla clients against fixtures shaped like the servers' answers, plus live tests."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import numpy as np
import pytest

from gongwu.routing.errors import EngineError, NoRoute
from gongwu.routing.osrm import OsrmTravelTimes
from gongwu.routing.straight import FallbackTravelTimes
from gongwu.routing.types import LatLon, TravelTimes
from gongwu.routing.valhalla import ValhallaTravelTimes, decode_polyline

FIXTURES = Path(__file__).parent / "fixtures"
A = LatLon(60.169852, 24.941035)  # Mannerheimintie
B = LatLon(60.169401, 24.944212)  # Aleksanterinkatu
C = LatLon(60.168858, 24.947819)  # Pohjoisesplanadi


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def mock(handler: Any) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_osrm_table_request_and_answer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=fixture("osrm_table.json"))

    osrm = OsrmTravelTimes("http://osrm.local:5000/", client=mock(handler))
    assert isinstance(osrm, TravelTimes)
    m = osrm.matrix([A, B], [A, B, C])
    url = urlsplit(str(seen[0].url))
    coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in (A, B, A, B, C))
    assert url.path == f"/table/v1/driving/{coords}"
    q = parse_qs(url.query)
    assert q["sources"] == ["0;1"] and q["destinations"] == ["2;3;4"]
    assert q["annotations"] == ["duration,distance"]
    assert m.durations_s[0, 1] == 58.9 and m.distances_m[0, 2] == 903.5
    assert np.isinf(m.durations_s[1, 2])  # null: no route
    assert m.engine == "osrm" and not m.approximate.any()


def test_osrm_splits_big_tables() -> None:
    calls: list[tuple[int, int]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = parse_qs(urlsplit(str(request.url)).query)
        n, m = len(q["sources"][0].split(";")), len(q["destinations"][0].split(";"))
        assert n + m <= 10
        calls.append((n, m))
        rows = [[float(100 * i + j) for j in range(m)] for i in range(n)]
        return httpx.Response(200, json={"code": "Ok", "durations": rows, "distances": rows})

    osrm = OsrmTravelTimes("http://osrm.local", client=mock(handler), max_locations=10)
    pts = [LatLon(60.17 + i * 1e-4, 24.94) for i in range(13)]
    m = osrm.matrix(pts, pts[:7])
    assert m.shape == (13, 7) and len(calls) > 1
    assert np.isfinite(m.durations_s).all()


def test_osrm_route_and_errors() -> None:
    answers = {"route": fixture("osrm_route.json")}

    def handler(request: httpx.Request) -> httpx.Response:
        if "/route/" in str(request.url):
            q = parse_qs(urlsplit(str(request.url)).query)
            assert q["geometries"] == ["geojson"] and q["overview"] == ["full"]
            return httpx.Response(200, json=answers["route"])
        return httpx.Response(400, json=fixture("osrm_error_nosegment.json"))

    osrm = OsrmTravelTimes("http://osrm.local", client=mock(handler))
    r = osrm.route(A, B)
    assert r.distance_m == 412.6 and r.duration_s == 58.9
    assert r.geometry[0] == (24.941035, 60.169852) and len(r.geometry) == 6
    assert r.snapped == (A, B)
    with pytest.raises(EngineError) as exc:
        osrm.matrix([A], [B])
    assert "NoSegment" in exc.value.message
    answers["route"] = fixture("osrm_error_noroute.json")
    with pytest.raises(NoRoute):
        osrm.route(A, B)


def test_unreachable_engine_is_an_engine_error_and_fallback_covers_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    osrm = OsrmTravelTimes("http://127.0.0.1:9", client=mock(handler))
    with pytest.raises(EngineError) as exc:
        osrm.route(A, B)
    assert exc.value.code == "routing.engine_unavailable"
    safe = FallbackTravelTimes(osrm)
    m = safe.matrix([A, B], [B, C])
    assert m.approximate.all() and np.isfinite(m.durations_s).all()
    assert safe.route(A, B).approximate


def test_valhalla_matrix_request_and_answer() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/sources_to_targets"
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=fixture("valhalla_matrix.json"))

    val = ValhallaTravelTimes("http://valhalla.local:8002", client=mock(handler), timezone="Europe/Helsinki")
    assert isinstance(val, TravelTimes)
    m = val.matrix([A, B], [A, B, C], depart_at=datetime(2026, 3, 2, 6, 30, tzinfo=UTC))
    body = seen[0]
    assert body["costing"] == "auto" and body["units"] == "kilometers"
    assert body["sources"][1] == {"lat": B.lat, "lon": B.lon}
    assert body["date_time"] == {"type": 1, "value": "2026-03-02T08:30"}  # Helsinki wall clock
    assert m.durations_s[0, 1] == 61 and m.distances_m[0, 2] == pytest.approx(911.0)
    assert np.isinf(m.durations_s[1, 2])


def test_valhalla_concise_matrix_answer() -> None:
    concise = {"sources_to_targets": {"durations": [[0, 61]], "distances": [[0.0, 0.419]]}, "units": "kilometers"}
    val = ValhallaTravelTimes("http://v", client=mock(lambda r: httpx.Response(200, json=concise)))
    m = val.matrix([A], [A, B])
    assert m.durations_s.tolist() == [[0.0, 61.0]] and m.distances_m[0, 1] == pytest.approx(419.0)


def test_valhalla_route_and_errors() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["locations"][0]["lat"] > 61:
            return httpx.Response(400, json=fixture("valhalla_error_no_edges.json"))
        if body["locations"][0]["lat"] < 0:
            return httpx.Response(500, json={"error_code": 199, "error": "Unknown", "status_code": 500})
        return httpx.Response(200, json=fixture("valhalla_route.json"))

    val = ValhallaTravelTimes("http://valhalla.local", client=mock(handler))
    r = val.route(A, B)
    assert r.distance_m == pytest.approx(419.0) and r.duration_s == 60.6
    assert r.geometry[0] == pytest.approx((24.941035, 60.169852))
    assert r.geometry[-1] == pytest.approx((24.944212, 60.169401))
    assert len(r.geometry) == 6
    with pytest.raises(NoRoute):
        val.route((61.5, 25.0), B)
    with pytest.raises(EngineError):
        val.route((-10.0, 25.0), B)


def test_polyline_decoding() -> None:
    # The example of Google's format documentation, at precision 5.
    pts = decode_polyline("_p~iF~ps|U_ulLnnqC_mqNvxq`@", precision=5)
    assert pts == [(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]


OSRM_URL = os.environ.get("GONGWU_OSRM_URL")
VALHALLA_URL = os.environ.get("GONGWU_VALHALLA_URL")


@pytest.mark.skipif(not OSRM_URL, reason="live OSRM test: set GONGWU_OSRM_URL to a server with the city loaded")
def test_live_osrm() -> None:
    assert OSRM_URL
    osrm = OsrmTravelTimes(OSRM_URL)
    m = osrm.matrix([A, B], [A, B])
    assert np.isfinite(m.durations_s).all() and m.durations_s[0, 1] > 0
    assert osrm.route(A, B).distance_m > 0


@pytest.mark.skipif(
    not VALHALLA_URL, reason="live Valhalla test: set GONGWU_VALHALLA_URL to a server with the city loaded"
)
def test_live_valhalla() -> None:
    assert VALHALLA_URL
    val = ValhallaTravelTimes(VALHALLA_URL)
    m = val.matrix([A, B], [A, B])
    assert np.isfinite(m.durations_s).all() and m.durations_s[0, 1] > 0
    assert val.route(A, B).distance_m > 0
