"""The optimizer's solution back as the plan to store: each car's route (driver, start, times, real km), its
stops in order with planned times, the bookings left out with their reason codes, and the plan's signature."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gongwu.dispatch.pooling.problem import Built, Job
from gongwu.routing.types import LatLon
from gongwu.routing.vrp import Solution

__all__ = ["PlanDraft", "RouteDraft", "StopDraft", "draft"]


@dataclass(frozen=True, slots=True)
class StopDraft:
    vehicle_id: int
    driver_id: int
    sequence: int
    booking_id: int
    kind: str
    place: LatLon
    arrive_at: datetime
    start_at: datetime
    load_after: int
    previous_vehicle_id: int | None
    locked: bool


@dataclass(frozen=True, slots=True)
class RouteDraft:
    vehicle_id: int
    driver_id: int
    start: LatLon
    start_source: str
    depart_at: datetime
    finish_at: datetime
    distance_km: float
    readiness: float | None


@dataclass
class PlanDraft:
    """What :mod:`.service` stores: routes, stops, left-out bookings with reasons, totals."""

    routes: list[RouteDraft]
    stops: list[StopDraft]
    unserved: list[tuple[int, str, int | None]]
    cost: float
    distance_km: float
    moved: int
    signature: str


def _reason(text: str, job: Job) -> str:
    if job.fixed_vehicle is not None and ("locked" in text or "no compatible" in text):
        return "pinned_infeasible"
    if text.startswith("no room"):
        return "no_room"
    if text.startswith("no vehicle"):
        return "no_vehicle"
    return "infeasible"


def draft(built: Built, solution: Solution, jobs: Sequence[Job]) -> PlanDraft:
    """The plan to store from the optimizer's solution."""
    t0 = built.t0

    def at(seconds: float) -> datetime:
        return t0 + timedelta(seconds=round(float(seconds)))

    routes: list[RouteDraft] = []
    stops: list[StopDraft] = []
    moved = 0
    total_m = 0.0
    sig = hashlib.sha256()
    for route in sorted(solution.routes, key=lambda r: r.vehicle_id):
        car, did = built.cars[route.vehicle_id], built.drivers[route.vehicle_id]
        vehicle = built.problem.vehicles[built.problem.vehicle_index(route.vehicle_id)]
        places = [vehicle.start] + [v.place for v in route.visits]
        metres = float(sum(built.real_distances[a, b] for a, b in itertools.pairwise(places)))
        total_m += metres
        assert car.position is not None
        routes.append(
            RouteDraft(
                car.vehicle_id, did, car.position, car.source, at(route.departure), at(route.arrival),
                round(metres / 1000.0, 3), car.readiness,
            )
        )  # fmt: skip
        sig.update(f"{car.vehicle_id}:{did}:".encode())
        for seq, visit in enumerate(route.visits):
            job = built.jobs[visit.request_id]
            if visit.kind == "pickup" and job.vehicle_id not in (None, car.vehicle_id):
                moved += 1
            sig.update(f"{job.booking_id}{visit.kind[0]},".encode())
            stops.append(
                StopDraft(
                    car.vehicle_id, did, seq, job.booking_id, visit.kind,
                    job.pickup if visit.kind == "pickup" else job.dropoff,
                    at(visit.arrival), at(visit.start), visit.load_after, job.vehicle_id,
                    job.fixed_vehicle is not None,
                )
            )  # fmt: skip
    unserved: list[tuple[int, str, int | None]] = []
    by_booking = {j.booking_id: j for j in jobs}
    for u in solution.unserved:
        job = built.jobs[u.request_id]
        unserved.append((job.booking_id, _reason(u.reason, job), job.vehicle_id))
    for booking_id, reason in built.left_out.items():
        unserved.append((booking_id, reason, by_booking[booking_id].vehicle_id))
    unserved.sort()
    sig.update(("|" + ",".join(f"{b}:{r}" for b, r, _ in unserved)).encode())
    return PlanDraft(routes, stops, unserved, solution.cost, round(total_m / 1000.0, 3), moved, sig.hexdigest())
