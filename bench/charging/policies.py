"""The charging policies compared: Gongwu's planner (rolling re-plan), uncontrolled charging, and acnportal's
earliest-deadline-first and least-laxity-first (the real package's algorithms on its own charging network model).

Uncontrolled and the acnportal algorithms share one front end, as a garage attendant would run it: a car that
comes back is plugged into a free connector (a DC one first, if the car takes DC); if none is free it waits, in
order of return; a car that has what it asked for is unplugged for a waiting one. Uncontrolled then charges at
full power until the battery is full; acnportal's algorithms share the site's power cap among the plugged cars,
each car asking for what its next booked trip needs or 80 % of its battery, whichever is more, by that trip.
"""

from __future__ import annotations

import dataclasses
import warnings
from datetime import timedelta

from sim import STEP, Car, World

from gongwu.dispatch.charging import ChargingPlan, ChargingProblem, plan

TARGET_SOC = 0.8


class Planner:
    """Gongwu: re-plan every ``every`` (and when a booking arrives), carry out the plan in force."""

    name = "Gongwu planner"

    def __init__(self, every: timedelta = timedelta(hours=1), horizon: timedelta = timedelta(hours=36)) -> None:
        self.every, self.horizon = every, horizon
        self.plan: ChargingPlan | None = None
        self.last: object = None
        self.known = 0
        self.plan_s: list[float] = []
        self.kept = 0

    def problem(self, world: World) -> ChargingProblem:
        """The cars as telematics reports them (a car out is back when its trip returns, with the charge it has
        then) and the trips booked so far."""
        evs = [
            dataclasses.replace(
                car.ev,
                soc_kwh=min(car.soc, car.ev.battery_kwh),
                available_from=car.away_until,
                plugged_into=car.plugged,
            )
            for car in world.cars.values()
        ]
        trips = [t for car in world.cars.values() for t in world.upcoming(car.id)]
        return ChargingProblem((world.site,), tuple(evs), tuple(trips), world.now, horizon=self.horizon)

    def step(self, world: World) -> dict[str, tuple[str, float]]:
        booked = len(world.booked)
        due = self.plan is None or world.now >= self.last + self.every or booked != self.known  # type: ignore[operator]
        if due:
            problem = self.problem(world)
            self.plan = plan(problem, previous=self.plan)
            self.plan_s.append(self.plan.stats.wall_s)
            self.kept += self.plan.stats.kept_previous
            self.last, self.known = world.now, booked
        assert self.plan is not None
        out = {}
        for session in self.plan.sessions:
            kw = session.power_at(world.now)
            if kw > 0 and world.cars[session.vehicle_id].away_until is None:
                out[session.vehicle_id] = (session.connector_id, kw)
        return out


class Attendant:
    """The shared front end: who is plugged where, a queue of cars waiting for a connector."""

    def __init__(self) -> None:
        self.queue: list[str] = []

    def wanted(self, world: World, car: Car) -> float:
        """kWh the car still wants in its battery (uncontrolled: until full)."""
        return car.ev.battery_kwh - car.soc

    def arrange(self, world: World) -> None:
        for car in world.parked():
            if car.plugged is None and car.id not in self.queue and self.wanted(world, car) > 0.05:
                self.queue.append(car.id)
        waiting = [world.cars[cid] for cid in self.queue]
        self.queue = [car.id for car in waiting if car.away_until is None and car.plugged is None]
        for cid in list(self.queue):
            car = world.cars[cid]
            connector = self._free(world, car)
            if connector is None:
                continue
            holder = world.holder(connector)
            if holder is not None:
                holder.plugged = None
            car.plugged = connector
            self.queue.remove(cid)

    def _free(self, world: World, car: Car) -> str | None:
        options = sorted(world.site.connectors, key=lambda c: (car.ev.max_kw(c) == 0, c.kind != "dc", c.id))
        for c in options:
            if car.ev.max_kw(c) <= 0:
                continue
            holder = world.holder(c.id)
            if holder is None or self.wanted(world, holder) <= 0.05:
                return c.id
        return None


class Uncontrolled(Attendant):
    name = "uncontrolled"

    def step(self, world: World) -> dict[str, tuple[str, float]]:
        self.arrange(world)
        return {
            car.id: (car.plugged, car.ev.max_kw(world.site.connector(car.plugged)))
            for car in world.parked()
            if car.plugged is not None and self.wanted(world, car) > 0.05
        }


class Acn(Attendant):
    """acnportal's SortedSchedulingAlgo (EDF or LLF) on acnportal's ChargingNetwork of the garage."""

    def __init__(self, which: str) -> None:
        super().__init__()
        from acnportal import acnsim
        from acnportal.algorithms import SortedSchedulingAlgo, earliest_deadline_first, least_laxity_first

        self.acnsim = acnsim
        self.name = f"acnportal {which.upper()}"
        sort = {"edf": earliest_deadline_first, "llf": least_laxity_first}[which]
        self.algorithm = SortedSchedulingAlgo(sort)
        self.network = None
        self.sessions: dict[str, object] = {}
        self.iteration = 0
        self.period = STEP.total_seconds() / 60

    def _build(self, world: World) -> None:
        acnsim = self.acnsim
        network = acnsim.ChargingNetwork(violation_tolerance=1e-4, relative_tolerance=1e-7)
        for c in world.site.connectors:  # at 1000 V one ampere is one kilowatt
            network.register_evse(acnsim.EVSE(c.id, max_rate=c.kw), 1000, 0)
        network.add_constraint(acnsim.Current(list(network.station_ids)), world.site.cap_kw, name="site cap")
        self.network = network
        self.algorithm.register_interface(acnsim.Interface(self))

    # the attributes acnsim.Interface reads from its simulator
    def get_active_evs(self) -> list[object]:
        return list(self.network.active_evs)

    @property
    def max_recompute(self) -> int:
        return 1

    def wanted(self, world: World, car: Car) -> float:
        need = sum(t.energy_kwh for t in world.upcoming(car.id)[:1])
        return max(need, TARGET_SOC * car.ev.battery_kwh) - car.soc

    def step(self, world: World) -> dict[str, tuple[str, float]]:
        if self.network is None:
            self._build(world)
        self.iteration = round((world.now - world.scenario.start) / STEP)
        self.arrange(world)
        for station in self.network.station_ids:
            ev = self.network.get_ev(station)
            holder = world.holder(station)
            stale = ev is not None and ev.departure <= self.iteration + 1  # stayed past its expected departure
            if ev is not None and (stale or holder is None or holder.id != ev.session_id.split("#")[0]):
                self.network.unplug(station, ev.session_id)
        for car in world.parked():
            if car.plugged is None or self.network.get_ev(car.plugged) is not None:
                continue
            self.network.plugin(self._ev(world, car))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            schedule = self.algorithm.run() if self.network.active_evs else {}
        out = {}
        for station, rates in schedule.items():
            ev = self.network.get_ev(station)
            if ev is None or not rates or rates[0] <= 0:
                continue
            car = world.cars[ev.session_id.split("#")[0]]
            kw = float(rates[0])
            ev._energy_delivered += kw * self.period / 60
            out[car.id] = (station, kw)
        return out

    def _ev(self, world: World, car: Car) -> object:
        acnsim = self.acnsim
        upcoming = world.upcoming(car.id)
        departs = upcoming[0].departure if upcoming else world.now + timedelta(hours=24)
        departure = max(self.iteration + 1, round((departs - world.scenario.start) / STEP))
        efficiency = world.site.connector(car.plugged).efficiency
        requested = max(0.0, self.wanted(world, car)) / efficiency
        battery = acnsim.Battery(car.ev.battery_kwh / efficiency, car.soc / efficiency, 1000.0)
        return acnsim.EV(self.iteration, departure, requested, car.plugged, f"{car.id}#{self.iteration}", battery)
