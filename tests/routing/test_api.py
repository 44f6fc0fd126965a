"""The routing HTTP API: routes, matrices, ETA from a live position, tiles and style."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gongwu.app.routing_api import get_live_position
from gongwu.routing.tiles import lonlat_to_tile
from gongwu.routing.types import LatLon

from .apphelp import routing_app
from .mvt_decode import decode

Points = Callable[..., list[LatLon]]


@pytest.fixture()
def data_dir(map_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(map_dir, tmp_path / "map")
    return tmp_path


@pytest.fixture()
def client(data_dir: Path) -> TestClient:
    return TestClient(routing_app(data_dir, "routing.use", "routing.speeds.manage"))


def pt(p: LatLon) -> dict[str, float]:
    return {"lat": p.lat, "lon": p.lon}


def test_route(client: TestClient, road_points: Points) -> None:
    a, b = road_points(2, 20)
    r = client.post("/api/routing/route", json={"origin": pt(a), "destination": pt(b)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["geometry"]["type"] == "LineString" and len(body["geometry"]["coordinates"]) >= 2
    lon, lat = body["geometry"]["coordinates"][0]
    assert abs(lon - a.lon) < 0.002 and abs(lat - a.lat) < 0.002  # [lon, lat] order
    assert body["distance_m"] > 0 and body["duration_s"] > 0
    assert body["engine"] == "graph" and body["approximate"] is False
    assert body["way_ids"]


def test_matrix(client: TestClient, road_points: Points) -> None:
    pts = road_points(6, 21)
    r = client.post("/api/routing/matrix", json={"sources": [pt(p) for p in pts[:2]], "targets": [pt(p) for p in pts]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["durations_s"]) == 2 and len(body["durations_s"][0]) == 6
    assert all(v is not None and v >= 0 for row in body["durations_s"] for v in row)
    assert body["approximate"] == [[False] * 6] * 2


def test_bad_points_get_clear_errors(client: TestClient, road_points: Points) -> None:
    (a,) = road_points(1, 22)
    r = client.post("/api/routing/route", json={"origin": pt(a), "destination": {"lat": 95, "lon": 24.9}})
    assert r.status_code == 422
    # A point in Beijing for a Helsinki map: estimated in a matrix (car off the map), flagged.
    far = {"lat": 39.9087, "lon": 116.3975}
    r = client.post("/api/routing/matrix", json={"sources": [pt(a)], "targets": [pt(a), far]})
    assert r.status_code == 200 and r.json()["approximate"] == [[False, True]]
    r = client.post("/api/routing/route", json={"origin": pt(a), "destination": far})
    assert r.status_code == 200 and r.json()["approximate"] is True


def test_eta_from_the_live_position(data_dir: Path, road_points: Points) -> None:
    app = routing_app(data_dir, "routing.use")
    car, target = road_points(2, 23)
    positions = {"京A·12345": (car.lat, car.lon)}

    async def live(vehicle_id: str) -> tuple[float, float] | None:
        return positions.get(vehicle_id)

    app.dependency_overrides[get_live_position] = lambda: live
    client = TestClient(app)
    r = client.get("/api/routing/eta", params={"vehicle_id": "京A·12345", "lat": target.lat, "lon": target.lon})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["duration_s"] > 0 and body["position"] == {"lat": car.lat, "lon": car.lon}
    assert body["arrive_at"]
    r = client.get("/api/routing/eta", params={"vehicle_id": "京B·00000", "lat": target.lat, "lon": target.lon})
    assert r.status_code == 404 and r.json()["error"]["code"] == "routing.no_live_position"


def test_eta_without_live_state_is_unavailable(client: TestClient) -> None:
    r = client.get("/api/routing/eta", params={"vehicle_id": "x", "lat": 60.17, "lon": 24.94})
    assert r.status_code == 503 and r.json()["error"]["code"] == "routing.no_live_state"


def test_permission_is_required(data_dir: Path, road_points: Points) -> None:
    client = TestClient(routing_app(data_dir))  # a user without routing.use
    a, b = road_points(2, 24)
    r = client.post("/api/routing/route", json={"origin": pt(a), "destination": pt(b)})
    assert r.status_code == 403
    r = client.get("/map/style.json")  # the base map is public
    assert r.status_code == 200


def test_tiles_and_style(client: TestClient) -> None:
    x, y = lonlat_to_tile(24.9445, 60.1699, 15)
    r = client.get(f"/map/tiles/15/{x}/{y}.pbf")
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layers = decode(r.content)  # the test client has already undone the gzip
    assert "road" in layers
    assert client.get(f"/map/tiles/15/{x + 40}/{y}.pbf").status_code == 204
    style = client.get("/map/style.json").json()
    assert style["version"] == 8 and "glyphs" not in style
    assert style["sources"]["gongwu"]["tiles"] == ["http://testserver/map/tiles/{z}/{x}/{y}.pbf"]
    assert style["metadata"]["gongwu:bounds"][0][1] == pytest.approx(60.164, abs=0.01)
    urls = [f["url"] for faces in style["font-faces"].values() for f in faces]
    assert all(u.startswith("http://testserver/static/map/fonts/") for u in urls)


def test_no_map_yet(tmp_path: Path) -> None:
    client = TestClient(routing_app(tmp_path, "routing.use"))
    assert client.get("/map/tiles/15/1/1.pbf").status_code == 503
    r = client.post("/api/routing/route", json={"origin": {"lat": 1, "lon": 1}, "destination": {"lat": 1, "lon": 1}})
    assert r.status_code == 503 and r.json()["error"]["code"] == "routing.map_not_imported"


def test_learn_speeds_endpoint(client: TestClient) -> None:
    traversals = [{"road_class": "primary", "hour": 8, "speed_kmh": 12.0}] * 40
    r = client.post("/api/routing/speeds/learn", json={"traversals": traversals})
    assert r.status_code == 200, r.text
    assert ["primary", 8] in r.json()["covered"]
    assert client.get("/api/routing/status").json()["learned_speed_cells"] == 1


def test_snap_names_the_street(client: TestClient) -> None:
    # Two metres off Pohjoisesplanadi in central Helsinki, and a point in Beijing.
    r = client.post(
        "/api/routing/snap", json={"points": [{"lat": 60.16790, "lon": 24.95130}, {"lat": 39.9087, "lon": 116.3975}]}
    )
    assert r.status_code == 200, r.text
    near, far = r.json()
    assert near["on_road"] is True and near["road_name"] == "Pohjoisesplanadi" and near["distance_m"] < 5
    assert far["on_road"] is False
