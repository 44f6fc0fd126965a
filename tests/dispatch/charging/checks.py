"""An independent check of a charging plan: recomputed from its sessions alone, never from the solver's state."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta

from gongwu.dispatch.charging import ChargingPlan, ChargingProblem


def violations(problem: ChargingProblem, plan: ChargingPlan, tol: float = 1e-6) -> list[str]:
    """Every broken rule: a site above its cap in a slot, a connector or a car used twice at once, a car
    charging while away or on a connector it cannot use, a battery above max_soc, a trip reported served
    without the charge for it."""
    found: list[str] = []
    step = timedelta(minutes=plan.slot_minutes)
    slots = [plan.start + i * step for i in range(round((plan.end - plan.start) / step))]
    sites = {s.id: s for s in problem.sites}
    for site in problem.sites:
        for at in slots:
            kw = sum(s.power_at(at) for s in plan.sessions if s.site_id == site.id)
            if kw > site.cap_kw + tol:
                found.append(f"site {site.id} draws {kw:.3f} kW > cap {site.cap_kw} at {at}")
    by_connector = defaultdict(list)
    by_car = defaultdict(list)
    for s in plan.sessions:
        by_connector[s.connector_id].append(s)
        by_car[s.vehicle_id].append(s)
        ev = problem.ev(s.vehicle_id)
        connector = sites[s.site_id].connector(s.connector_id)
        if max(s.profile_kw) > ev.max_kw(connector) + tol or max(s.profile_kw) > connector.kw + tol:
            found.append(f"{s.vehicle_id} draws more than {connector.id} or the car allows")
        for trip in problem.trips_of(s.vehicle_id):
            if s.start < trip.return_time and trip.departure < s.end:
                found.append(f"{s.vehicle_id} charges during trip {trip.id}")
        if ev.available_from and s.start < ev.available_from:
            found.append(f"{s.vehicle_id} charges before it is back")
    for key, items in list(by_connector.items()) + list(by_car.items()):
        items.sort(key=lambda s: s.start)
        for a, b in itertools.pairwise(items):
            if b.start < a.end:
                found.append(f"{key}: sessions overlap at {b.start}")
    for ev in problem.evs:
        found += _battery(problem, plan, ev.vehicle_id, 0.01)
    return found


def _battery(problem: ChargingProblem, plan: ChargingPlan, vehicle_id: str, tol: float) -> list[str]:
    ev = problem.ev(vehicle_id)
    events: list[tuple[datetime, int, float, str]] = []
    for s in plan.sessions_of(vehicle_id):
        efficiency = next(c.efficiency for site in problem.sites for c in site.connectors if c.id == s.connector_id)
        step = (s.end - s.start) / len(s.profile_kw)
        for i, kw in enumerate(s.profile_kw):
            events.append((s.start + (i + 1) * step, 0, kw * efficiency * step.total_seconds() / 3600, ""))
    outcomes = {t.trip_id: t for t in plan.trips}
    for trip in problem.trips_of(vehicle_id):
        if trip.id in outcomes:
            events.append((trip.departure, 1, -trip.uses_kwh, trip.id))
    soc, found = ev.soc_kwh, []
    top = max(ev.battery_kwh * ev.max_soc, ev.soc_kwh) + tol
    for _, _, delta, trip_id in sorted(events):
        if trip_id:
            outcome = outcomes[trip_id]
            need = (
                problem.trips_of(vehicle_id)[[t.id for t in problem.trips_of(vehicle_id)].index(trip_id)]
            ).energy_kwh
            if outcome.ok and soc + 0.011 < need + ev.min_soc * ev.battery_kwh:
                found.append(f"trip {trip_id} reported served with {soc:.2f} kWh < {need:.2f}")
        soc += delta
        if soc > top:
            found.append(f"{vehicle_id} above max_soc: {soc:.2f} kWh")
    return found


def advance(problem: ChargingProblem, plan: ChargingPlan, minutes: int) -> ChargingProblem:
    """The problem ``minutes`` later, the plan carried out meanwhile: charge added, trips that left gone (the car
    back when the trip returns, their energy used), cars left plugged in where a session runs on."""
    import dataclasses

    now = problem.now + timedelta(minutes=minutes)
    efficiency = {c.id: c.efficiency for site in problem.sites for c in site.connectors}
    evs = []
    for ev in problem.evs:
        soc, plugged, back = ev.soc_kwh, None, ev.available_from
        for s in plan.sessions_of(ev.vehicle_id):
            step = (s.end - s.start) / len(s.profile_kw)
            for i, kw in enumerate(s.profile_kw):
                if s.start + (i + 1) * step <= now:
                    soc += kw * efficiency[s.connector_id] * step.total_seconds() / 3600
            if s.start < now < s.end:
                plugged = s.connector_id
        for trip in problem.trips_of(ev.vehicle_id):
            if trip.departure < now:
                soc -= trip.uses_kwh
                back, plugged = trip.return_time, None
        soc = max(0.0, min(soc, ev.battery_kwh))
        evs.append(dataclasses.replace(ev, soc_kwh=soc, plugged_into=plugged, available_from=back))
    trips = tuple(t for t in problem.trips if t.departure >= now)
    return dataclasses.replace(problem, evs=tuple(evs), trips=trips, now=now)
