"""``gongwu map import``: an OpenStreetMap extract in, a ready map folder out.

Builds, in a scratch folder next to the target and then swapped in (so a failed import leaves the old map
working): the road graph, the snapping index, the base-map tiles and ``meta.json``. Stages report progress
through a plain callback ``(stage, done, total or None)`` so the command line can draw bars.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gongwu.routing.errors import BadExtract, EmptyExtract
from gongwu.routing.graph import build_graph
from gongwu.routing.network import MapFiles
from gongwu.routing.osm import read_roads
from gongwu.routing.snap import SnapIndex
from gongwu.routing.tiles import build_tiles, read_features

__all__ = ["STAGES", "ImportReport", "Progress", "import_extract"]

Progress = Callable[[str, int, int | None], None]
STAGES = ("roads", "graph", "features", "tiles")


@dataclass(frozen=True, slots=True)
class ImportReport:
    map_dir: str
    source: str
    source_bytes: int
    bbox: list[float]  # [min_lon, min_lat, max_lon, max_lat]
    vertices: int
    roads: int
    road_km: float
    roads_dropped_disconnected: int
    ways_cut_by_crop: int
    missing_node_refs: int
    tiles: int
    tiles_bytes: int
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def import_extract(
    pbf: Path,
    map_dir: Path,
    *,
    progress: Progress | None = None,
    minzoom: int = 10,
    maxzoom: int = 16,
) -> ImportReport:
    """Import ``pbf`` into ``map_dir`` (created if needed; an existing map there is replaced on success).

    Raises :class:`BadExtract` for an unreadable file and :class:`EmptyExtract` when it has no drivable roads.
    """
    report = progress or _noop
    started = time.perf_counter()
    pbf = Path(pbf)
    if not pbf.is_file():
        raise BadExtract(f"No such file: {pbf}", message_zh=f"文件不存在：{pbf}", details={"path": str(pbf)})
    _check_header(pbf)

    pieces, road_stats = read_roads(pbf, on_way=lambda n: report("roads", n, None))
    report("roads", road_stats.ways_read, road_stats.ways_read)
    if not pieces:
        raise EmptyExtract(details={"path": str(pbf), "ways_read": road_stats.ways_read})

    report("graph", 0, 3)
    graph, graph_stats = build_graph(pieces)
    report("graph", 1, 3)
    index = SnapIndex.build(graph)
    report("graph", 2, 3)

    features = read_features(pbf, on_progress=lambda n: report("features", n, None))
    report("features", features.count(), features.count())

    map_dir = Path(map_dir)
    map_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = map_dir.with_name(map_dir.name + ".importing")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        files = MapFiles(scratch)
        graph.save(files.graph)
        index.save(files.snap)
        report("graph", 3, 3)
        tiles = build_tiles(features, files.tiles, minzoom, maxzoom, on_progress=lambda d, t: report("tiles", d, t))
        min_lat, min_lon, max_lat, max_lon = graph.bbox()
        result = ImportReport(
            map_dir=str(map_dir),
            source=pbf.name,
            source_bytes=pbf.stat().st_size,
            bbox=[min_lon, min_lat, max_lon, max_lat],
            vertices=graph_stats.vertices,
            roads=graph_stats.roads,
            road_km=round(graph_stats.length_km, 2),
            roads_dropped_disconnected=graph_stats.roads_dropped_disconnected,
            ways_cut_by_crop=road_stats.ways_cut,
            missing_node_refs=road_stats.missing_node_refs,
            tiles=tiles.tiles,
            tiles_bytes=tiles.bytes,
            seconds=round(time.perf_counter() - started, 2),
        )
        meta = {
            **result.as_dict(),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tiles_bounds": list(tiles.bounds),
            "minzoom": tiles.minzoom,
            "maxzoom": tiles.maxzoom,
            "skipped_ways": road_stats.skipped_reasons,
        }
        files.meta.write_text(json.dumps(meta, indent=1, ensure_ascii=False))
        old_speeds = MapFiles(map_dir).speeds
        if old_speeds.is_file():  # learned speeds are per road class, they survive a re-import
            shutil.copy2(old_speeds, files.speeds)
        _swap(scratch, map_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return result


def _check_header(pbf: Path) -> None:
    """Fail fast, with a clear message, on a file that is not an OpenStreetMap PBF at all."""
    with pbf.open("rb") as fh:
        head = fh.read(64)
    if len(head) < 16 or b"OSMHeader" not in head:
        raise BadExtract(
            f"{pbf.name} is not an OpenStreetMap .osm.pbf file (no OSMHeader block at its start).",
            message_zh=f"{pbf.name} 不是 OpenStreetMap .osm.pbf 文件（文件开头没有 OSMHeader 块）。",
            details={"path": str(pbf)},
        )


def _swap(new: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)
