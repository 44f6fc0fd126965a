"""HTTP routes of pooled dispatch: ``/api/dispatch/plans`` (the proposal and the plan in force, run, accept,
route geometry) and ``/api/dispatch/overrides``.

The composition root provides ``app.state.platform`` (db, bus, settings with ``pooling``, ``dispatch``,
``charging``) and ``app.state.routing``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import OrderedDict
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Driver
from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings import service as booking_service
from gongwu.dispatch.charging.flows import REPLAN_TOPIC
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.pooling import flows, present, service
from gongwu.dispatch.pooling import overrides as overrides_flows
from gongwu.dispatch.pooling.inputs import IN_SERVICE, Sources
from gongwu.dispatch.pooling.schemas import (
    AcceptOut,
    CarOption,
    DriverOption,
    OptionsOut,
    OverrideIn,
    OverrideOut,
    PlanOut,
    PlansOut,
    RunOut,
)
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.service import RoutingService
from gongwu.routing.types import LatLon

__all__ = ["router", "sources_of"]

router = APIRouter(prefix="/api/dispatch", tags=["dispatch"])


def sources_of(platform: Any) -> Sources:
    """The planner's settings and bus from the running platform."""
    settings = platform.settings
    pooling = getattr(settings, "pooling", None)
    dispatch = getattr(settings, "dispatch", None)
    charging = getattr(settings, "charging", None)
    return Sources(
        pooling if isinstance(pooling, PoolingSettings) else PoolingSettings(),
        dispatch if isinstance(dispatch, DispatchSettings) else DispatchSettings(),
        charging if isinstance(charging, ChargingSettings) else ChargingSettings(),
        platform.bus,
    )


def _sources(request: Request) -> Sources:
    return sources_of(request.app.state.platform)


def _policy(request: Request) -> bookings.Policy:
    settings = request.app.state.platform.settings
    return bookings.Policy(_sources(request).dispatch, settings.core.local_timezone)


def _routing(request: Request) -> RoutingService | None:
    return getattr(request.app.state, "routing", None)


SourcesDep = Annotated[Sources, Depends(_sources)]
PolicyDep = Annotated[bookings.Policy, Depends(_policy)]
RoutingDep = Annotated[RoutingService | None, Depends(_routing)]


async def announce_change(platform: Any, reason: str) -> None:
    """Assignments changed: charging re-plans (best effort; the bookings' own events are already out)."""
    with contextlib.suppress(Exception):  # the bus being down must not fail an accepted plan
        await platform.bus.publish(REPLAN_TOPIC, {"reason": reason})


@router.get("/plans", response_model=PlansOut)
async def plans(session: DbSession, _: Principal = require("dispatch.plan.read")) -> PlansOut:
    """The latest proposal (if any is waiting), the plan in force, and the active overrides."""
    proposal = await service.latest_proposal(session)
    in_force = await service.plan_in_force(session)
    return PlansOut(
        proposal=await present.plan_out(session, proposal) if proposal else None,
        in_force=await present.plan_out(session, in_force) if in_force else None,
        overrides=await present.overrides_out(session, await service.active_overrides(session)),
    )


@router.get("/plans/{plan_id}", response_model=PlanOut)
async def plan(plan_id: int, session: DbSession, _: Principal = require("dispatch.plan.read")) -> PlanOut:
    return await present.plan_out(session, await service.get_plan(session, plan_id))


@router.post("/plans/run", response_model=RunOut)
async def run(
    request: Request,
    session: DbSession,
    sources: SourcesDep,
    routing: RoutingDep,
    policy: PolicyDep,
    principal: Principal = require("dispatch.plan.manage"),
) -> RunOut:
    """Plan now (on demand); answers the new proposal, or the same plan when nothing would change."""
    outcome = await flows.run_plan(session, sources, routing, trigger="demand", actor=principal)
    if outcome.plan is not None and not outcome.unchanged and sources.pooling.auto_accept:
        await flows.accept(session, outcome.plan.id, policy=policy, actor=principal)
        await bookings.commit(session, request.app.state.platform.bus)
        await announce_change(request.app.state.platform, "plan accepted")
    else:
        await session.commit()
    return RunOut(
        plan=await present.plan_out(session, outcome.plan) if outcome.plan else None, unchanged=outcome.unchanged
    )


@router.post("/plans/{plan_id}/accept", response_model=AcceptOut)
async def accept(
    plan_id: int,
    request: Request,
    session: DbSession,
    sources: SourcesDep,
    policy: PolicyDep,
    principal: Principal = require("dispatch.plan.manage"),
) -> AcceptOut:
    """Put the proposal in force: bookings are assigned, re-assigned or taken back; riders and drivers told."""
    retime = timedelta(minutes=sources.pooling.retime_minutes)
    done = await flows.accept(session, plan_id, policy=policy, actor=principal, retime=retime)
    await bookings.commit(session, request.app.state.platform.bus)
    await announce_change(request.app.state.platform, "plan accepted")
    return AcceptOut(
        plan=await present.plan_out(session, await service.get_plan(session, plan_id)),
        assigned=done.assigned,
        reassigned=done.reassigned,
        unassigned=done.unassigned,
        kept=done.kept,
    )


_GEOMETRY: OrderedDict[str, dict[str, Any]] = OrderedDict()
"""Drawn routes of recent plans (a plan never changes once stored)."""


@router.get("/plans/{plan_id}/geometry")
async def geometry(
    plan_id: int, session: DbSession, routing: RoutingDep, _: Principal = require("dispatch.plan.read")
) -> dict[str, Any]:
    """GeoJSON of the plan's routes on the roads: one LineString per car (``vehicle_id``, ``plate``)."""
    found = await service.get_plan(session, plan_id)
    key = f"{found.id}:{found.signature}:{found.created_at.isoformat()}"
    if key in _GEOMETRY:
        return _GEOMETRY[key]
    out = await present.plan_out(session, found)
    legs = [
        (r.vehicle_id, r.plate, [LatLon(r.start[1], r.start[0])] + [LatLon(s.lat, s.lon) for s in r.stops])
        for r in out.routes
    ]

    def draw() -> dict[str, Any]:
        features = []
        for vid, plate, points in legs:
            line: list[tuple[float, float]] = []
            for a, b in itertools.pairwise(points):
                try:
                    part = routing.route(a, b).geometry if routing is not None else [(a.lon, a.lat), (b.lon, b.lat)]
                except Exception:
                    part = [(a.lon, a.lat), (b.lon, b.lat)]
                line.extend(part if not line else part[1:])
            if len(line) >= 2:
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "LineString", "coordinates": line},
                        "properties": {"vehicle_id": vid, "plate": plate},
                    }
                )
        return {"type": "FeatureCollection", "features": features}

    result = await asyncio.to_thread(draw)
    _GEOMETRY[key] = result
    while len(_GEOMETRY) > 32:
        _GEOMETRY.popitem(last=False)
    return result


# -- overrides --------------------------------------------------------------------------------------------


@router.get("/overrides", response_model=list[OverrideOut])
async def overrides(session: DbSession, _: Principal = require("dispatch.plan.read")) -> list[OverrideOut]:
    return await present.overrides_out(session, await service.active_overrides(session))


@router.post("/overrides", response_model=OverrideOut, status_code=201)
async def create_override(
    body: OverrideIn,
    session: DbSession,
    sources: SourcesDep,
    routing: RoutingDep,
    principal: Principal = require("dispatch.plan.manage"),
) -> OverrideOut:
    """Pin a booking to a car (and driver) or hold it; every later plan respects it. With ``replan`` (default)
    the planner runs at once and the answer carries the new proposal."""
    override = await overrides_flows.create_override(
        session,
        principal,
        body.booking_id,
        kind=body.kind,
        vehicle_id=body.vehicle_id,
        driver_id=body.driver_id,
        note=body.note,
    )
    await session.commit()
    out = await present.override_out(session, override)
    if body.replan:
        outcome = await flows.run_plan(session, sources, routing, trigger="override", actor=principal)
        await session.commit()
        if outcome.plan is not None:
            out = out.model_copy(update={"plan": await present.plan_out(session, outcome.plan)})
    return out


@router.delete("/overrides/{override_id}", response_model=OverrideOut)
async def remove_override(
    override_id: int, session: DbSession, principal: Principal = require("dispatch.plan.manage")
) -> OverrideOut:
    override = await overrides_flows.remove_override(session, principal, override_id)
    await session.commit()
    return await present.override_out(session, override)


@router.get("/options/{booking_id}", response_model=OptionsOut)
async def options(booking_id: int, session: DbSession, _: Principal = require("dispatch.plan.read")) -> OptionsOut:
    """Cars in service of the booking's category (``fits``: seats and leader's cars allow it) and the active
    drivers — what the dispatcher picks from when pinning by hand."""
    booking = await booking_service.get_booking(session, booking_id)
    cars = [v for v in await fleet.list_vehicles(session, None, category=booking.category) if v.status in IN_SERVICE]
    drivers = (await session.scalars(select(Driver).where(Driver.status == "active").order_by(Driver.name))).all()
    return OptionsOut(
        cars=[
            CarOption(
                vehicle_id=v.id,
                plate=v.plate,
                category=v.category,
                seats=v.seats,
                energy_type=v.energy_type,
                fits=v.seats >= booking.min_seats and (not v.dedicated or booking.leader_trip),
            )
            for v in cars
        ],
        drivers=[DriverOption(driver_id=d.id, name=d.name) for d in drivers],
    )
