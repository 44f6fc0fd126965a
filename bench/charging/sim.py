"""A week of the garage in 15-minute steps, the same for every charging policy.

Cars leave on their trips and come back as generated; a trip is served with enough charge when the battery holds
the trip's need (routed energy + 15 % reserve) when it leaves; it then uses its actual energy. A policy decides
which parked car is plugged into which connector and at what power, step by step; the simulator keeps the
books: energy drawn, its cost at the tariff, the site's power in every step, plug-ins (a car moved to a
connector), and the time the policy spent deciding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from gongwu.dispatch.charging import ChargingSite, EvState
from gongwu.dispatch.charging.feasibility import simulate_alone
from gongwu.dispatch.charging.problem import TripDemand
from gongwu.dispatch.charging.scenario import Scenario, ScenarioTrip

STEP = timedelta(minutes=15)


@dataclass
class Car:
    ev: EvState
    soc: float
    away_until: datetime | None = None
    plugged: str | None = None

    @property
    def id(self) -> str:
        return self.ev.vehicle_id


@dataclass
class World:
    """What a policy sees at ``now``: the cars, the connectors, the trips booked so far."""

    scenario: Scenario
    now: datetime
    cars: dict[str, Car]
    booked: list[ScenarioTrip]

    @property
    def site(self) -> ChargingSite:
        return self.scenario.site

    def upcoming(self, vehicle_id: str) -> list[TripDemand]:
        return [t.demand for t in self.booked if t.demand.vehicle_id == vehicle_id and t.demand.departure > self.now]

    def parked(self) -> list[Car]:
        return [c for c in self.cars.values() if c.away_until is None]

    def holder(self, connector_id: str) -> Car | None:
        return next((c for c in self.cars.values() if c.plugged == connector_id), None)


class Policy(Protocol):
    name: str

    def step(self, world: World) -> dict[str, tuple[str, float]]:
        """car id → (connector id, grid kW) for the next step; the simulator plugs cars where told."""
        ...


@dataclass
class Result:
    name: str
    trips: int = 0
    feasible: int = 0
    served: int = 0
    served_feasible: int = 0
    energy_kwh: float = 0.0
    cost: float = 0.0
    peak_kw: float = 0.0
    over_cap_steps: int = 0
    plug_moves: int = 0
    decide_s: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    end_soc_kwh: float = 0.0
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def feasible_trips(scenario: Scenario) -> set[str]:
    """Trips the car could make charging alone at full power whenever parked, knowing everything (no policy can
    serve the others)."""
    sites = {scenario.site.id: scenario.site}
    out = set()
    for ev in scenario.evs:
        mine = [t for t in scenario.trips if t.demand.vehicle_id == ev.vehicle_id]
        actual = [
            TripDemand(
                t.demand.id, ev.vehicle_id, t.demand.departure, t.demand.return_time, t.demand.energy_kwh, t.actual_kwh
            )
            for t in mine
        ]
        for leg in simulate_alone(ev, actual, sites, scenario.start):
            if leg.best_at_departure + 1e-6 >= leg.trip.energy_kwh:
                out.add(leg.trip.id)
    return out


def run(scenario: Scenario, policy: Policy, warmup: timedelta = timedelta(days=1)) -> Result:
    """Carry out the week; nothing is counted during ``warmup`` (the fleet settles from its random start)."""
    result = Result(policy.name)
    counted = scenario.start + warmup
    feasible = feasible_trips(scenario)
    cars = {ev.vehicle_id: Car(ev, ev.soc_kwh) for ev in scenario.evs}
    connectors = {c.id: c for c in scenario.site.connectors}
    pending = sorted(scenario.trips, key=lambda t: t.demand.departure)
    now = scenario.start
    while now < scenario.end:
        for car in cars.values():
            if car.away_until is not None and car.away_until <= now:
                car.away_until = None
        for trip in [t for t in pending if t.demand.departure <= now]:
            pending.remove(trip)
            car = cars[trip.demand.vehicle_id]
            ok = car.away_until is None and car.soc + 1e-6 >= trip.demand.energy_kwh
            car.soc = max(0.0, car.soc - trip.actual_kwh)
            car.away_until, car.plugged = trip.demand.return_time, None
            if now < counted:
                continue
            result.trips += 1
            result.served += ok
            if trip.demand.id in feasible:
                result.feasible += 1
                result.served_feasible += ok
                if not ok:
                    result.failures.append(
                        f"{trip.demand.id} ({trip.kind}) {car.soc:.1f} < {trip.demand.energy_kwh:.1f} kWh "
                        f"at {trip.demand.departure:%a %H:%M} UTC"
                    )
        world = World(scenario, now, cars, [t for t in scenario.trips if t.booked_at <= now])
        before = {cid: car.plugged for cid, car in cars.items()}
        started = time.perf_counter()
        decisions = policy.step(world)
        spent = time.perf_counter() - started
        site_kw = 0.0
        for car_id, (connector_id, kw) in decisions.items():
            car = cars[car_id]
            if car.away_until is not None:
                continue
            if car.plugged != connector_id:
                holder = world.holder(connector_id)
                if holder is not None:
                    holder.plugged = None
                car.plugged = connector_id
            connector = connectors[connector_id]
            room = (car.ev.battery_kwh - car.soc) / connector.efficiency / STEP.total_seconds() * 3600
            kw = max(0.0, min(kw, car.ev.max_kw(connector), room))
            car.soc += kw * connector.efficiency * STEP.total_seconds() / 3600
            site_kw += kw
            if now >= counted:
                result.energy_kwh += kw * STEP.total_seconds() / 3600
                result.cost += kw * STEP.total_seconds() / 3600 * scenario.site.tariff.price_at(now)
        now += STEP
        if now <= counted:
            continue
        result.decide_s.append(spent)
        result.plug_moves += sum(1 for cid, car in cars.items() if car.plugged and car.plugged != before[cid])
        result.load.append(site_kw)
        result.peak_kw = max(result.peak_kw, site_kw)
        result.over_cap_steps += site_kw > scenario.site.cap_kw + 1e-6
    result.end_soc_kwh = sum(c.soc for c in cars.values())
    return result
