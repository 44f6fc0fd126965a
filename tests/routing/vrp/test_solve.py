"""The optimizer's plans: feasible by the independent checker, and they keep the dispatcher's rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gongwu.routing.vrp import Problem, Request, Solution, TimeWindow, Vehicle, check, solve, warm_up

from .helpers import plane


@pytest.fixture(scope="module", autouse=True)
def _kernels() -> None:
    warm_up()


def city(n_requests: int, n_vehicles: int, seed: int = 7, **request_kw: object) -> Problem:
    """Random trips in a 20×20 km town (minutes = km), cars at a depot in the middle."""
    rng = np.random.default_rng(seed)
    pts = [(0.0, 0.0)] + [tuple(rng.uniform(-10, 10, 2)) for _ in range(2 * n_requests)]
    m = plane(pts)
    reqs = []
    for i in range(n_requests):
        t = float(rng.uniform(0, 200))
        reqs.append(
            Request(
                f"r{i}",
                1 + 2 * i,
                2 + 2 * i,
                TimeWindow(t, t + 15),
                pickup_service=1,
                dropoff_service=1,
                max_ride_time=float(m.durations[1 + 2 * i, 2 + 2 * i]) * 1.5 + 5,
                **request_kw,  # type: ignore[arg-type]
            )
        )
    vehs = [Vehicle(f"v{k}", 0, 4, end=0, shift_end=400) for k in range(n_vehicles)]
    return Problem(tuple(reqs), tuple(vehs), m)


def feasible(problem: Problem, sol: Solution) -> Solution:
    assert check(problem, sol) == []
    assert sol.stats.verified
    return sol


def test_city_plan_is_feasible_and_serves_everyone() -> None:
    p = city(30, 5)
    sol = feasible(p, solve(p, 1.5, seed=1))
    assert sol.unserved == ()
    assert sol.cost <= sol.stats.first_cost + 1e-9


def test_locked_assignment_is_kept() -> None:
    base = city(20, 4)
    reqs = list(base.requests)
    reqs[3] = replace(reqs[3], locked_vehicle="v2")
    reqs[7] = replace(reqs[7], locked_vehicle="v2")
    p = Problem(tuple(reqs), base.vehicles, base.matrix)
    sol = feasible(p, solve(p, 1.0, seed=2))
    assert sol.assignment()["r3"] == "v2" and sol.assignment()["r7"] == "v2"


def test_rider_aboard_stays_on_their_car() -> None:
    base = city(12, 3)
    reqs = list(base.requests)
    r0 = reqs[0]
    # v1 picked r0 up at t=20 and is now (t=25) at r0's pickup place, free from then on
    reqs[0] = replace(r0, locked_vehicle="v1", picked_up_at=20.0, max_ride_time=60.0)
    vehs = list(base.vehicles)
    vehs[1] = Vehicle("v1", r0.pickup, 4, end=0, start_time=25.0, shift_end=400)
    p = Problem(tuple(reqs), tuple(vehs), base.matrix)
    sol = feasible(p, solve(p, 1.0, seed=3))
    route = sol.route_of("v1")
    assert route is not None
    mine = [v for v in route.visits if v.request_id == "r0"]
    assert [v.kind for v in mine] == ["dropoff"]
    assert mine[0].start <= 20.0 + 60.0 + 1e-9


def test_non_poolable_rider_rides_alone() -> None:
    """Two riders with the same trip would share a car; the confidential one may not."""
    m = plane([(0, 0), (1, 0), (9, 0)])
    a = Request("leader", 1, 2, TimeWindow(0, 30), max_ride_time=40, poolable=False)
    b = Request("staff", 1, 2, TimeWindow(0, 30), max_ride_time=40)
    c = Request("staff2", 1, 2, TimeWindow(0, 30), max_ride_time=40)
    p = Problem((a, b, c), (Vehicle("v0", 0, 4, end=0), Vehicle("v1", 0, 4, end=0)), m)
    sol = feasible(p, solve(p, 0.5, seed=4))
    assert sol.unserved == ()
    assignment = sol.assignment()
    pooled = Problem((Request("x", 1, 2, max_ride_time=40), b, c), p.vehicles, m)
    assert sol.cost > solve(pooled, 0.3).cost  # riding alone costs a second trip
    route = sol.route_of(assignment["leader"])
    assert route is not None
    kinds = [(v.request_id, v.kind) for v in route.visits]
    at = kinds.index(("leader", "pickup"))
    assert kinds[at + 1] == ("leader", "dropoff") and route.visits[at].load_after == 1


def test_category_and_seats_must_fit() -> None:
    m = plane([(0, 0), (2, 0), (4, 0), (6, 0)])
    secret = Request("s", 1, 2, categories=frozenset({"机要通信"}))
    group = Request("g", 1, 3, load=6)
    vehs = (
        Vehicle("sedan", 0, 4, end=0, category="其他"),
        Vehicle("van", 0, 7, end=0, category="其他"),
        Vehicle("secure", 0, 4, end=0, category="机要通信"),
    )
    p = Problem((secret, group), vehs, m)
    sol = feasible(p, solve(p, 0.5))
    assert sol.assignment() == {"s": "secure", "g": "van"}


def test_unserved_requests_are_reported_with_a_reason() -> None:
    m = plane([(0, 0), (50, 0), (51, 0), (1, 0), (2, 0)])
    late = Request("far", 1, 2, TimeWindow(0, 10))  # 50 minutes away, window closes at 10
    ok = Request("near", 3, 4)
    big = Request("bus", 3, 4, load=9)
    p = Problem((late, ok, big), (Vehicle("v", 0, 4, end=0, max_distance=200),), m)
    sol = feasible(p, solve(p, 0.3))
    reasons = {u.request_id: u.reason for u in sol.unserved}
    assert set(reasons) == {"far", "bus"}
    assert "window" in reasons["far"] and "seats" in reasons["bus"]


def test_energy_range_limits_the_route() -> None:
    m = plane([(0, 0), (10, 0), (11, 0), (1, 0), (2, 0)])
    reqs = (Request("a", 1, 2), Request("b", 3, 4))
    vehs = (Vehicle("ev", 0, 4, end=0, max_distance=8), Vehicle("petrol", 0, 4, end=0))
    p = Problem(reqs, vehs, m)
    sol = feasible(p, solve(p, 0.3))
    assert sol.assignment()["a"] == "petrol"


def test_stability_keeps_the_previous_plan_when_nothing_is_gained() -> None:
    """Identical cars: any relabelling is as cheap, so only the penalty decides — it must keep the plan."""
    p = city(24, 4, seed=11)
    first = feasible(p, solve(p, 1.0, seed=5))
    for seed in (6, 7):
        again = feasible(p, solve(p, 1.0, seed=seed, previous=first, stability_penalty=1000.0))
        assert again.assignment() == first.assignment()
        assert again.distance <= first.distance + 1e-6


def test_previous_plan_with_new_bookings_keeps_old_assignments() -> None:
    p = city(30, 5, seed=12)
    old = Problem(p.requests[:25], p.vehicles, p.matrix)
    first = feasible(old, solve(old, 1.0, seed=8))
    again = feasible(p, solve(p, 1.0, seed=9, previous=first, stability_penalty=1000.0))
    kept = {r: v for r, v in again.assignment().items() if r in first.assignment()}
    assert kept == first.assignment()
    assert again.unserved == ()
