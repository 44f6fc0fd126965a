"""A small app with the routing routers, for the API and browser tests (auth stubbed by a principal)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gongwu.app import errors
from gongwu.app.paths import WEB
from gongwu.app.routing_api import create_routing_service, map_router, router
from gongwu.core.http import current_principal
from gongwu.core.identity.principal import Principal


def principal(*permissions: str) -> Principal:
    return Principal(
        user_id=1,
        username="dispatcher",
        full_name="调度员",
        rank="处级",
        unit_id=1,
        unit_path="/1/",
        roles=frozenset({"dispatcher"}),
        permissions=frozenset(permissions),
        wide_sight=True,
    )


def routing_app(data_dir: Path, *permissions: str, static: bool = False) -> FastAPI:
    app = FastAPI()
    errors.install(app)
    app.include_router(router)
    app.include_router(map_router)
    app.state.routing = create_routing_service(data_dir, "Europe/Helsinki")
    who = principal(*permissions)
    app.dependency_overrides[current_principal] = lambda: who
    if static:
        vendor = WEB / "node_modules" / "maplibre-gl" / "dist"
        app.mount("/vendor/maplibre-gl", StaticFiles(directory=vendor), name="maplibre")
        app.mount("/static", StaticFiles(directory=WEB), name="web")
    return app
