"""What the app holds at run time: the engine, the base-map tiles, ETAs and learned speeds.

Built once at start-up by :meth:`RoutingService.from_settings` (the app passes its settings, the map folder and
its time zone). The engine is always wrapped in :class:`~gongwu.routing.straight.FallbackTravelTimes`, so cars
off the road graph and engine outages give flagged estimates instead of errors. After ``gongwu map import``
or learning speeds, :meth:`reload` picks the new files up without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gongwu.routing.engine import GraphTravelTimes
from gongwu.routing.errors import MapNotImported
from gongwu.routing.learned import SpeedProfile, Traversals, fit_speed_profile
from gongwu.routing.network import MapFiles, RoadNetwork
from gongwu.routing.osrm import OsrmTravelTimes
from gongwu.routing.settings import RoutingSettings
from gongwu.routing.straight import FallbackTravelTimes, StraightLineTravelTimes
from gongwu.routing.tiles import TileStore
from gongwu.routing.types import LatLon, MatrixResult, PointLike, Route, TravelTimes, as_points
from gongwu.routing.valhalla import ValhallaTravelTimes

__all__ = ["Eta", "RoadPosition", "RoutingService"]


@dataclass(frozen=True, slots=True)
class RoadPosition:
    """Where a point lands on the imported road network (``on_road``: within the snapping radius)."""

    point: LatLon
    snapped: LatLon
    distance_m: float
    road_name: str
    way_id: int
    on_road: bool


@dataclass(frozen=True, slots=True)
class Eta:
    """When a car at ``origin`` would reach the target."""

    duration_s: float
    distance_m: float
    arrive_at: datetime
    approximate: bool
    engine: str


class RoutingService:
    """Routes, matrices and ETAs through the configured engine; tiles of the imported base map."""

    def __init__(self, settings: RoutingSettings, map_dir: Path, timezone: str = "Asia/Shanghai") -> None:
        self.settings = settings
        self.files = MapFiles(Path(map_dir))
        self.timezone = timezone
        self._lock = threading.Lock()
        self.network: RoadNetwork | None = None
        self.tiles: TileStore | None = None
        self.graph_engine: GraphTravelTimes | None = None
        self._engine: TravelTimes | None = None
        self.reload()

    @classmethod
    def from_settings(cls, settings: RoutingSettings, map_dir: Path, timezone: str = "Asia/Shanghai") -> RoutingService:
        return cls(settings, map_dir, timezone)

    def reload(self) -> None:
        """(Re)load the map folder and rebuild the engine."""
        s = self.settings
        network = RoadNetwork.load(self.files.root) if self.files.exists() else None
        tiles = TileStore(self.files.tiles) if self.files.tiles.is_file() else None
        graph = None
        if network is not None:
            graph = GraphTravelTimes(
                network,
                max_snap_m=s.routing_max_snap_m,
                speed_overrides=s.routing_default_speeds_kmh,
                timezone=self.timezone,
                cache_mb=s.routing_cache_mb,
                use_learned_speeds=s.routing_learned_speeds,
            )
        primary: TravelTimes | None
        if s.routing_engine == "osrm" and s.osrm_url:
            primary = OsrmTravelTimes(s.osrm_url, profile=s.osrm_profile, timeout_s=s.routing_timeout_s)
        elif s.routing_engine == "valhalla" and s.valhalla_url:
            primary = ValhallaTravelTimes(
                s.valhalla_url, costing=s.valhalla_costing, timezone=self.timezone, timeout_s=s.routing_timeout_s
            )
        else:
            primary = graph
        fallback = StraightLineTravelTimes(s.routing_detour_factor, s.routing_offgraph_speed_kmh)
        with self._lock:
            old_tiles = self.tiles
            self.network, self.tiles, self.graph_engine = network, tiles, graph
            self._engine = FallbackTravelTimes(primary, fallback) if primary is not None else None
        if old_tiles is not None and old_tiles is not tiles:
            old_tiles.close()

    @property
    def engine(self) -> TravelTimes:
        """The engine in use (raises :class:`MapNotImported` when the graph engine has no map yet)."""
        engine = self._engine
        if engine is None:
            raise MapNotImported(details={"map_dir": str(self.files.root)})
        return engine

    def route(self, a: PointLike, b: PointLike, depart_at: datetime | None = None) -> Route:
        return self.engine.route(a, b, depart_at)

    def matrix(
        self, sources: Sequence[PointLike], targets: Sequence[PointLike], depart_at: datetime | None = None
    ) -> MatrixResult:
        return self.engine.matrix(sources, targets, depart_at)

    def eta(self, position: PointLike, target: PointLike, now: datetime | None = None) -> Eta:
        """ETA of a car at ``position`` (its live fix) to ``target``, leaving ``now`` (default: now, UTC)."""
        start = now or datetime.now(UTC)
        a, b = as_points([position, target])
        r = self.engine.route(a, b, start)
        return Eta(r.duration_s, r.distance_m, start + timedelta(seconds=r.duration_s), r.approximate, r.engine)

    def snap(self, points: Sequence[PointLike]) -> list[RoadPosition]:
        """The nearest road position of each point, with the street's name (e.g. to confirm a pick-up)."""
        engine = self.graph_engine
        if engine is None:
            raise MapNotImported(details={"map_dir": str(self.files.root)})
        pts = as_points(points)
        s, ok = engine.locate(pts)
        g = engine.graph
        return [
            RoadPosition(
                point=p,
                snapped=LatLon(float(s.lat[i]), float(s.lon[i])),
                distance_m=round(float(s.distance_m[i]), 1),
                road_name=g.road_name_of(int(s.road[i])),
                way_id=int(g.road_way_id[s.road[i]]),
                on_road=bool(ok[i]),
            )
            for i, p in enumerate(pts)
        ]

    def learn_speeds(self, traversals: Traversals, min_samples: int = 30) -> SpeedProfile:
        """Fit speeds per road class × hour from the fleet's traversals, save them and use them now."""
        profile = fit_speed_profile(traversals, min_samples=min_samples)
        self.files.root.mkdir(parents=True, exist_ok=True)
        profile.save(self.files.speeds)
        if self.graph_engine is not None and self.settings.routing_learned_speeds:
            self.graph_engine.apply_speed_profile(profile)
        return profile
