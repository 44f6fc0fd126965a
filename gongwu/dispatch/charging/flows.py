"""Charging use cases across services: gather the planner's inputs (sites, cars, SOC, assigned trips), re-plan
in a worker thread, keep the plan in force per site, and show it (the dispatcher's timeline, the drivers'
"charge car X at connector Y from 22:00")."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.core.events import EventBus
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.charging import service
from gongwu.dispatch.charging.plan import ChargingPlan, Session
from gongwu.dispatch.charging.problem import ChargingProblem, EvState, TripDemand
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.charging.solver import plan as solve
from gongwu.dispatch.charging.sources import LatestSoc, SocSource, TripSource, trip_source

__all__ = ["REPLAN_TOPIC", "Inputs", "build_problem", "instructions", "replan", "timeline"]

REPLAN_TOPIC = "charging.replan"
"""Publish ``{"reason": …}`` here (dispatch: when a booking or an assignment changes) to have charging re-planned."""
ASSUMED_SOC_PCT = 30.0
"""What the planner assumes of a car whose charge nobody reported (recently): enough to be careful."""


@dataclass
class Inputs:
    """A problem and how its ids map back: car id → (vehicle id, plate), connector id → database row."""

    problem: ChargingProblem
    plates: dict[str, str] = field(default_factory=dict)
    connectors: dict[str, tuple[int, str]] = field(default_factory=dict)
    soc_sources: dict[str, str] = field(default_factory=dict)
    site_names: dict[str, str] = field(default_factory=dict)


async def build_problem(
    session: AsyncSession,
    settings: ChargingSettings,
    *,
    now: datetime | None = None,
    trips: TripSource | None = None,
    soc: SocSource | None = None,
    previous: ChargingPlan | None = None,
) -> Inputs:
    """Every site, every new-energy car with a home site, its latest SOC and its assigned trips."""
    now = now or utcnow()
    sites = [s for s in await service.list_sites(session, None)]
    values = [await service.site_value(session, s) for s in sites]
    inputs = Inputs(ChargingProblem((), (), (), now))
    for site, value in zip(sites, values, strict=True):
        inputs.site_names[value.id] = site.name
        for c in value.connectors:
            inputs.connectors[c.id] = (site.id, c.label)
    cars = [v for v in await fleet.list_vehicles(session, None) if v.energy_type != "fuel" and v.status != "retired"]
    profiles = await service.profiles_of(session, [c.id for c in cars])
    cars = [c for c in cars if c.id in profiles and profiles[c.id].home_site_id is not None and c.battery_kwh]
    readings = await (soc or LatestSoc(None)).latest(session, [c.id for c in cars])
    horizon = timedelta(hours=settings.horizon_hours)
    assigned = await (trips or trip_source()).upcoming(session, now - timedelta(hours=24), now + horizon)
    evs, demands = [], []
    stale = timedelta(minutes=settings.soc_stale_minutes)
    for car in cars:
        profile = profiles[car.id]
        reading = readings.get(car.id)
        fresh = reading is not None and now - reading.at <= stale
        pct = reading.soc_pct if fresh and reading is not None else ASSUMED_SOC_PCT
        inputs.soc_sources[str(car.id)] = reading.source if fresh and reading is not None else "assumed"
        per_km = (car.kwh_per_100km or 15.0) / 100
        mine = sorted((t for t in assigned if t.vehicle_id == car.id), key=lambda t: t.departure)
        out = next((t for t in mine if t.departure <= now < t.return_time), None)
        battery = float(car.battery_kwh or 0)
        soc_kwh = battery * pct / 100
        if out is not None:  # on the road: back when the trip returns, with what the rest of it leaves
            left = (out.return_time - now) / max(out.return_time - out.departure, timedelta(minutes=1))
            soc_kwh = max(0.0, soc_kwh - left * _energy(out, per_km, 0.0))
        plugged = previous.next_session(str(car.id), now) if previous is not None else None
        evs.append(
            EvState(
                vehicle_id=str(car.id),
                battery_kwh=battery,
                kwh_per_km=per_km,
                soc_kwh=min(soc_kwh, battery),
                site_id=str(profile.home_site_id),
                available_from=out.return_time if out is not None else None,
                max_ac_kw=profile.max_ac_kw,
                max_dc_kw=profile.max_dc_kw,
                plugged_into=plugged.connector_id if plugged is not None and plugged.start <= now else None,
                label=car.plate,
                min_soc=profile.min_soc_pct / 100,
                max_soc=profile.max_soc_pct / 100,
            )
        )
        inputs.plates[str(car.id)] = car.plate
        for t in mine:
            if t.departure <= now:
                continue
            energy = _energy(t, per_km, settings.trip_reserve)
            if car.energy_type == "phev":  # fuel behind the battery: charge is welcome (live SOC), never required
                energy = 0.0
            returns = str(t.returns_to_site_id) if t.returns_to_site_id is not None else None
            demands.append(
                TripDemand(t.trip_id, str(car.id), t.departure, t.return_time, energy, None, returns, t.label)
            )
    inputs.problem = ChargingProblem(
        tuple(values),
        tuple(evs),
        tuple(demands),
        now,
        horizon=horizon,
        slot_minutes=settings.slot_minutes,
        plug_move_cost=settings.plug_move_cost,
        target_soc=settings.target_soc_pct / 100,
    )
    return inputs


def _energy(trip: Any, per_km: float, reserve: float) -> float:
    if trip.energy_kwh is not None:
        return float(trip.energy_kwh)
    return float(trip.distance_km or 0.0) * per_km * (1 + reserve)


# -- the plan in force, as JSON ----------------------------------------------------------------------------


def _session_json(s: Session, inputs: Inputs) -> dict[str, Any]:
    site_id, label = inputs.connectors.get(s.connector_id, (int(s.site_id), s.connector_id))
    return {
        "vehicle_id": int(s.vehicle_id),
        "plate": inputs.plates.get(s.vehicle_id, s.vehicle_id),
        "site_id": site_id,
        "connector_id": int(s.connector_id),
        "connector": label,
        "start": s.start.isoformat(),
        "end": s.end.isoformat(),
        "kwh": s.kwh,
        "grid_kwh": s.grid_kwh,
        "cost": s.cost,
        "profile_kw": list(s.profile_kw),
        "continues": s.continues,
    }


def plan_json(result: ChargingPlan, inputs: Inputs, site_key: str) -> dict[str, Any]:
    """The part of ``result`` at one site (sessions, load, the trips of its cars), with everything needed to
    draw it and to hand it back to the planner as ``previous``."""
    sessions = [s for s in result.sessions if s.site_id == site_key]
    load = next(x for x in result.loads if x.site_id == site_key)
    cars = {s.vehicle_id for s in sessions} | {ev.vehicle_id for ev in inputs.problem.evs if ev.site_id == site_key}
    return {
        "start": result.start.isoformat(),
        "end": result.end.isoformat(),
        "slot_minutes": result.slot_minutes,
        "sessions": [_session_json(s, inputs) for s in sessions],
        "load_kw": list(load.kw),
        "cap_kw": load.cap_kw,
        "peak_kw": load.peak_kw,
        "cost": round(sum(s.cost for s in sessions), 2),
        "plug_moves": sum(1 for s in sessions if not s.continues),
        "trips": [
            {
                "trip_id": t.trip_id,
                "vehicle_id": int(t.vehicle_id),
                "plate": inputs.plates.get(t.vehicle_id, t.vehicle_id),
                "departure": t.departure.isoformat(),
                "needed_kwh": round(t.needed_kwh, 2),
                "planned_kwh": round(t.planned_kwh, 2),
                "ok": t.ok,
                "reason": t.reason,
                "message": t.message,
            }
            for t in result.trips
            if t.vehicle_id in cars
        ],
        "soc_sources": {k: v for k, v in inputs.soc_sources.items() if k in cars},
        "stats": dataclasses.asdict(result.stats),
        "plugs": sorted(
            [v, c, at.isoformat()]
            for v, c, at in result.plugs
            if inputs.connectors.get(c, (None,))[0] is not None and str(inputs.connectors[c][0]) == site_key
        ),
    }


def previous_plan(bodies: Sequence[dict[str, Any]]) -> ChargingPlan | None:
    """The plans in force of every site, merged into one the planner can keep."""
    if not bodies:
        return None
    sessions = []
    plugs = set()
    for body in bodies:
        for s in body["sessions"]:
            sessions.append(
                Session(
                    str(s["vehicle_id"]),
                    str(s["site_id"]),
                    str(s["connector_id"]),
                    datetime.fromisoformat(s["start"]),
                    datetime.fromisoformat(s["end"]),
                    s["kwh"],
                    s["grid_kwh"],
                    s["cost"],
                    tuple(s["profile_kw"]),
                    s["continues"],
                )
            )
        plugs |= {(v, c, datetime.fromisoformat(at)) for v, c, at in body["plugs"]}
    return ChargingPlan(
        start=min(datetime.fromisoformat(b["start"]) for b in bodies),
        end=min(datetime.fromisoformat(b["end"]) for b in bodies),
        slot_minutes=bodies[0]["slot_minutes"],
        sessions=tuple(sessions),
        trips=(),
        loads=(),
        plugs=frozenset(plugs),
    )


async def replan(
    session: AsyncSession,
    settings: ChargingSettings,
    *,
    bus: EventBus | None = None,
    trigger: str = "timer",
    now: datetime | None = None,
    trips: TripSource | None = None,
) -> ChargingPlan | None:
    """Plan every site together (cars may return to another site) in a worker thread; keep the plan in force
    unless the new one gains enough; store one record per site and commit. None when there is no site.

    The inputs are read, the transaction ended (SQLite has one writer: nothing is held while the solver runs),
    the plan is solved in a thread, and written in a new transaction."""
    sites = [s.id for s in await service.list_sites(session, None)]
    if not sites:
        return None
    bodies = [r.body for sid in sites if (r := await service.latest_plan(session, sid)) is not None]
    previous = previous_plan(bodies)
    inputs = await build_problem(session, settings, now=now, trips=trips, soc=LatestSoc(bus), previous=previous)
    await session.rollback()
    result = await asyncio.to_thread(solve, inputs.problem, settings.time_limit_s, previous)
    for site_id in sites:
        body = plan_json(result, inputs, str(site_id))
        await service.save_plan(
            session,
            site_id,
            starts_at=result.start,
            ends_at=result.end,
            trigger=trigger,
            cost=body["cost"],
            peak_kw=body["peak_kw"],
            unserved=sum(1 for t in body["trips"] if not t["ok"]),
            body=body,
        )
    await session.commit()
    return result


async def timeline(session: AsyncSession, principal: Principal, site_id: int) -> dict[str, Any]:
    """The dispatcher's view of a site: connectors, cap, tariff bands, the plan in force (empty if none yet)."""
    site = await service.get_site(session, principal, site_id)
    connectors = await service.connectors_of(session, [site.id])
    tariff = await service.get_tariff(session, site.tariff_id)
    bands = await service.bands_of(session, tariff.id)
    record = await service.latest_plan(session, site.id)
    return {
        "site": {"id": site.id, "code": site.code, "name": site.name, "cap_kw": site.cap_kw},
        "connectors": [
            {"id": c.id, "code": c.code, "label": c.label, "kind": c.kind, "kw": c.kw, "active": c.active}
            for c in connectors
        ],
        "tariff": {
            "name": tariff.name,
            "timezone": tariff.timezone,
            "bands": [{"kind": b.kind, "start": b.start, "end": b.end, "price": b.price} for b in bands],
        },
        "planned_at": record.created_at.isoformat() if record else None,
        "trigger": record.trigger if record else None,
        "plan": record.body if record else None,
    }


async def instructions(
    session: AsyncSession, principal: Principal, *, vehicle_id: int | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """ "Charge car X at connector Y from 22:00": the upcoming sessions of the cars in sight, soonest first."""
    now = now or utcnow()
    visible = {v.id for v in await fleet.list_vehicles(session, principal)}
    sites = {s.id: s for s in await service.list_sites(session, None)}
    out = []
    for site in sites.values():
        record = await service.latest_plan(session, site.id)
        if record is None:
            continue
        for s in record.body["sessions"]:
            if s["vehicle_id"] not in visible or (vehicle_id is not None and s["vehicle_id"] != vehicle_id):
                continue
            if datetime.fromisoformat(s["end"]) <= now:
                continue
            out.append(
                {
                    "vehicle_id": s["vehicle_id"],
                    "plate": s["plate"],
                    "site_id": site.id,
                    "site": site.name,
                    "connector_id": s["connector_id"],
                    "connector": s["connector"],
                    "start": s["start"],
                    "end": s["end"],
                    "kwh": s["kwh"],
                    "now": datetime.fromisoformat(s["start"]) <= now,
                }
            )
    return sorted(out, key=lambda x: (x["start"], x["plate"]))
