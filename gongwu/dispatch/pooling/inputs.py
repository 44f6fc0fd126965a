"""Gather what the planner plans from: the bookings to serve, the cars in service with where they are (live
telemetry, else the depot), their seals and charge, the drivers of the car-service centre, the overrides and
the plan in force. Reads only; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.events import EventBus
from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Driver, Vehicle, VehicleSeal
from gongwu.core.identity.models import OrgUnit
from gongwu.dispatch.bookings.models import Booking, FrequentPlace
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.pooling import service
from gongwu.dispatch.pooling.energy import EnergyView, TripNeed, energy_of
from gongwu.dispatch.pooling.problem import Car, DriverInfo, Job, PlanningInput, Rules
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.types import LatLon
from gongwu.telematics import service as telematics

__all__ = ["IN_SERVICE", "Sources", "gather"]

IN_SERVICE = ("available", "in_use")
GROUNDING_ALARMS = frozenset({"collision", "battery", "power_cut", "tamper", "sos"})
"""Open (unacknowledged) alarms that keep a car out of new plans until a person has looked at it."""
LIVE_FRESH_S = 3600.0
"""A live position older than this is not trusted: such a car starts at the depot."""


@dataclass(frozen=True)
class Sources:
    """Everything the planner reads besides the database."""

    pooling: PoolingSettings
    dispatch: DispatchSettings
    charging: ChargingSettings
    bus: EventBus | None


async def gather(session: AsyncSession, sources: Sources, now: datetime) -> PlanningInput:
    cfg = sources.pooling
    horizon = now + timedelta(hours=cfg.horizon_hours)
    bookings = (
        await session.scalars(
            select(Booking)
            .where(
                or_(
                    Booking.status == "in_progress",
                    (Booking.status.in_(("approved", "assigned")))
                    & (Booking.latest_arrival > now)
                    & (Booking.earliest_pickup < horizon),
                )
            )
            .order_by(Booking.earliest_pickup, Booking.id)
        )
    ).all()
    ids = [b.id for b in bookings]
    overrides = {o.booking_id: o for o in await service.active_overrides(session, ids)}
    tasks = await driving.tasks_by_booking(session, ids)
    jobs = []
    for b in bookings:
        o = overrides.get(b.id)
        task = tasks.get(b.id)
        if task is not None and task.step in ("dropped", "finished"):
            continue  # the rider is out; only the driver's odometer entry is missing
        started = task is not None and task.vehicle_id == b.vehicle_id and task.step in ("accepted", "arrived")
        jobs.append(
            Job(
                booking_id=b.id,
                code=b.code,
                passengers=b.passengers,
                min_seats=b.min_seats,
                category=b.category,
                leader=b.leader_trip,
                may_pool=b.may_pool,
                pickup=LatLon(b.pickup_lat, b.pickup_lon),
                dropoff=LatLon(b.dropoff_lat, b.dropoff_lon),
                earliest_pickup=b.earliest_pickup,
                latest_arrival=b.latest_arrival,
                max_ride_minutes=b.max_ride_minutes,
                status=b.status,
                vehicle_id=b.vehicle_id,
                driver_id=b.driver_id,
                planned_pickup_at=b.planned_pickup_at,
                started=started and b.status == "assigned",
                boarded_at=task.boarded_at if task is not None else None,
                pin_vehicle=o.vehicle_id if o is not None and o.kind == "pin" else None,
                pin_driver=o.driver_id if o is not None and o.kind == "pin" else None,
                hold=o is not None and o.kind == "hold",
                estimated_km=b.estimated_km,
            )
        )
    cars = await _cars(session, sources, now, jobs)
    drivers = await _drivers(session, cfg, jobs)
    pairing, sequence = await _in_force(session)
    d = sources.dispatch
    rules = Rules(
        service_s=d.service_minutes * 60.0,
        ride_factor=d.max_ride_factor,
        ride_extra_s=d.max_ride_extra_minutes * 60.0,
        max_route_s=cfg.max_route_hours * 3600.0 if cfg.max_route_hours > 0 else float("inf"),
        stability_m=cfg.stability_m,
        readiness_m=cfg.readiness_m,
    )
    return PlanningInput(now, tuple(jobs), cars, drivers, rules, pairing, sequence)


async def depot_of(session: AsyncSession, cfg: PoolingSettings) -> LatLon | None:
    """Where cars without a live position start: the setting, else the first frequent place (the bureau)."""
    if cfg.depot is not None:
        return LatLon(*cfg.depot)
    place = await session.scalar(
        select(FrequentPlace).where(FrequentPlace.unit_id.is_(None)).order_by(FrequentPlace.sort, FrequentPlace.id)
    )
    return None if place is None else LatLon(place.lat, place.lon)


async def _cars(session: AsyncSession, sources: Sources, now: datetime, jobs: Sequence[Job]) -> tuple[Car, ...]:
    vehicles = [v for v in await fleet.list_vehicles(session, None) if v.status in IN_SERVICE]
    wanted = {(j.category) for j in jobs}
    busy = {j.vehicle_id for j in jobs if j.vehicle_id is not None}
    vehicles = [v for v in vehicles if v.category in wanted or v.id in busy]
    if not vehicles:
        return ()
    alarms = await telematics.open_alarms_by_vehicle(session, [v.id for v in vehicles])
    vehicles = [v for v in vehicles if v.id in busy or not GROUNDING_ALARMS & set(alarms.get(v.id, ()))]
    live: dict[int, LatLon] = {}
    if sources.bus is not None:
        for item in await telematics.live_cars(session, sources.bus, None, offline_after_s=LIVE_FRESH_S):
            if item.get("lat") is not None and item.get("state") != "offline":
                live[int(item["vehicle_id"])] = LatLon(float(item["lat"]), float(item["lon"]))
    depot = await depot_of(session, sources.pooling)
    seals = await _seals(session, vehicles, now)
    needs = [
        TripNeed(j.booking_id, j.earliest_pickup, j.latest_arrival + timedelta(minutes=30), 2 * j.estimated_km + 2.0)
        for j in jobs
    ]
    energy: dict[int, EnergyView] = await energy_of(
        session,
        sources.bus,
        sources.charging,
        now,
        [(v.id, v.energy_type, v.battery_kwh, v.kwh_per_100km) for v in vehicles],
        needs,
    )
    out = []
    for v in vehicles:
        position, source = (live[v.id], "live") if v.id in live else (depot, "depot")
        e = energy.get(v.id)
        out.append(
            Car(
                vehicle_id=v.id,
                plate=v.plate,
                category=v.category,
                seats=v.seats,
                dedicated=v.dedicated,
                position=position,
                source=source,
                sealed=seals.get(v.id, ()),
                range_km=e.range_km if e is not None else None,
                readiness=e.readiness if e is not None else None,
                energy_refused=e.refused if e is not None else frozenset(),
            )
        )
    return tuple(out)


async def _seals(
    session: AsyncSession, vehicles: Sequence[Vehicle], now: datetime
) -> dict[int, tuple[tuple[datetime, datetime], ...]]:
    rows = (await session.scalars(select(VehicleSeal).where(VehicleSeal.ends_at > now))).all()
    if not rows:
        return {}
    paths = dict((await session.execute(select(OrgUnit.id, OrgUnit.path))).all())
    out: dict[int, tuple[tuple[datetime, datetime], ...]] = {}
    for v in vehicles:
        chain = {int(x) for x in str(paths.get(v.unit_id, "")).strip("/").split("/") if x}
        mine = tuple(
            (s.starts_at, s.ends_at)
            for s in rows
            if s.vehicle_id == v.id or (s.unit_id is not None and s.unit_id in chain)
        )
        if mine:
            out[v.id] = mine
    return out


async def _drivers(session: AsyncSession, cfg: PoolingSettings, jobs: Sequence[Job]) -> tuple[DriverInfo, ...]:
    units = (await session.execute(select(OrgUnit.path).where(OrgUnit.code.in_(cfg.driver_units)))).scalars().all()
    query = select(Driver).where(Driver.status == "active").order_by(Driver.id)
    if units:
        query = query.join(OrgUnit, OrgUnit.id == Driver.unit_id).where(
            or_(*(OrgUnit.path.startswith(p) for p in units))
        )
    pool = list((await session.scalars(query)).all())
    serving = {j.driver_id for j in jobs if j.driver_id is not None} - {d.id for d in pool}
    if serving:
        pool += (await session.scalars(select(Driver).where(Driver.id.in_(serving), Driver.status == "active"))).all()
    return tuple(DriverInfo(d.id, d.name) for d in pool)


async def _in_force(session: AsyncSession) -> tuple[dict[int, int], dict[int, int]]:
    """Car → driver and booking → pick-up order of the plan in force."""
    plan = await service.plan_in_force(session)
    if plan is None:
        return {}, {}
    pairing = {r.vehicle_id: r.driver_id for r in await service.routes_of(session, plan.id)}
    sequence = {s.booking_id: s.sequence for s in await service.stops_of(session, plan.id) if s.kind == "pickup"}
    return pairing, sequence
