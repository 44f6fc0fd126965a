"""HTTP API of routing: routes, matrices, ETAs of cars, and the console's base map (style and tiles).

Wiring (composition root): put a :class:`~gongwu.routing.service.RoutingService` on ``app.state.routing``
(:func:`create_routing_service`) and, once the live-state service exists, a callable
``live_position(vehicle_id) -> (lat, lon) | None`` (plain or async) on ``app.state.live_position``; include
``router`` (``/api/routing/...``, needs ``routing.use``) and ``map_router`` (``/map/...``, public: the base
map holds nothing that is not in OpenStreetMap).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

import gongwu.routing.permissions  # noqa: F401  (registers routing.use, routing.speeds.manage)
from gongwu.app.paths import WEB
from gongwu.core.errors import NotFound, Unavailable
from gongwu.core.http import require
from gongwu.routing.errors import MapNotImported
from gongwu.routing.learned import Traversals
from gongwu.routing.service import RoutingService
from gongwu.routing.settings import RoutingSettings
from gongwu.routing.types import LatLon, MatrixResult

__all__ = [
    "LivePosition",
    "create_routing_service",
    "get_live_position",
    "get_routing",
    "map_router",
    "router",
]

STYLE_FILE = WEB / "map" / "style.json"
LivePosition = Callable[[str], "tuple[float, float] | Awaitable[tuple[float, float] | None] | None"]

router = APIRouter(prefix="/api/routing", tags=["routing"])
map_router = APIRouter(prefix="/map", tags=["map"])


def create_routing_service(data_dir: Path, timezone: str, settings: RoutingSettings | None = None) -> RoutingService:
    """The service for ``app.state.routing``: the map lives in ``DATA_DIR/map``."""
    return RoutingService(settings or RoutingSettings(), Path(data_dir) / "map", timezone)


def get_routing(request: Request) -> RoutingService:
    service = getattr(request.app.state, "routing", None)
    if service is None:
        raise Unavailable(
            "Routing is not configured in this process.",
            code="routing.not_configured",
            message_zh="本进程未配置路径规划服务。",
        )
    return service  # type: ignore[no-any-return]


def get_live_position(request: Request) -> LivePosition:
    live = getattr(request.app.state, "live_position", None)
    if live is None:
        raise Unavailable(
            "Live positions are not available in this process.",
            code="routing.no_live_state",
            message_zh="本进程不提供车辆实时位置。",
        )
    return live  # type: ignore[no-any-return]


Routing = Annotated[RoutingService, Depends(get_routing)]


# -- schemas ---------------------------------------------------------------------------------------------


class Point(BaseModel):
    """A WGS-84 point."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)

    def latlon(self) -> LatLon:
        return LatLon(self.lat, self.lon)


class RouteIn(BaseModel):
    origin: Point
    destination: Point
    depart_at: datetime | None = Field(
        None, description="Departure (selects learned speeds); without a zone: local wall-clock time."
    )


class LineString(BaseModel):
    type: str = "LineString"
    coordinates: list[tuple[float, float]] = Field(description="[lon, lat] pairs, WGS-84")


class RouteOut(BaseModel):
    geometry: LineString
    distance_m: float
    duration_s: float
    engine: str
    approximate: bool = Field(description="True for a straight-line estimate (point off the road graph).")
    way_ids: list[int] = Field(description="OpenStreetMap ways driven, in order (embedded engine only).")
    snapped: list[Point] | None = Field(None, description="Where the route really starts and ends on the road.")


class MatrixIn(BaseModel):
    sources: list[Point] = Field(min_length=1, max_length=2000)
    targets: list[Point] = Field(min_length=1, max_length=2000)
    depart_at: datetime | None = None


class MatrixOut(BaseModel):
    durations_s: list[list[float | None]] = Field(description="Rows: sources; columns: targets; null: no route.")
    distances_m: list[list[float | None]]
    approximate: list[list[bool]]
    engine: str


class EtaOut(BaseModel):
    vehicle_id: str
    position: Point
    target: Point
    duration_s: float
    distance_m: float
    arrive_at: datetime
    approximate: bool
    engine: str


class Traversal(BaseModel):
    road_class: str = Field(description="OpenStreetMap highway=* class, e.g. `primary`.")
    hour: int = Field(ge=0, le=23, description="Local hour of day of the pass.")
    speed_kmh: float = Field(gt=0)


class LearnIn(BaseModel):
    traversals: list[Traversal] = Field(min_length=1, max_length=1_000_000)
    min_samples: int = Field(30, ge=1)


class LearnOut(BaseModel):
    covered: list[tuple[str, int]] = Field(description="(road class, hour) cells that now have a learned speed")
    fitted_at: str


# -- routes ----------------------------------------------------------------------------------------------


def _cells(a: Any) -> list[list[float | None]]:
    return [[None if v == float("inf") else round(float(v), 1) for v in row] for row in a.tolist()]


def _matrix_out(m: MatrixResult) -> MatrixOut:
    return MatrixOut(
        durations_s=_cells(m.durations_s),
        distances_m=_cells(m.distances_m),
        approximate=m.approximate.tolist(),
        engine=m.engine,
    )


@router.post("/route", response_model=RouteOut, dependencies=[require("routing.use")])
def route(body: RouteIn, routing: Routing) -> RouteOut:
    """The route between two points: drawable geometry, length and time."""
    r = routing.route(body.origin.latlon(), body.destination.latlon(), body.depart_at)
    return RouteOut(
        geometry=LineString(coordinates=r.geometry),
        distance_m=round(r.distance_m, 1),
        duration_s=round(r.duration_s, 1),
        engine=r.engine,
        approximate=r.approximate,
        way_ids=r.way_ids,
        snapped=[Point(lat=p.lat, lon=p.lon) for p in r.snapped] if r.snapped else None,
    )


@router.post("/matrix", response_model=MatrixOut, dependencies=[require("routing.use")])
def matrix(body: MatrixIn, routing: Routing) -> MatrixOut:
    """Travel times and distances from every source to every target."""
    m = routing.matrix([p.latlon() for p in body.sources], [p.latlon() for p in body.targets], body.depart_at)
    return _matrix_out(m)


@router.get("/eta", response_model=EtaOut, dependencies=[require("routing.use")])
async def eta(
    routing: Routing,
    live_position: Annotated[LivePosition, Depends(get_live_position)],
    vehicle_id: Annotated[str, Query(min_length=1, max_length=64)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> EtaOut:
    """When the car would reach (lat, lon) from where it is now (its live position)."""
    found = live_position(vehicle_id)
    if inspect.isawaitable(found):
        found = await found
    if found is None:
        raise NotFound(
            "No live position for this vehicle.",
            code="routing.no_live_position",
            message_zh="该车辆没有实时位置。",
            details={"vehicle_id": vehicle_id},
        )
    here = LatLon(float(found[0]), float(found[1]))
    target = LatLon(lat, lon)
    e = await run_in_threadpool(routing.eta, here, target)
    return EtaOut(
        vehicle_id=vehicle_id,
        position=Point(lat=here.lat, lon=here.lon),
        target=Point(lat=lat, lon=lon),
        duration_s=round(e.duration_s, 1),
        distance_m=round(e.distance_m, 1),
        arrive_at=e.arrive_at,
        approximate=e.approximate,
        engine=e.engine,
    )


class SnapIn(BaseModel):
    points: list[Point] = Field(min_length=1, max_length=2000)


class SnapOut(BaseModel):
    point: Point
    snapped: Point
    distance_m: float
    road_name: str
    way_id: int
    on_road: bool = Field(description="Within the snapping radius of a drivable road (else estimated).")


@router.post("/snap", response_model=list[SnapOut], dependencies=[require("routing.use")])
def snap(body: SnapIn, routing: Routing) -> list[SnapOut]:
    """Where points land on the imported road network, with the street's name."""
    return [
        SnapOut(
            point=Point(lat=r.point.lat, lon=r.point.lon),
            snapped=Point(lat=r.snapped.lat, lon=r.snapped.lon),
            distance_m=r.distance_m,
            road_name=r.road_name,
            way_id=r.way_id,
            on_road=r.on_road,
        )
        for r in routing.snap([p.latlon() for p in body.points])
    ]


@router.get("/status", dependencies=[require("routing.use")])
def status(routing: Routing) -> dict[str, Any]:
    """Which engine answers, and what map is imported."""
    profile = routing.graph_engine.speed_profile if routing.graph_engine else None
    return {
        "engine": routing.settings.routing_engine,
        "map": routing.network.meta if routing.network else None,
        "learned_speed_cells": len(profile.covered()) if profile else 0,
    }


@router.post("/speeds/learn", response_model=LearnOut, dependencies=[require("routing.speeds.manage")])
def learn_speeds(body: LearnIn, routing: Routing) -> LearnOut:
    """Fit speeds per road class × hour from the fleet's traversals; used from now on."""
    records = [(t.road_class, t.hour, t.speed_kmh) for t in body.traversals]
    profile = routing.learn_speeds(Traversals.from_records(records), body.min_samples)
    return LearnOut(covered=profile.covered(), fitted_at=profile.fitted_at)


# -- base map --------------------------------------------------------------------------------------------


@map_router.get("/tiles/{z}/{x}/{y}.pbf", include_in_schema=False)
def tile(z: int, x: int, y: int, routing: Routing) -> Response:
    """One vector tile of the imported map (gzip-compressed MVT); 204 where the map has nothing."""
    store = routing.tiles
    if store is None:
        raise MapNotImported()
    data = store.get(z, x, y)
    if data is None:
        return Response(status_code=204, headers={"Cache-Control": "public, max-age=3600"})
    return Response(
        data,
        media_type="application/vnd.mapbox-vector-tile",
        headers={"Content-Encoding": "gzip", "Cache-Control": "public, max-age=3600"},
    )


@map_router.get("/style.json", include_in_schema=False)
def style(request: Request, routing: Routing) -> dict[str, Any]:
    """The MapLibre style of the base map, with absolute URLs and the imported map's bounds."""
    if routing.tiles is None:
        raise MapNotImported()
    spec: dict[str, Any] = json.loads(STYLE_FILE.read_text(encoding="utf-8"))
    base = str(request.base_url).rstrip("/")
    source = spec["sources"]["gongwu"]
    source["tiles"] = [base + url if url.startswith("/") else url for url in source["tiles"]]
    meta = routing.tiles.metadata
    source["minzoom"] = int(meta.get("minzoom", source["minzoom"]))
    source["maxzoom"] = int(meta.get("maxzoom", source["maxzoom"]))
    for faces in spec.get("font-faces", {}).values():
        for face in faces if isinstance(faces, list) else []:
            if face["url"].startswith("/"):
                face["url"] = base + face["url"]
    if "bounds" in meta:
        w, s, e, n = (float(v) for v in meta["bounds"].split(","))
        spec.setdefault("metadata", {})["gongwu:bounds"] = [[w, s], [e, n]]
        source["bounds"] = [w, s, e, n]
        spec["center"] = [(w + e) / 2, (s + n) / 2]
        spec["zoom"] = 14
    return spec
