"""The composition root: ``create_app()`` wires settings, database, bus, routers and pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import gongwu.core.permissions  # noqa: F401  (registers the kernel's permissions)
from gongwu.app import errors, health, observability, routing_api
from gongwu.app.paths import WEB
from gongwu.app.platform import BackgroundTask, Platform
from gongwu.app.routing_api import create_routing_service
from gongwu.app.settings import Settings, load_settings
from gongwu.core import audit_router
from gongwu.core.budget.router import router as budget_router
from gongwu.core.fleet.router import router as fleet_router
from gongwu.core.identity.router import router as identity_router
from gongwu.dispatch import permissions as _dispatch_permissions  # noqa: F401  (registers them)
from gongwu.dispatch.bookings.router import approvals_router
from gongwu.dispatch.bookings.router import router as bookings_router
from gongwu.dispatch.charging import permissions as _charging_permissions  # noqa: F401  (registers them)
from gongwu.dispatch.charging.router import router as charging_router
from gongwu.dispatch.charging.runtime import background_tasks as charging_tasks
from gongwu.dispatch.costs import permissions as _costs_permissions  # noqa: F401  (registers them)
from gongwu.dispatch.costs import runtime as costs_runtime
from gongwu.dispatch.costs.router import router as costs_router
from gongwu.dispatch.driving.router import router as driver_router
from gongwu.dispatch.notify import webhook as dispatch_outbox
from gongwu.dispatch.notify.router import router as notifications_router
from gongwu.dispatch.pooling import runtime as pooling_runtime
from gongwu.dispatch.pooling.router import router as pooling_router
from gongwu.dispatch.supervision import runtime as supervision_runtime
from gongwu.dispatch.supervision.router import router as supervision_router
from gongwu.telematics import permissions as _telematics_permissions  # noqa: F401  (registers them)
from gongwu.telematics import service as telematics_service
from gongwu.telematics.router import router as telematics_router
from gongwu.telematics.runtime import background_tasks as telematics_tasks

__all__ = ["create_app"]

ROUTERS = [
    identity_router,
    budget_router,
    fleet_router,
    audit_router.router,
    telematics_router,
    routing_api.router,
    routing_api.map_router,
    bookings_router,
    approvals_router,
    notifications_router,
    charging_router,
    pooling_router,
    driver_router,
    costs_router,
    supervision_router,
    health.router,
    observability.metrics_router,
]


def create_app(settings: Settings | None = None, *, platform: Platform | None = None, demo: bool = False) -> FastAPI:
    """The ASGI app. Given a ``platform`` the caller owns its life; else the app builds and stops one."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if platform is not None:
            yield
            return
        built = Platform.build(resolved)
        app.state.platform = built
        built.background.extend(_telematics(built.settings, demo, app))
        built.background.extend(dispatch_outbox.background_tasks(built.settings.dispatch))
        built.background.extend(charging_tasks(built.settings.charging, demo=demo))
        built.background.extend(
            pooling_runtime.background_tasks(built.settings.pooling, routing=lambda: app.state.routing)
        )
        built.background.extend(costs_runtime.background_tasks(built.settings.costs))
        built.background.extend(
            supervision_runtime.background_tasks(built.settings.supervision, routing=lambda: app.state.routing)
        )
        await built.start()
        try:
            yield
        finally:
            await built.stop()

    resolved = platform.settings if platform is not None else (settings or load_settings())
    app = FastAPI(
        title="Gongwu 公务",
        summary="Official cars, telematics, dispatch and budgets of an offices-administration bureau",
        version="0.1.0",
        lifespan=lifespan,
        max_body_size=resolved.core.max_body_bytes,  # the uploads raise their own route's ceiling
    )
    if platform is not None:
        app.state.platform = platform
    app.state.gateway_services = []  # the gateways this process runs (their pipeline is in /ready)
    app.add_middleware(observability.RequestMiddleware)
    app.state.routing = create_routing_service(resolved.core.data_dir, resolved.core.local_timezone, resolved.routing)
    app.state.live_position = lambda vehicle_id: telematics_service.live_position(app.state.platform.bus, vehicle_id)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    _mount_pages(app)
    return app


def _telematics(settings: Settings, demo: bool, app: FastAPI) -> list[BackgroundTask]:
    """Gateways, bus consumers and maintenance of telematics (and the demo fleet driving to the gateways)."""
    t = settings.telematics
    tasks: list[BackgroundTask] = list(
        telematics_tasks(
            t,
            timezone=settings.core.local_timezone,
            consumers=t.consumers_enabled,
            on_gateways=app.state.gateway_services.append,
        )
    )
    if demo:
        from gongwu.app.demo import drive_demo_fleet

        tasks.append(drive_demo_fleet)
    return tasks


def _mount_pages(app: FastAPI) -> None:
    vendor = WEB / "node_modules" / "maplibre-gl" / "dist"
    if vendor.is_dir():
        app.mount("/vendor/maplibre-gl", StaticFiles(directory=vendor), name="maplibre")
    app.mount("/static", StaticFiles(directory=WEB), name="web")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(WEB / "index.html")

    @app.get("/app", include_in_schema=False)
    async def shell() -> RedirectResponse:
        return RedirectResponse("/")
