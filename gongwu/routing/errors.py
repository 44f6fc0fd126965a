"""Errors of the routing package, each with a stable ``code`` (mapped to HTTP by ``gongwu.app``)."""

from __future__ import annotations

from gongwu.core.errors import InvalidInput, NotFound, Unavailable

__all__ = [
    "BadCoordinate",
    "BadExtract",
    "EmptyExtract",
    "EngineError",
    "MapNotImported",
    "NoRoadNearby",
    "NoRoute",
    "OutsideMap",
]


class BadCoordinate(InvalidInput):
    """A latitude/longitude that is not a WGS-84 coordinate (NaN, |lat| > 90, |lon| > 180)."""

    code = "routing.bad_coordinate"
    default_message = "Coordinates must be WGS-84 degrees: -90 ≤ lat ≤ 90, -180 ≤ lon ≤ 180."


class OutsideMap(InvalidInput):
    """A point outside the imported extract's bounding box."""

    code = "routing.outside_map"
    default_message = "The point is outside the imported map."


class NoRoadNearby(InvalidInput):
    """A point inside the map but farther than the snapping radius from any drivable road."""

    code = "routing.no_road_nearby"
    default_message = "No drivable road near the point."


class NoRoute(NotFound):
    """No drivable path between two points (e.g. the engine found none)."""

    code = "routing.no_route"
    default_message = "No drivable route between the points."


class BadExtract(InvalidInput):
    """The OpenStreetMap file cannot be read (not a .osm.pbf, truncated, corrupt)."""

    code = "routing.bad_extract"
    default_message = "The file is not a readable OpenStreetMap extract."


class EmptyExtract(InvalidInput):
    """The extract reads fine but holds no drivable roads."""

    code = "routing.empty_extract"
    default_message = "The extract holds no drivable roads."


class MapNotImported(Unavailable):
    """No road graph in the data folder yet (run `gongwu map import CITY.osm.pbf`)."""

    code = "routing.map_not_imported"
    default_message = "No map has been imported yet: run `gongwu map import CITY.osm.pbf`."


class EngineError(Unavailable):
    """An external routing engine (OSRM, Valhalla) is unreachable or answered with an error."""

    code = "routing.engine_unavailable"
    default_message = "The routing engine is not available."
