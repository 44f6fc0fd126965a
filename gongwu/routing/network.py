"""The imported map folder and the loaded road network.

Layout of ``DATA_DIR/map/`` (written by :func:`gongwu.routing.importer.import_extract`)::

    graph.npz      road graph (flat arrays: vertices, roads with OSM way id, class, name, shape)
    snap.npz       snapping index (road samples; the k-d tree is rebuilt from them at load)
    tiles.mbtiles  vector tiles of the base map (MBTiles 1.3, gzip-compressed MVT)
    meta.json      bbox, source file, counts, build time
    speeds.json    learned speed profile (optional; written by `gongwu map learn-speeds` or the API)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gongwu.core.geo import BBox
from gongwu.routing.errors import MapNotImported
from gongwu.routing.graph import RoadGraph
from gongwu.routing.learned import SpeedProfile
from gongwu.routing.snap import SnapIndex

__all__ = ["MapFiles", "RoadNetwork"]


@dataclass(frozen=True, slots=True)
class MapFiles:
    """Paths inside a map folder."""

    root: Path

    @property
    def graph(self) -> Path:
        return self.root / "graph.npz"

    @property
    def snap(self) -> Path:
        return self.root / "snap.npz"

    @property
    def tiles(self) -> Path:
        return self.root / "tiles.mbtiles"

    @property
    def meta(self) -> Path:
        return self.root / "meta.json"

    @property
    def speeds(self) -> Path:
        return self.root / "speeds.json"

    def exists(self) -> bool:
        return self.graph.is_file() and self.snap.is_file() and self.meta.is_file()


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A loaded road graph with its snapping index and metadata."""

    graph: RoadGraph
    index: SnapIndex
    meta: dict[str, Any]
    speed_profile: SpeedProfile | None = None

    @property
    def bbox(self) -> BBox:
        min_lat, min_lon, max_lat, max_lon = self.graph.bbox()
        return BBox(min_lat, min_lon, max_lat, max_lon)

    @classmethod
    def load(cls, map_dir: Path) -> RoadNetwork:
        """Load what ``gongwu map import`` wrote; raises :class:`MapNotImported` when it is not there."""
        files = MapFiles(map_dir)
        if not files.exists():
            raise MapNotImported(details={"map_dir": str(map_dir)})
        graph = RoadGraph.load(files.graph)
        index = SnapIndex.load(files.snap, graph)
        meta = json.loads(files.meta.read_text())
        profile = SpeedProfile.load(files.speeds) if files.speeds.is_file() else None
        return cls(graph, index, meta, profile)
