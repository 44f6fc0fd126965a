"""Bookings, cars and drivers → the dial-a-ride :class:`~gongwu.routing.vrp.Problem`, and its solution back.

Pure: no database, no clock, no routing engine — :mod:`.inputs` gathers the :class:`PlanningInput` and the
travel matrix, :mod:`.flows` runs the solver. What is decided here:

* **Who may carry whom.** A car carries a booking when its category matches, it has the seats (the driver's
  included), it is not a leader's dedicated car (定向化保障) for an ordinary trip, it is not sealed (封存) during
  the trip's window, and — for an electric car — charging says it can make the trip (``can_serve``). The
  allowed cars of each booking reach the optimizer as per-car compatibility tags (``Request.categories``).
* **Fixed legs.** A rider aboard (``in_progress``) stays on the car with only the drop-off planned; a leg the
  driver has accepted (or reached the pick-up of) stays on its car with its windows relaxed (it is served even
  when late). An override pins a booking to a car (``locked_vehicle``) or keeps it out (``hold``).
* **Which cars are driven.** Each planned car needs a driver: cars keep the driver of their started legs, pins
  and current assignments; the remaining drivers are paired, in time order of the open bookings, with the car
  that reaches each booking first among those it may take (a greedy pass over the matrix), and drivers still
  free then take the cars that could serve the most bookings (more choice for the search).
* **Stability.** The current assignments are the ``previous`` solution; moving a booking to another car costs
  ``stability_m`` metres. Readiness of electric cars is a fixed cost on leaving their start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from gongwu.routing.types import LatLon
from gongwu.routing.vrp import INF, Matrix, Problem, Request, Route, Solution, TimeWindow, Vehicle, Visit

__all__ = [
    "REASONS",
    "Built",
    "Car",
    "DriverInfo",
    "Job",
    "PlanningInput",
    "Rules",
    "build",
    "points_of",
]

UNREACHABLE = 1e7
"""Seconds and metres put in the matrix where the engine has no route (the optimizer never uses such an arc)."""

REASONS: dict[str, tuple[str, str]] = {
    "held": ("调度员保留不派", "kept unassigned by a dispatcher"),
    "no_vehicle": (
        "没有符合类别、座位、封存和电量要求的车辆",
        "no car of the category, seats, seal and charge it needs",
    ),
    "no_driver": ("没有空闲驾驶员驾驶可用车辆", "no driver is free to drive a car that could take it"),
    "too_late": ("时间窗已无法赶上", "its window can no longer be met"),
    "infeasible": ("任何可用车辆都无法在时间窗和乘车时长内完成", "no car can serve it within its window and ride time"),
    "no_room": ("可用车辆在该时段均已满载", "every car that could take it is busy then"),
    "pinned_infeasible": ("指定车辆无法完成该行程", "the car it is pinned to cannot serve it"),
}
"""Why a booking is left out: code → (Chinese, English)."""


@dataclass(frozen=True, slots=True)
class Job:
    """A booking as the planner sees it (approved, assigned or with a rider aboard)."""

    booking_id: int
    code: str
    passengers: int
    min_seats: int
    category: str
    leader: bool
    may_pool: bool
    pickup: LatLon
    dropoff: LatLon
    earliest_pickup: datetime
    latest_arrival: datetime
    max_ride_minutes: float
    status: str
    vehicle_id: int | None = None
    driver_id: int | None = None
    planned_pickup_at: datetime | None = None
    started: bool = False
    """The driver accepted it or reached the pick-up: it stays on its car, served even when late."""
    boarded_at: datetime | None = None
    pin_vehicle: int | None = None
    pin_driver: int | None = None
    hold: bool = False
    estimated_km: float = 0.0

    @property
    def aboard(self) -> bool:
        return self.status == "in_progress"

    @property
    def fixed_vehicle(self) -> int | None:
        """The car the booking must stay on: its own when aboard or started, else a pin."""
        if (self.aboard or self.started) and self.vehicle_id is not None:
            return self.vehicle_id
        return self.pin_vehicle


@dataclass(frozen=True, slots=True)
class Car:
    """A car in service with where it is and, for electric cars, what charging says."""

    vehicle_id: int
    plate: str
    category: str
    seats: int
    dedicated: bool = False
    position: LatLon | None = None
    source: str = "live"
    sealed: tuple[tuple[datetime, datetime], ...] = ()
    range_km: float | None = None
    readiness: float | None = None
    energy_refused: frozenset[int] = frozenset()
    """Bookings charging says this car cannot make, even charging whenever parked."""

    def sealed_during(self, start: datetime, end: datetime) -> bool:
        return any(a < end and b > start for a, b in self.sealed)


@dataclass(frozen=True, slots=True)
class DriverInfo:
    driver_id: int
    name: str


@dataclass(frozen=True, slots=True)
class Rules:
    """The planner's settings as plain numbers (seconds and metres)."""

    service_s: float = 120.0
    ride_factor: float = 1.5
    ride_extra_s: float = 300.0
    max_route_s: float = INF
    stability_m: float = 2000.0
    readiness_m: float = 3000.0


@dataclass(frozen=True)
class PlanningInput:
    now: datetime
    jobs: tuple[Job, ...]
    cars: tuple[Car, ...]
    drivers: tuple[DriverInfo, ...]
    rules: Rules = field(default_factory=Rules)
    pairing: dict[int, int] = field(default_factory=dict)
    """Car → driver of the plan in force (kept when both are still free)."""
    sequence: dict[int, int] = field(default_factory=dict)
    """Booking → its pick-up's position in the plan in force (the order the solver starts from)."""


def points_of(inp: PlanningInput) -> list[LatLon]:
    """The matrix places: every placed car's start, then each job's pick-up and drop-off."""
    cars = [c.position for c in inp.cars if c.position is not None]
    jobs = [p for j in inp.jobs for p in (j.pickup, j.dropoff)]
    return cars + jobs


@dataclass
class Built:
    """The problem with the maps back to bookings, cars and drivers."""

    problem: Problem
    previous: Solution | None
    jobs: dict[str, Job]
    cars: dict[str, Car]
    drivers: dict[str, int]
    places: list[LatLon]
    real_distances: npt.NDArray[np.float64]
    left_out: dict[int, str]
    """Bookings not given to the optimizer: id → reason code."""
    t0: datetime


def _compatible(job: Job, car: Car) -> bool:
    if job.category != car.category or car.seats < job.min_seats:
        return False
    if car.dedicated and not job.leader:
        return False
    if car.sealed_during(job.earliest_pickup, job.latest_arrival):
        return False
    return job.booking_id not in car.energy_refused


def build(inp: PlanningInput, durations: npt.NDArray[np.float64], distances: npt.NDArray[np.float64]) -> Built:
    """The vrp problem for ``inp``; ``durations``/``distances`` are the matrix over :func:`points_of`."""
    placed = [c for c in inp.cars if c.position is not None]
    car_index = {c.vehicle_id: k for k, c in enumerate(placed)}
    by_id = {c.vehicle_id: c for c in placed}
    n_cars = len(placed)
    dur = np.where(np.isfinite(durations), durations, UNREACHABLE).astype(np.float64)
    dist = np.where(np.isfinite(distances), distances, UNREACHABLE).astype(np.float64)
    left_out: dict[int, str] = {}
    allowed: dict[int, list[int]] = {}
    jobs: list[tuple[int, Job]] = []
    for k, job in enumerate(inp.jobs):
        if job.hold and not (job.aboard or job.started):
            left_out[job.booking_id] = "held"
            continue
        fixed = job.fixed_vehicle
        if (job.aboard or job.started) and fixed is not None:
            cars = [fixed] if fixed in by_id else []
        else:
            cars = [c.vehicle_id for c in placed if _compatible(job, c) and fixed in (None, c.vehicle_id)]
        if not cars:
            left_out[job.booking_id] = "pinned_infeasible" if fixed is not None else "no_vehicle"
            continue
        allowed[job.booking_id] = cars
        jobs.append((k, job))
    pairs = _pair(inp, jobs, allowed, by_id, car_index, n_cars, dur)
    requests: list[Request] = []
    kept: dict[str, Job] = {}
    t0 = inp.now
    for k, job in jobs:
        tags = frozenset(f"v{v}" for v in allowed[job.booking_id] if v in pairs)
        if not tags:
            left_out[job.booking_id] = "no_driver"
            continue
        p, d = n_cars + 2 * k, n_cars + 2 * k + 1
        request = _request(job, p, d, float(dur[p, d]), inp.rules, t0, tags)
        if request is None:
            left_out[job.booking_id] = "too_late"
            continue
        requests.append(request)
        kept[request.id] = job
    vehicles, cars_out, drivers_out = [], {}, {}
    rows = dist.copy()
    for vid, did in sorted(pairs.items()):
        car = by_id[vid]
        start = car_index[vid]
        extra = 0.0
        if car.readiness is not None and inp.rules.readiness_m > 0:
            extra = inp.rules.readiness_m * (1.0 - max(0.0, min(1.0, car.readiness)))
            rows[start, :] += extra
            rows[start, start] = 0.0
        vehicles.append(
            Vehicle(
                id=f"v{vid}",
                start=start,
                capacity=max(0, car.seats - 1),
                max_duration=inp.rules.max_route_s,
                category=f"v{vid}",
                max_distance=None if car.range_km is None else car.range_km * 1000.0 + extra,
            )
        )
        cars_out[f"v{vid}"] = car
        drivers_out[f"v{vid}"] = did
    problem = Problem(tuple(requests), tuple(vehicles), Matrix.of(dur, rows))
    places = [c.position for c in placed if c.position is not None]
    places += [p for j in inp.jobs for p in (j.pickup, j.dropoff)]
    previous = _previous(inp, problem, kept)
    return Built(problem, previous, kept, cars_out, drivers_out, places, dist, left_out, t0)


def _seconds(when: datetime, t0: datetime) -> float:
    return (when - t0).total_seconds()


def _request(
    job: Job, p: int, d: int, direct: float, rules: Rules, t0: datetime, tags: frozenset[str]
) -> Request | None:
    rid = f"b{job.booking_id}"
    earliest = max(0.0, _seconds(job.earliest_pickup, t0))
    latest = _seconds(job.latest_arrival, t0)
    service = rules.service_s
    if job.aboard:
        boarded = _seconds(job.boarded_at or t0, t0)
        return Request(
            rid, p, d, dropoff_service=service, load=job.passengers, poolable=job.may_pool, categories=tags,
            locked_vehicle=f"v{job.vehicle_id}", picked_up_at=min(0.0, boarded),
        )  # fmt: skip
    if job.started:
        return Request(
            rid, p, d, pickup_window=TimeWindow(earliest, INF), pickup_service=service, dropoff_service=service,
            load=job.passengers, poolable=job.may_pool, categories=tags, locked_vehicle=f"v{job.vehicle_id}",
        )  # fmt: skip
    last_pickup = latest - direct - service
    if last_pickup < earliest:
        return None
    ride = max(job.max_ride_minutes * 60.0, direct * rules.ride_factor + rules.ride_extra_s)
    return Request(
        rid,
        p,
        d,
        pickup_window=TimeWindow(earliest, last_pickup),
        dropoff_window=TimeWindow(0.0, latest),
        pickup_service=service,
        dropoff_service=service,
        load=job.passengers,
        max_ride_time=ride,
        poolable=job.may_pool,
        categories=tags,
        locked_vehicle=f"v{job.pin_vehicle}" if job.pin_vehicle is not None else None,
    )


def _pair(
    inp: PlanningInput,
    jobs: Sequence[tuple[int, Job]],
    allowed: dict[int, list[int]],
    by_id: dict[int, Car],
    car_index: dict[int, int],
    n_cars: int,
    dur: npt.NDArray[np.float64],
) -> dict[int, int]:
    """Car → driver for this batch (see the module doc)."""
    pairing = _Pairing(inp, by_id)
    pairing.keep(jobs)
    pairing.greedy(jobs, allowed, car_index, n_cars, dur)
    pairing.spare(jobs, allowed, car_index, n_cars, dur)
    return pairing.pairs


class _Pairing:
    """Drivers given to cars, one each: kept pairs first, then greedily by demand."""

    def __init__(self, inp: PlanningInput, by_id: dict[int, Car]) -> None:
        self.inp, self.by_id = inp, by_id
        self.pairs: dict[int, int] = {}
        self.used: set[int] = set()
        self.free: list[int] = []

    def take(self, vid: int | None, did: int | None) -> None:
        if vid is None or did is None or vid not in self.by_id or vid in self.pairs or did in self.used:
            return
        self.pairs[vid] = did
        self.used.add(did)

    def keep(self, jobs: Sequence[tuple[int, Job]]) -> None:
        """Started legs and riders aboard keep their driver; then pins with a driver, current assignments and
        the plan in force; then pinned cars get a driver."""
        for _, job in jobs:
            if job.aboard or job.started:
                self.take(job.vehicle_id, job.driver_id)
        for _, job in jobs:
            if job.pin_vehicle is not None and job.pin_driver is not None:
                self.take(job.pin_vehicle, job.pin_driver)
        for _, job in jobs:
            if job.status == "assigned":
                self.take(job.vehicle_id, job.driver_id)
        known = {d.driver_id for d in self.inp.drivers}
        for vid, did in self.inp.pairing.items():
            if did in known:
                self.take(vid, did)
        self.free = [d.driver_id for d in self.inp.drivers if d.driver_id not in self.used]
        for _, job in jobs:
            if job.pin_vehicle is not None and job.pin_vehicle not in self.pairs and self.free:
                self.take(job.pin_vehicle, self.free.pop(0))

    def greedy(
        self,
        jobs: Sequence[tuple[int, Job]],
        allowed: dict[int, list[int]],
        car_index: dict[int, int],
        n_cars: int,
        dur: npt.NDArray[np.float64],
    ) -> None:
        """Each open booking in time order goes to the paired car that reaches it first; if none can in time,
        the unpaired car that reaches it first gets the next free driver."""
        inp, service = self.inp, self.inp.rules.service_s
        state = {vid: (car_index[vid], 0.0) for vid in self.by_id}
        for k, job in sorted(jobs, key=lambda kj: (kj[1].earliest_pickup, kj[1].booking_id)):
            p, d = n_cars + 2 * k, n_cars + 2 * k + 1
            earliest = max(0.0, _seconds(job.earliest_pickup, inp.now))
            last = _seconds(job.latest_arrival, inp.now) - float(dur[p, d]) - service

            def reach(vid: int, p: int = p, earliest: float = earliest) -> float:
                at, free_at = state[vid]
                return max(free_at + float(dur[at, p]), earliest)

            paired = [v for v in allowed[job.booking_id] if v in self.pairs and reach(v) <= last]
            spare = [v for v in allowed[job.booking_id] if v not in self.pairs]
            if not paired and spare and self.free:
                best = min(spare, key=lambda v: (reach(v), -(self.by_id[v].readiness or 1.0), v))
                self.take(best, self.free.pop(0))
                paired = [best]
            if paired:
                best = min(paired, key=reach)
                state[best] = (d, reach(best) + 2 * service + float(dur[p, d]))

    def spare(
        self,
        jobs: Sequence[tuple[int, Job]],
        allowed: dict[int, list[int]],
        car_index: dict[int, int],
        n_cars: int,
        dur: npt.NDArray[np.float64],
    ) -> None:
        """Drivers still free take the cars that could serve most bookings, nearest first (more choice)."""
        useful: dict[int, list[float]] = {}
        for k, job in jobs:
            for v in allowed[job.booking_id]:
                if v not in self.pairs:
                    useful.setdefault(v, []).append(float(dur[car_index[v], n_cars + 2 * k]))
        ranked = sorted(useful, key=lambda v: (-len(useful[v]), min(useful[v]), -(self.by_id[v].readiness or 1.0), v))
        for vid in ranked:
            if not self.free:
                break
            self.take(vid, self.free.pop(0))


def _previous(inp: PlanningInput, problem: Problem, kept: dict[str, Job]) -> Solution | None:
    """The current assignments as a solution (stability and the search's start)."""
    per_car: dict[str, list[Job]] = {}
    names = {v.id for v in problem.vehicles}
    for _rid, job in kept.items():
        if job.vehicle_id is not None and f"v{job.vehicle_id}" in names:
            per_car.setdefault(f"v{job.vehicle_id}", []).append(job)
    if not per_car:
        return None
    routes = []
    for vid, mine in per_car.items():
        mine.sort(key=lambda j: (inp.sequence.get(j.booking_id, 10**6), j.planned_pickup_at or j.earliest_pickup))
        visits = [Visit(f"b{j.booking_id}", "pickup", 0, 0.0, 0.0, 0) for j in mine if not j.aboard]
        visits += [Visit(f"b{j.booking_id}", "dropoff", 0, 0.0, 0.0, 0) for j in mine]
        routes.append(Route(vid, tuple(visits), 0.0, 0.0, 0.0))
    return Solution(tuple(routes), (), 0.0, 0.0)
