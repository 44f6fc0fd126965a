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
    default_message_zh = "坐标须为 WGS-84 经纬度：纬度在 -90 至 90 之间，经度在 -180 至 180 之间。"


class OutsideMap(InvalidInput):
    """A point outside the imported extract's bounding box."""

    code = "routing.outside_map"
    default_message = "The point is outside the imported map."
    default_message_zh = "该点不在已导入的地图范围内。"


class NoRoadNearby(InvalidInput):
    """A point inside the map but farther than the snapping radius from any drivable road."""

    code = "routing.no_road_nearby"
    default_message = "No drivable road near the point."
    default_message_zh = "该点附近没有可通行的道路。"


class NoRoute(NotFound):
    """No drivable path between two points (e.g. the engine found none)."""

    code = "routing.no_route"
    default_message = "No drivable route between the points."
    default_message_zh = "两点之间没有可通行的路线。"


class BadExtract(InvalidInput):
    """The OpenStreetMap file cannot be read (not a .osm.pbf, truncated, corrupt)."""

    code = "routing.bad_extract"
    default_message = "The file is not a readable OpenStreetMap extract."
    default_message_zh = "该文件不是可读取的 OpenStreetMap 地图文件。"


class EmptyExtract(InvalidInput):
    """The extract reads fine but holds no drivable roads."""

    code = "routing.empty_extract"
    default_message = "The extract holds no drivable roads."
    default_message_zh = "该地图文件中没有可通行的道路。"


class MapNotImported(Unavailable):
    """No road graph in the data folder yet (run `gongwu map import CITY.osm.pbf`)."""

    code = "routing.map_not_imported"
    default_message = "No map has been imported yet: run `gongwu map import CITY.osm.pbf`."
    default_message_zh = "尚未导入地图：请运行 `gongwu map import CITY.osm.pbf`。"


class EngineError(Unavailable):
    """An external routing engine (OSRM, Valhalla) is unreachable or answered with an error."""

    code = "routing.engine_unavailable"
    default_message = "The routing engine is not available."
    default_message_zh = "路径规划引擎暂不可用。"
