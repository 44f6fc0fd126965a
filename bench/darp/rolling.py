"""Rolling batch: 300 open bookings and 80 cars on a generated city, re-planned from the plan in force.

The city is 30 km × 30 km with six office clusters; travel time = 1.35 × straight line at 30 km/h
(seconds), distance in metres. Cars: 55 sedans (4 seats), 15 vans (7), 5 confidential-duty cars (机要通信,
4 seats), 5 more sedans; 20 of them electric with 150 km of range; each returns to one of five garages.
Bookings: a 15-minute pickup window within the next four hours, ride time ≤ direct + max(10 min, 50 %),
1–3 seats; 5 % confidential (机要通信 car, never pooled), 5 % leader trips (never pooled).

Step 1 plans 300 bookings from scratch. Step 2 happens an hour later: trips completed are gone,
riders picked up are aboard their car (their leg started: they stay there), every car starts from its last
stop, new bookings bring the open count back to 300, and the plan is re-optimised from the previous one
with a stability penalty. Step 2's wall time (model build + search + check) is the figure to watch.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from gongwu.routing.vrp import Matrix, Problem, Request, Solution, TimeWindow, Vehicle, check, solve

SPEED = 30 / 3.6  # m/s
DETOUR = 1.35


def city(seed: int, n_places: int) -> tuple[np.ndarray, Matrix]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(3000, 27000, (6, 2))
    pts = []
    for _ in range(n_places):
        if rng.random() < 0.6:
            c = centres[rng.integers(6)]
            pts.append(c + rng.normal(0, 1500, 2))
        else:
            pts.append(rng.uniform(0, 30000, 2))
    xy = np.clip(np.array(pts), 0, 30000)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) * DETOUR
    return xy, Matrix.of(np.ceil(d / SPEED), np.rint(d))


def bookings(
    rng: np.random.Generator, m: Matrix, first: int, count: int, places: int, t0: float, t1: float
) -> list[Request]:
    out = []
    for k in range(count):
        a, b = rng.choice(places, 2, replace=False)
        t = float(rng.uniform(t0, t1))
        direct = float(m.durations[a, b])
        kind = rng.random()
        out.append(
            Request(
                id=f"b{first + k}",
                pickup=int(a),
                dropoff=int(b),
                pickup_window=TimeWindow(t, t + 900),
                pickup_service=60,
                dropoff_service=60,
                load=int(rng.choice([1, 1, 1, 1, 2, 3])),
                max_ride_time=direct + max(600.0, 0.5 * direct),
                poolable=kind >= 0.10,
                categories=frozenset({"机要通信"}) if kind < 0.05 else frozenset(),
            )
        )
    return out


def fleet(rng: np.random.Generator, garages: list[int]) -> list[Vehicle]:
    cars = []
    for k in range(80):
        g = garages[k % len(garages)]
        seats, cat = (7, "其他") if 55 <= k < 70 else (4, "其他")
        if 70 <= k < 75:
            cat = "机要通信"
        cars.append(
            Vehicle(
                f"car{k}",
                g,
                seats,
                end=g,
                start_time=0.0,
                shift_end=10 * 3600,
                category=cat,
                max_distance=150_000.0 if k % 4 == 0 else None,
            )
        )
    return cars


def advance(problem: Problem, plan: Solution, now: float) -> tuple[list[Request], list[Vehicle], int]:
    """The batch at ``now``: a stop the car has already left for is committed (that leg stays fixed), riders
    picked up (or being fetched) are aboard, trips dropped off are gone, each car starts from its last
    committed stop when it is free there."""
    reqs = {r.id: r for r in problem.requests}
    picked: dict[str, tuple[str, float]] = {}
    finished: set[str] = set()
    vehicles = []
    for veh in problem.vehicles:
        route = plan.route_of(veh.id)
        place, free = veh.start, now
        if route is not None:
            leave = route.departure
            for v in route.visits:
                if leave > now:
                    break
                req = reqs[v.request_id]
                service = req.pickup_service if v.kind == "pickup" else req.dropoff_service
                if v.kind == "pickup":
                    picked[v.request_id] = (veh.id, v.start + service)
                else:
                    finished.add(v.request_id)
                place, free = v.place, max(now, v.start + service)
                leave = v.start + service
        vehicles.append(
            Vehicle(
                veh.id,
                place,
                veh.capacity,
                end=veh.end,
                start_time=free,
                shift_end=veh.shift_end,
                category=veh.category,
                max_distance=veh.max_distance,
            )
        )
    out = []
    for r in problem.requests:
        if r.id in finished:
            continue
        if r.id in picked:
            vid, at = picked[r.id]
            out.append(replace(r, locked_vehicle=vid, picked_up_at=at))
        else:
            out.append(r)
    return out, vehicles, len(finished)


def rolling_benchmark(
    seed: int = 0, limit0: float = 8.0, limit1: float = 8.0, penalty: float = 3000.0
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_places = 900
    _, m = city(seed, n_places)
    garages = [int(g) for g in rng.choice(n_places, 5, replace=False)]
    cars = fleet(rng, garages)
    first = bookings(rng, m, 0, 300, n_places, 300, 4 * 3600)
    p0 = Problem(tuple(first), tuple(cars), m)
    t = time.perf_counter()
    plan0 = solve(p0, limit0, seed=seed)
    wall0 = time.perf_counter() - t
    now = 60 * 60.0
    carried, vehicles, finished = advance(p0, plan0, now)
    new = bookings(rng, m, 300, 300 - len(carried), n_places, now + 600, 4 * 3600)
    p1 = Problem(tuple(carried + new), tuple(vehicles), m)
    t = time.perf_counter()
    plan1 = solve(p1, limit1, seed=seed + 1, previous=plan0, stability_penalty=penalty)
    wall1 = time.perf_counter() - t
    before, after = plan0.assignment(), plan1.assignment()
    moved = sum(1 for r, v in after.items() if r in before and before[r] != v)
    aboard = sum(1 for r in carried if r.onboard)
    return {
        "cars": len(vehicles),
        "open_bookings": len(p1.requests),
        "aboard": aboard,
        "finished_since_plan": finished,
        "new_bookings": len(new),
        "plan0_wall_s": round(wall0, 2),
        "plan0_unserved": len(plan0.unserved),
        "plan0_feasible": not check(p0, plan0),
        "replan_limit_s": limit1,
        "replan_wall_s": round(wall1, 2),
        "replan_feasible": not check(p1, plan1),
        "replan_unserved": len(plan1.unserved),
        "replan_unserved_reasons": sorted({u.reason for u in plan1.unserved}),
        "replan_moved_vehicle": moved,
        "replan_dropped_previously_served": sum(1 for u in plan1.unserved if u.request_id in before),
        "replan_kept": sum(1 for r in after if r in before) - moved,
        "replan_km": round(plan1.distance / 1000, 1),
        "replan_iterations": plan1.stats.iterations,
        "stability_penalty_m": penalty,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(rolling_benchmark(), indent=1))
