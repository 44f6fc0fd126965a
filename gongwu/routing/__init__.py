"""Routing: the road network from OpenStreetMap, travel times, routes, ETAs and the base-map tiles.

What other packages use (import from the module named):

==================================== =====================================================================
``gongwu.routing`` (this module)     value objects and the :class:`TravelTimes` interface, the errors
``gongwu.routing.service``           :class:`RoutingService` — what the app holds: ``route``, ``matrix``,
                                     ``eta``, ``learn_speeds``, ``tiles``; built from ``RoutingSettings``
``gongwu.routing.engine``            :class:`GraphTravelTimes` — the embedded engine (scipy Dijkstra)
``gongwu.routing.osrm`` / ``valhalla`` HTTP clients of those engines
``gongwu.routing.straight``          straight-line estimates and the fallback wrapper
``gongwu.routing.learned``           speeds learned from the fleet's trips (per road class × hour)
``gongwu.routing.importer``          ``import_extract(pbf, map_dir)`` — what ``gongwu map import`` runs
``gongwu.routing.settings``          :class:`RoutingSettings` (read by the app only)
``gongwu.routing.vrp``               the pooled-dispatch optimizer
==================================== =====================================================================

Kept light on purpose: importing this package (as ``gongwu.routing.vrp`` does) loads no graph code.
"""

from gongwu.routing.errors import (
    BadCoordinate,
    BadExtract,
    EmptyExtract,
    EngineError,
    MapNotImported,
    NoRoadNearby,
    NoRoute,
    OutsideMap,
)
from gongwu.routing.types import LatLon, MatrixResult, PointLike, PointsLike, Route, TravelTimes, as_points

__all__ = [
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
