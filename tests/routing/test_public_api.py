"""The public surface of routing is pinned: changing it is a decision, not an accident."""

from __future__ import annotations

import subprocess
import sys

import gongwu.routing as routing


def test_public_names() -> None:
    assert sorted(routing.__all__) == [
        "BadCoordinate",
        "BadExtract",
        "EmptyExtract",
        "EngineError",
        "LatLon",
        "MapNotImported",
        "MatrixResult",
        "NoRoadNearby",
        "NoRoute",
        "OutsideMap",
        "PointLike",
        "PointsLike",
        "Route",
        "TravelTimes",
        "as_points",
    ]
    for name in routing.__all__:
        assert hasattr(routing, name)


def test_error_codes_are_stable() -> None:
    codes = {
        routing.BadCoordinate: "routing.bad_coordinate",
        routing.OutsideMap: "routing.outside_map",
        routing.NoRoadNearby: "routing.no_road_nearby",
        routing.NoRoute: "routing.no_route",
        routing.BadExtract: "routing.bad_extract",
        routing.EmptyExtract: "routing.empty_extract",
        routing.MapNotImported: "routing.map_not_imported",
        routing.EngineError: "routing.engine_unavailable",
    }
    for cls, code in codes.items():
        assert cls().code == code


def test_importing_the_package_loads_no_graph_code() -> None:
    code = "import sys, gongwu.routing; print(any(m in sys.modules for m in ('scipy', 'osmium', 'shapely', 'httpx')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
