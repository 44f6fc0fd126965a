"""Read the drivable roads of an OpenStreetMap extract (``.osm.pbf``) with pyosmium.

What counts as drivable (for a car of the bureau):

* ``highway`` in :data:`~gongwu.routing.speeds.ROAD_CLASSES` (footways, cycleways, steps, tracks, paths,
  construction and proposed roads are not);
* not ``area=yes``; not ``access``/``motor_vehicle``/``motorcar``/``vehicle`` = ``no``/``private``/
  ``agricultural``/``forestry``/``delivery``-only unless a more specific tag allows cars (``motorcar=yes``…);
* ``oneway=yes|true|1`` (and roundabouts, motorways) are one-way forward, ``oneway=-1|reverse`` backward;
  ``oneway=reversible|alternating`` roads are left out (their direction depends on the hour).

A cropped extract (ways that reference nodes the file does not hold) is normal: such a way is cut at the
missing nodes and its pieces kept. The counts of what was cut or skipped go into :class:`RoadReadStats`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import osmium
import osmium.osm

from gongwu.routing.errors import BadExtract
from gongwu.routing.speeds import ROAD_CLASSES, parse_maxspeed

__all__ = ["RoadPiece", "RoadReadStats", "is_drivable", "oneway_of", "read_roads"]

_DRIVABLE = frozenset(ROAD_CLASSES)
_NO = frozenset({"no", "private", "agricultural", "forestry", "delivery", "emergency", "military"})
_YES = frozenset({"yes", "designated", "permissive", "destination", "customers", "official"})


@dataclass(slots=True)
class RoadPiece:
    """A run of consecutive nodes of one way, all with known locations."""

    way_id: int
    highway: str
    name: str
    oneway: int  # 0 both ways, 1 forward only, -1 backward only
    maxspeed_kmh: float | None
    node_ids: list[int]
    lats: list[float]
    lons: list[float]


@dataclass(slots=True)
class RoadReadStats:
    """What reading the extract found."""

    ways_read: int = 0
    ways_drivable: int = 0
    missing_node_refs: int = 0
    ways_cut: int = 0
    ways_dropped_cropped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str) -> None:
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + 1


def is_drivable(tags: dict[str, str]) -> str | None:
    """None when a car may use the way; else the reason it may not."""
    highway = tags.get("highway")
    if highway not in _DRIVABLE:
        return "not a road"
    if tags.get("area") == "yes":
        return "area"
    # The most specific access tag that is set wins.
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        value = tags.get(key)
        if value is None:
            continue
        if value in _YES:
            return None
        if value in _NO:
            return f"{key}={value}"
    if tags.get("service") == "emergency_access":
        return "emergency access"
    return None


def oneway_of(tags: dict[str, str]) -> int | None:
    """1 forward only, -1 backward only, 0 both ways, None when the direction depends on the hour."""
    value = tags.get("oneway", "").lower()
    if value in ("yes", "true", "1"):
        return 1
    if value in ("-1", "reverse"):
        return -1
    if value in ("reversible", "alternating"):
        return None
    if value in ("no", "false", "0"):
        return 0
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") == "motorway":
        return 1
    return 0


def read_roads(path: Path, on_way: Callable[[int], None] | None = None) -> tuple[list[RoadPiece], RoadReadStats]:
    """All drivable road pieces of the extract at ``path``.

    ``on_way(n)`` is called now and then with the number of highway ways read so far (for a progress bar).
    Raises :class:`BadExtract` when the file cannot be read as OpenStreetMap data.
    """
    if not path.is_file():
        raise BadExtract(f"No such file: {path}", message_zh=f"文件不存在：{path}", details={"path": str(path)})
    stats = RoadReadStats()
    pieces: list[RoadPiece] = []
    try:
        for way in _highway_ways(path):
            stats.ways_read += 1
            if on_way is not None and stats.ways_read % 500 == 0:
                on_way(stats.ways_read)
            _read_way(way, stats, pieces)
    except RuntimeError as exc:  # libosmium reports corrupt or unreadable input this way
        raise BadExtract(
            f"Cannot read {path.name} as an OpenStreetMap extract: {exc}",
            message_zh=f"无法将 {path.name} 作为 OpenStreetMap 地图文件读取：{exc}",
            details={"path": str(path)},
        ) from exc
    if on_way is not None:
        on_way(stats.ways_read)
    return pieces, stats


def _highway_ways(path: Path) -> Iterator[osmium.osm.Way]:
    processor = (
        osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for obj in processor:
        if isinstance(obj, osmium.osm.Way):
            yield obj


def _read_way(way: osmium.osm.Way, stats: RoadReadStats, pieces: list[RoadPiece]) -> None:
    tags = {t.k: t.v for t in way.tags}
    reason = is_drivable(tags)
    if reason is not None:
        stats.skip(reason)
        return
    direction = oneway_of(tags)
    if direction is None:
        stats.skip("reversible")
        return
    stats.ways_drivable += 1
    runs: list[tuple[list[int], list[float], list[float]]] = [([], [], [])]
    missing = 0
    for node in way.nodes:
        loc = node.location
        if loc.valid():
            runs[-1][0].append(node.ref)
            runs[-1][1].append(loc.lat)
            runs[-1][2].append(loc.lon)
        else:
            missing += 1
            if runs[-1][0]:
                runs.append(([], [], []))
    if missing:
        stats.missing_node_refs += missing
        stats.ways_cut += 1
    kept = [r for r in runs if len(r[0]) >= 2]
    if not kept:
        stats.ways_dropped_cropped += 1
        return
    highway = tags["highway"]
    maxspeed = parse_maxspeed(tags.get("maxspeed"))
    name = tags.get("name", "")
    for ids, lats, lons in kept:
        pieces.append(RoadPiece(way.id, highway, name, direction, maxspeed, ids, lats, lons))
