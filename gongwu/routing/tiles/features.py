"""What the base map shows, read out of the extract: roads, railways, water, green areas, land use, buildings,
place names. Each feature gets a layer, a few properties for the style and the lowest zoom it appears at.

Layers and properties (the contract with ``web/map/style.json``):

========== ========= =========================================================================
layer      geometry  properties
========== ========= =========================================================================
road       line      ``class`` (highway=*), ``name``, ``oneway`` (1/-1/0), ``brunnel`` (bridge/tunnel/"")
rail       line      ``class`` (rail, tram, subway, light_rail…), ``brunnel``
water      polygon   ``class`` (water, basin, riverbank, dock…)
waterway   line      ``class`` (river, stream, canal, drain…)
landcover  polygon   ``class``: ``green`` (parks, grass, gardens, pitches) or ``wood`` (woods, scrub, heath)
landuse    polygon   ``class`` (residential, commercial, industrial, retail, railway…)
building   polygon   —
place      point     ``class`` (city, suburb, neighbourhood…), ``name``
========== ========= =========================================================================

The sea is not drawn (OpenStreetMap keeps it as coastline ways, which a cropped extract cannot close into
polygons); coastal cities show land where the sea is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import osmium.osm
import shapely

from gongwu.routing.errors import BadExtract

__all__ = ["LAYERS", "MapFeatures", "read_features"]

LAYERS = ("landuse", "landcover", "water", "waterway", "building", "rail", "road", "place")

_ROAD_MINZOOM = {
    "motorway": 5,
    "trunk": 6,
    "primary": 8,
    "secondary": 9,
    "tertiary": 11,
    "motorway_link": 10,
    "trunk_link": 10,
    "primary_link": 11,
    "secondary_link": 12,
    "tertiary_link": 12,
    "unclassified": 12,
    "residential": 12,
    "living_street": 13,
    "road": 13,
    "service": 14,
    "pedestrian": 14,
    "track": 14,
    "footway": 15,
    "cycleway": 15,
    "path": 15,
    "steps": 15,
    "bridleway": 15,
}
_RAIL = {"rail": 9, "light_rail": 11, "subway": 11, "tram": 13, "narrow_gauge": 11, "monorail": 12}
_WATERWAY = {"river": 8, "canal": 10, "stream": 13, "drain": 14, "ditch": 14}
_PLACE = {"city": 4, "town": 8, "village": 11, "suburb": 11, "quarter": 13, "neighbourhood": 14, "hamlet": 13}
_GREEN = {
    ("leisure", "park"),
    ("leisure", "garden"),
    ("leisure", "pitch"),
    ("leisure", "playground"),
    ("leisure", "golf_course"),
    ("landuse", "grass"),
    ("landuse", "meadow"),
    ("landuse", "village_green"),
    ("landuse", "recreation_ground"),
    ("landuse", "cemetery"),
    ("natural", "grassland"),
}
_WOOD = {("landuse", "forest"), ("natural", "wood"), ("natural", "scrub"), ("natural", "heath")}
_WATER_AREA = {
    ("natural", "water"): "water",
    ("landuse", "basin"): "basin",
    ("landuse", "reservoir"): "reservoir",
    ("landuse", "pond"): "water",
    ("waterway", "riverbank"): "riverbank",
    ("waterway", "dock"): "dock",
}
_LANDUSE = {
    "residential",
    "commercial",
    "industrial",
    "retail",
    "railway",
    "military",
    "construction",
    "civil",
}


@dataclass
class MapFeatures:
    """Per layer: WGS-84 geometries (shapely), properties and min zooms."""

    geoms: dict[str, list[shapely.Geometry]] = field(default_factory=lambda: {k: [] for k in LAYERS})
    props: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in LAYERS})
    minzoom: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in LAYERS})

    def add(self, layer: str, geom: shapely.Geometry, props: dict[str, Any], minzoom: int) -> None:
        self.geoms[layer].append(geom)
        self.props[layer].append(props)
        self.minzoom[layer].append(minzoom)

    def count(self) -> int:
        return sum(len(v) for v in self.geoms.values())


def read_features(path: Path, on_progress: Callable[[int], None] | None = None) -> MapFeatures:
    """The base-map features of an extract (see the module docstring)."""
    features = MapFeatures()
    wkb = osmium.geom.WKBFactory()
    seen = 0
    try:
        processor = osmium.FileProcessor(str(path)).with_areas().with_filter(osmium.filter.EmptyTagFilter())
        for obj in processor:
            seen += 1
            if on_progress is not None and seen % 5000 == 0:
                on_progress(seen)
            if isinstance(obj, osmium.osm.Area):
                _area(obj, wkb, features)
            elif isinstance(obj, osmium.osm.Way):
                _way(obj, features)
            elif isinstance(obj, osmium.osm.Node):
                _node(obj, features)
    except RuntimeError as exc:
        raise BadExtract(
            f"Cannot read {path.name}: {exc}", message_zh=f"无法读取 {path.name}：{exc}", details={"path": str(path)}
        ) from exc
    return features


def _node(node: osmium.osm.Node, features: MapFeatures) -> None:
    place = node.tags.get("place")
    name = node.tags.get("name")
    if place in _PLACE and name and node.location.valid():
        geom = shapely.Point(node.location.lon, node.location.lat)
        features.add("place", geom, {"class": place, "name": name}, _PLACE[place])


def _line_parts(way: osmium.osm.Way) -> shapely.Geometry | None:
    """The way as a (multi)line, cut where the extract lacks nodes."""
    runs: list[list[tuple[float, float]]] = [[]]
    for node in way.nodes:
        if node.location.valid():
            runs[-1].append((node.location.lon, node.location.lat))
        elif runs[-1]:
            runs.append([])
    lines = [r for r in runs if len(r) >= 2]
    if not lines:
        return None
    return shapely.LineString(lines[0]) if len(lines) == 1 else shapely.MultiLineString(lines)


def _brunnel(tags: osmium.osm.TagList) -> str:
    if tags.get("bridge", "no") != "no":
        return "bridge"
    if tags.get("tunnel", "no") != "no":
        return "tunnel"
    return ""


def _way(way: osmium.osm.Way, features: MapFeatures) -> None:
    tags = way.tags
    highway = tags.get("highway")
    if highway in _ROAD_MINZOOM and tags.get("area") != "yes":
        geom = _line_parts(way)
        if geom is not None:
            oneway = {"yes": 1, "true": 1, "1": 1, "-1": -1}.get(tags.get("oneway") or "", 0)
            if tags.get("junction") == "roundabout":
                oneway = 1
            props = {
                "class": highway,
                "name": tags.get("name", ""),
                "oneway": oneway,
                "brunnel": _brunnel(tags),
            }
            features.add("road", geom, props, _ROAD_MINZOOM[highway])
        return
    railway = tags.get("railway")
    if railway in _RAIL:
        geom = _line_parts(way)
        if geom is not None:
            features.add("rail", geom, {"class": railway, "brunnel": _brunnel(tags)}, _RAIL[railway])
        return
    waterway = tags.get("waterway")
    if waterway in _WATERWAY:
        geom = _line_parts(way)
        if geom is not None:
            features.add("waterway", geom, {"class": waterway}, _WATERWAY[waterway])


def _area(area: osmium.osm.Area, wkb: osmium.geom.WKBFactory, features: MapFeatures) -> None:
    tags = area.tags
    layer, props, minzoom = _classify_area(tags)
    if layer is None:
        return
    try:
        geom = shapely.from_wkb(bytes.fromhex(wkb.create_multipolygon(area)))
    except RuntimeError:
        return  # an incomplete ring (cropped extract): nothing to draw
    if geom is None or geom.is_empty:
        return
    features.add(layer, geom, props, minzoom)


def _classify_area(tags: osmium.osm.TagList) -> tuple[str | None, dict[str, Any], int]:
    if tags.get("building", "no") != "no":
        return "building", {}, 14
    for key in ("natural", "landuse", "waterway"):
        value = tags.get(key)
        if value is not None and (key, value) in _WATER_AREA:
            return "water", {"class": _WATER_AREA[(key, value)]}, 8
    for key in ("leisure", "landuse", "natural"):
        value = tags.get(key)
        if value is None:
            continue
        if (key, value) in _GREEN:
            return "landcover", {"class": "green"}, 10
        if (key, value) in _WOOD:
            return "landcover", {"class": "wood"}, 9
    landuse = tags.get("landuse")
    if landuse in _LANDUSE:
        return "landuse", {"class": landuse}, 10
    return None, {}, 0


def bounds(features: MapFeatures) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) of all features, or None when there are none."""
    all_geoms = [g for layer in features.geoms.values() for g in layer]
    if not all_geoms:
        return None
    b = shapely.total_bounds(np.array(all_geoms, dtype=object))
    return float(b[0]), float(b[1]), float(b[2]), float(b[3])
