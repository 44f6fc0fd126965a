"""HTTP routes of bookings and approvals: ``/api/bookings``, ``/api/approvals``.

The composition root provides ``app.state.platform`` (db, bus, settings with ``dispatch`` and ``core``) and
``app.state.routing`` (the routing service); these routes read both from the request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.core.errors import DomainError
from gongwu.core.fleet.models import Driver, Vehicle
from gongwu.core.fleet.service import CATEGORIES, UNCOUNTED
from gongwu.core.http import DbSession, require
from gongwu.core.identity.models import OrgUnit, User
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import flows, people, service
from gongwu.dispatch.bookings.estimates import RoutingEstimator, beyond_city, estimate_cost
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.bookings.rules import check_unit_may_use
from gongwu.dispatch.bookings.schemas import (
    ApprovalOut,
    BookingDetail,
    BookingIn,
    BookingOut,
    DecisionIn,
    EstimateIn,
    EstimateOut,
    EventOut,
    LiveOut,
    PlaceIn,
    PlaceOut,
)
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.service import RoutingService
from gongwu.routing.types import LatLon
from gongwu.telematics import service as telematics

__all__ = ["approvals_router", "router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/bookings", tags=["bookings"])
approvals_router = APIRouter(prefix="/api/approvals", tags=["bookings"])


def get_policy(request: Request) -> flows.Policy:
    settings = request.app.state.platform.settings
    dispatch = getattr(settings, "dispatch", None) or DispatchSettings()
    return flows.Policy(dispatch, settings.core.local_timezone)


def get_routing(request: Request) -> RoutingService | None:
    return getattr(request.app.state, "routing", None)


PolicyDep = Annotated[flows.Policy, Depends(get_policy)]
RoutingDep = Annotated[RoutingService | None, Depends(get_routing)]


async def _names(session: AsyncSession, bookings: Sequence[Booking]) -> dict[str, dict[int, Any]]:
    users = {b.requester_id for b in bookings}
    units = {b.unit_id for b in bookings}
    cars = {b.vehicle_id for b in bookings if b.vehicle_id}
    drivers = {b.driver_id for b in bookings if b.driver_id}
    out: dict[str, dict[int, Any]] = {"users": {}, "units": {}, "cars": {}, "drivers": {}}
    if users:
        out["users"] = dict((await session.execute(select(User.id, User.full_name).where(User.id.in_(users)))).all())
    if units:
        out["units"] = dict(
            (await session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(units)))).all()
        )
    if cars:
        out["cars"] = dict((await session.execute(select(Vehicle.id, Vehicle.plate).where(Vehicle.id.in_(cars)))).all())
    if drivers:
        rows = await session.execute(
            select(Driver.id, Driver.name, Driver.phone, Driver.user_id).where(Driver.id.in_(drivers))
        )
        out["drivers"] = {i: (n, p, u) for i, n, p, u in rows}
    return out


def _out(
    b: Booking, names: dict[str, dict[int, Any]], principal: Principal, cls: type[BookingOut] = BookingOut, **extra: Any
) -> Any:
    driver = names["drivers"].get(b.driver_id or 0)
    sees_code = b.requester_id == principal.user_id or (driver is not None and driver[2] == principal.user_id)
    zh, en = STATUSES[b.status]
    return cls.model_validate(
        {
            **{c.key: getattr(b, c.key) for c in Booking.__table__.columns},
            "may_pool": b.may_pool,
            "pending_level": b.pending_level,
            "status_name": {"zh": zh, "en": en},
            "unit_name": names["units"].get(b.unit_id),
            "requester_name": names["users"].get(b.requester_id),
            "plate": names["cars"].get(b.vehicle_id or 0),
            "driver_name": driver[0] if driver else None,
            "driver_phone": driver[1] if driver else None,
            "checkin_code": b.checkin_code if sees_code else None,
            **extra,
        }
    )


async def _outs(session: AsyncSession, bookings: Sequence[Booking], principal: Principal) -> list[BookingOut]:
    names = await _names(session, bookings)
    return [_out(b, names, principal) for b in bookings]


@router.get("/catalog")
async def catalog(
    session: DbSession, policy: PolicyDep, principal: Principal = require("dispatch.booking.read")
) -> dict[str, Any]:
    """Statuses and categories (with the seats of the biggest car, and whether the caller's unit may book
    each), and the rules the booking page shows."""
    _, chain = await service.unit_chain(session, principal.unit_id)
    biggest = dict(
        (
            await session.execute(
                select(Vehicle.category, func.max(Vehicle.seats))
                .where(Vehicle.status.not_in(UNCOUNTED))
                .group_by(Vehicle.category)
            )
        ).all()
    )
    categories = []
    for code, (zh, en) in CATEGORIES.items():
        try:
            await check_unit_may_use(session, policy.settings, chain, code)
            allowed = True
        except DomainError:
            allowed = False
        categories.append(
            {"code": code, "name": {"zh": zh, "en": en}, "allowed": allowed, "max_seats": biggest.get(code, 0)}
        )
    return {
        "statuses": {k: {"zh": zh, "en": en} for k, (zh, en) in STATUSES.items()},
        "categories": categories,
        "max_days_ahead": policy.settings.max_days_ahead,
        "service_minutes": policy.settings.service_minutes,
        "city_area": policy.settings.city_area,
    }


@router.post("/estimate", response_model=EstimateOut)
async def estimate(
    body: EstimateIn, policy: PolicyDep, routing: RoutingDep, _: Principal = require("dispatch.booking.create")
) -> EstimateOut:
    """What the trip would take and cost (before booking it)."""
    pickup, dropoff = LatLon(body.pickup.lat, body.pickup.lon), LatLon(body.dropoff.lat, body.dropoff.lon)
    depart = body.depart_at or utcnow()
    e = await RoutingEstimator(routing).estimate(pickup, dropoff, depart)
    return EstimateOut(
        km=e.km,
        minutes=e.minutes,
        cost=estimate_cost(policy.settings, body.category, e.km),
        approximate=e.approximate,
        beyond_city=beyond_city(policy.settings, pickup, dropoff),
        geometry=e.geometry,
    )


@router.get("/places", response_model=list[PlaceOut])
async def places(session: DbSession, principal: Principal = require("dispatch.booking.read")) -> list[PlaceOut]:
    """The bureau's frequent places (and the caller's units')."""
    return [PlaceOut.model_validate(p) for p in await service.list_places(session, principal)]


@router.post("/places", response_model=PlaceOut, status_code=201)
async def add_place(
    body: PlaceIn, session: DbSession, principal: Principal = require("dispatch.place.manage")
) -> PlaceOut:
    if body.unit_id is not None:
        unit, _ = await service.unit_chain(session, body.unit_id)
        principal.check_unit(unit, writing=True)
    place = await service.create_place(session, **body.model_dump())
    await session.commit()
    return PlaceOut.model_validate(place)


@router.post("", response_model=BookingDetail, status_code=201)
async def create(
    body: BookingIn,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    routing: RoutingDep,
    principal: Principal = require("dispatch.booking.create"),
) -> BookingDetail:
    """Book a car: every rule is checked, the trip routed and costed; the unit's approvers are told."""
    booking = await flows.submit_booking(session, principal, body, policy=policy, estimator=RoutingEstimator(routing))
    await flows.commit(session, request.app.state.platform.bus)
    return await _detail(request, session, policy, routing, principal, booking)


@router.get("", response_model=list[BookingOut])
async def list_(
    session: DbSession,
    policy: PolicyDep,
    status: Annotated[list[str] | None, Query()] = None,
    mine: bool = False,
    unit_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    principal: Principal = require("dispatch.booking.read"),
) -> list[BookingOut]:
    """Bookings in sight: requesters their own, approvers their unit subtree's, bureau roles all."""
    senior = await people.is_senior(session, principal, policy.settings)
    rows = await service.list_bookings(
        session, principal, statuses=status, mine=mine, unit_id=unit_id, limit=limit, senior=senior
    )
    return await _outs(session, rows, principal)


@router.get("/{booking_id}", response_model=BookingDetail)
async def detail(
    booking_id: int,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    routing: RoutingDep,
    principal: Principal = require("dispatch.booking.read"),
) -> BookingDetail:
    """One booking with its timeline, approvals, car and driver, and the car's live position and ETA."""
    senior = await people.is_senior(session, principal, policy.settings)
    booking = await service.get_booking(session, booking_id, principal, senior=senior)
    return await _detail(request, session, policy, routing, principal, booking)


async def _detail(
    request: Request,
    session: AsyncSession,
    policy: flows.Policy,
    routing: RoutingService | None,
    principal: Principal,
    booking: Booking,
) -> BookingDetail:
    names = await _names(session, [booking])
    approvals = await service.approvals_of(session, booking.id)
    approvers = await flows.user_names(session, [a.approver_id for a in approvals])
    try:
        await flows.decidable_level(session, principal, booking, policy.settings)
        can_approve = True
    except DomainError:
        can_approve = False
    result: BookingDetail = _out(
        booking,
        names,
        principal,
        BookingDetail,
        events=[EventOut.model_validate(e) for e in await service.events_of(session, booking.id)],
        approvals=[
            ApprovalOut.model_validate(a).model_copy(update={"approver_name": approvers.get(a.approver_id)})
            for a in approvals
        ],
        live=await _live(request, routing, booking),
        can_cancel=await flows.may_cancel(session, principal, booking),
        can_approve=can_approve,
    )
    return result


async def _live(request: Request, routing: RoutingService | None, booking: Booking) -> LiveOut | None:
    """The assigned car's position and its ETA to the next stop (None when not assigned or not reporting)."""
    if booking.vehicle_id is None or booking.status not in ("assigned", "in_progress"):
        return None
    position = await telematics.live_position(request.app.state.platform.bus, booking.vehicle_id)
    if position is None:
        return None
    riding = booking.status == "in_progress"
    target = (
        LatLon(booking.dropoff_lat, booking.dropoff_lon) if riding else LatLon(booking.pickup_lat, booking.pickup_lon)
    )
    live = LiveOut(
        lat=position[0],
        lon=position[1],
        target="dropoff" if riding else "pickup",
        eta=None,
        eta_minutes=None,
        approximate=True,
    )
    if routing is None:
        return live
    try:
        eta = await asyncio.to_thread(routing.eta, LatLon(*position), target)
    except DomainError:
        return live
    return live.model_copy(
        update={"eta": eta.arrive_at, "eta_minutes": round(eta.duration_s / 60.0, 1), "approximate": eta.approximate}
    )


@router.post("/{booking_id}/approve", response_model=BookingDetail)
async def approve(
    booking_id: int,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    routing: RoutingDep,
    body: DecisionIn | None = None,
    principal: Principal = require("dispatch.booking.approve"),
) -> BookingDetail:
    """Approve (the final approval reserves the estimated cost on the unit's 30231 budget line)."""
    booking = await flows.approve(session, principal, booking_id, policy=policy, reason=body.reason if body else None)
    await flows.commit(session, request.app.state.platform.bus)
    return await _detail(request, session, policy, routing, principal, booking)


@router.post("/{booking_id}/reject", response_model=BookingDetail)
async def reject(
    booking_id: int,
    body: DecisionIn,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    routing: RoutingDep,
    principal: Principal = require("dispatch.booking.approve"),
) -> BookingDetail:
    """Reject, with the reason the requester reads."""
    booking = await flows.reject(session, principal, booking_id, body.reason or "", policy=policy)
    await flows.commit(session, request.app.state.platform.bus)
    return await _detail(request, session, policy, routing, principal, booking)


@router.post("/{booking_id}/cancel", response_model=BookingDetail)
async def cancel(
    booking_id: int,
    request: Request,
    session: DbSession,
    policy: PolicyDep,
    routing: RoutingDep,
    body: DecisionIn | None = None,
    principal: Principal = require("dispatch.booking.cancel"),
) -> BookingDetail:
    """Cancel before the trip starts; a budget reservation is released."""
    booking = await flows.cancel(session, principal, booking_id, policy=policy, reason=body.reason if body else None)
    await flows.commit(session, request.app.state.platform.bus)
    return await _detail(request, session, policy, routing, principal, booking)


@approvals_router.get("/pending", response_model=list[BookingOut])
async def pending(
    session: DbSession, policy: PolicyDep, principal: Principal = require("dispatch.booking.approve")
) -> list[BookingOut]:
    """Bookings waiting for the caller's decision (first approvals of their units; second approvals of
    beyond-city trips for senior approvers), soonest first."""
    return await _outs(session, await flows.pending_approvals(session, principal, policy), principal)
