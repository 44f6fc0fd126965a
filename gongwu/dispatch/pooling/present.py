"""Plans as the dispatcher's page shows them: each car's route with plate, driver and stops (what changes
against the bookings now), the left-out bookings with their reasons, and the bookings concerned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.fleet.models import Driver, Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.pooling import service
from gongwu.dispatch.pooling.models import PLAN_STATUSES, DispatchPlan, Override
from gongwu.dispatch.pooling.problem import REASONS
from gongwu.dispatch.pooling.schemas import (
    BookingBrief,
    Names,
    OverrideOut,
    PlanOut,
    RouteOut,
    StopOut,
    UnservedOut,
)

__all__ = ["override_out", "overrides_out", "plan_out"]


async def _lookup(
    session: AsyncSession, vehicle_ids: set[int], driver_ids: set[int]
) -> tuple[dict[int, Vehicle], dict[int, str]]:
    cars = {}
    if vehicle_ids:
        cars = {v.id: v for v in (await session.scalars(select(Vehicle).where(Vehicle.id.in_(vehicle_ids)))).all()}
    drivers: dict[int, str] = {}
    if driver_ids:
        drivers = dict((await session.execute(select(Driver.id, Driver.name).where(Driver.id.in_(driver_ids)))).all())
    return cars, drivers


async def plan_out(session: AsyncSession, plan: DispatchPlan) -> PlanOut:
    routes = await service.routes_of(session, plan.id)
    stops = await service.stops_of(session, plan.id)
    unserved = await service.unserved_of(session, plan.id)
    ids = sorted({s.booking_id for s in stops} | {u.booking_id for u in unserved})
    rows = {b.id: b for b in (await session.scalars(select(Booking).where(Booking.id.in_(ids)))).all()}
    overrides = {o.booking_id: o for o in await service.active_overrides(session, ids)}
    vehicle_ids = {r.vehicle_id for r in routes} | {b.vehicle_id for b in rows.values() if b.vehicle_id}
    vehicle_ids |= {u.previous_vehicle_id for u in unserved if u.previous_vehicle_id}
    cars, drivers = await _lookup(session, vehicle_ids, {r.driver_id for r in routes})
    units = dict(
        (
            await session.execute(
                select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_({b.unit_id for b in rows.values()}))
            )
        ).all()
    )
    changes: dict[str, list[int]] = {"assign": [], "reassign": [], "unassign": [], "keep": []}
    route_out = []
    for r in routes:
        car = cars[r.vehicle_id]
        mine = []
        for s in (s for s in stops if s.vehicle_id == r.vehicle_id):
            b = rows.get(s.booking_id)
            change = "new"
            if b is not None and b.status == "in_progress":
                change = "aboard"
            elif b is not None and b.vehicle_id == r.vehicle_id and b.driver_id == r.driver_id:
                change = "same"
            elif b is not None and b.vehicle_id is not None:
                change = "moved"
            if s.kind == "pickup" and b is not None and plan.status == "proposed":
                key = {"new": "assign", "moved": "reassign"}.get(change, "keep")
                changes[key].append(b.id)
            mine.append(
                StopOut(
                    sequence=s.sequence,
                    booking_id=s.booking_id,
                    code=b.code if b else str(s.booking_id),
                    kind=s.kind,
                    lat=s.lat,
                    lon=s.lon,
                    address=(b.pickup_address if s.kind == "pickup" else b.dropoff_address) if b else "",
                    arrive_at=s.arrive_at,
                    start_at=s.start_at,
                    load_after=s.load_after,
                    locked=s.locked,
                    change=change,
                )
            )
        route_out.append(
            RouteOut(
                vehicle_id=r.vehicle_id,
                plate=car.plate,
                category=car.category,
                seats=car.seats,
                energy_type=car.energy_type,
                driver_id=r.driver_id,
                driver_name=drivers.get(r.driver_id, ""),
                start=(r.start_lon, r.start_lat),
                start_source=r.start_source,
                depart_at=r.depart_at,
                finish_at=r.finish_at,
                distance_km=r.distance_km,
                readiness=r.readiness,
                stops=mine,
            )
        )
    unserved_out = []
    for u in unserved:
        b = rows.get(u.booking_id)
        zh, en = REASONS.get(u.reason, (u.reason, u.reason))
        if b is not None and b.status == "assigned" and plan.status == "proposed":
            changes["unassign"].append(b.id)
        previous = cars.get(u.previous_vehicle_id or 0)
        unserved_out.append(
            UnservedOut(
                booking_id=u.booking_id,
                code=b.code if b else str(u.booking_id),
                reason=u.reason,
                reason_name=Names(zh=zh, en=en),
                previous_vehicle_id=u.previous_vehicle_id,
                previous_plate=previous.plate if previous else None,
            )
        )
    briefs = [_brief(b, units, cars, overrides.get(b.id)) for b in rows.values()]
    zh, en = PLAN_STATUSES[plan.status]
    return PlanOut(
        id=plan.id,
        status=plan.status,
        status_name=Names(zh=zh, en=en),
        created_at=plan.created_at,
        trigger=plan.trigger,
        accepted_at=plan.accepted_at,
        cost=plan.cost,
        distance_km=plan.distance_km,
        served=plan.served,
        unserved_count=plan.unserved,
        moved=plan.moved,
        verified=plan.verified,
        stats=plan.stats or {},
        routes=route_out,
        unserved=unserved_out,
        bookings=sorted(briefs, key=lambda x: (x.earliest_pickup, x.id)),
        changes=changes,
    )


def _brief(b: Booking, units: dict[int, Any], cars: dict[int, Vehicle], o: Override | None) -> BookingBrief:
    zh, en = STATUSES[b.status]
    car = cars.get(b.vehicle_id or 0)
    return BookingBrief(
        id=b.id,
        code=b.code,
        purpose=b.purpose,
        unit_name=units.get(b.unit_id),
        passengers=b.passengers,
        category=b.category,
        may_pool=b.may_pool,
        status=b.status,
        status_name=Names(zh=zh, en=en),
        pickup_address=b.pickup_address,
        dropoff_address=b.dropoff_address,
        pickup=(b.pickup_lon, b.pickup_lat),
        dropoff=(b.dropoff_lon, b.dropoff_lat),
        earliest_pickup=b.earliest_pickup,
        latest_arrival=b.latest_arrival,
        vehicle_id=b.vehicle_id,
        plate=car.plate if car else None,
        override=None
        if o is None
        else {"id": o.id, "kind": o.kind, "vehicle_id": o.vehicle_id, "driver_id": o.driver_id},
    )


async def overrides_out(session: AsyncSession, overrides: Sequence[Override]) -> list[OverrideOut]:
    cars, drivers = await _lookup(
        session, {o.vehicle_id for o in overrides if o.vehicle_id}, {o.driver_id for o in overrides if o.driver_id}
    )
    codes = dict(
        (
            await session.execute(
                select(Booking.id, Booking.code).where(Booking.id.in_({o.booking_id for o in overrides}))
            )
        ).all()
    )
    return [
        OverrideOut.model_validate(o).model_copy(
            update={
                "plate": cars[o.vehicle_id].plate if o.vehicle_id in cars else None,
                "driver_name": drivers.get(o.driver_id or 0),
                "code": codes.get(o.booking_id),
            }
        )
        for o in overrides
    ]


async def override_out(session: AsyncSession, override: Override) -> OverrideOut:
    return (await overrides_out(session, [override]))[0]
