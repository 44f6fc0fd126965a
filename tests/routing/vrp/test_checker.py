"""The independent checker catches every kind of broken rule, and needs a schedule search to be right."""

from __future__ import annotations

from gongwu.routing.vrp import Problem, Request, TimeWindow, Vehicle, check

from .helpers import line, solution, visit


def one(request: Request, vehicle: Vehicle | None = None, n: int = 12) -> Problem:
    return Problem((request,), (vehicle or Vehicle("car", 0, 3, end=0),), line(n))


def kinds(problem: Problem, plans: dict, unserved: tuple[str, ...] = ()) -> set[str]:  # type: ignore[type-arg]
    return {v.kind for v in check(problem, solution(problem, plans, unserved))}


def test_a_plain_trip_is_feasible() -> None:
    p = one(Request("a", 2, 5, max_ride_time=10))
    assert kinds(p, {"car": [visit("a", "pickup", 2, 2, 1), visit("a", "dropoff", 5, 5, 0)]}) == set()


def test_ride_time_needs_a_later_departure_not_as_early_as_possible() -> None:
    """Served as early as possible the rider would sit 47 minutes (limit 10); leaving later makes it fit."""
    req = Request("a", 1, 2, TimeWindow(0, 100), TimeWindow(50, 60), max_ride_time=10)
    p = one(req)
    plan = {"car": [visit("a", "pickup", 1, 41, 1), visit("a", "dropoff", 2, 50, 0, arrival=42)]}
    assert kinds(p, plan) == set()


def test_ride_time_that_no_schedule_can_meet() -> None:
    """Two riders: delaying the first pickup to shorten its ride makes the second miss its window."""
    a = Request("a", 1, 6, TimeWindow(0, 100), TimeWindow(30, 40), max_ride_time=8)
    b = Request("b", 2, 3, TimeWindow(0, 3), TimeWindow(0, 100), max_ride_time=50)
    p = Problem((a, b), (Vehicle("car", 0, 3, end=0),), line(8))
    plan = {
        "car": [
            visit("a", "pickup", 1, 1, 1),
            visit("b", "pickup", 2, 2, 2),
            visit("b", "dropoff", 3, 3, 1),
            visit("a", "dropoff", 6, 30, 0, arrival=6),
        ]
    }
    assert "schedule" in kinds(p, plan)


def test_reported_times_are_checked_too() -> None:
    req = Request("a", 1, 2, TimeWindow(0, 100), TimeWindow(50, 60), max_ride_time=10)
    p = one(req)
    asap = {"car": [visit("a", "pickup", 1, 1, 1), visit("a", "dropoff", 2, 50, 0, arrival=2)]}
    assert kinds(p, asap) == {"times"}  # the sequence is fine, the printed schedule is not


def test_time_window_missed() -> None:
    p = one(Request("a", 9, 2, TimeWindow(0, 5)))
    assert "schedule" in kinds(p, {"car": [visit("a", "pickup", 9, 9, 1), visit("a", "dropoff", 2, 16, 0)]})


def test_route_duration_and_shift_end() -> None:
    p = one(Request("a", 9, 2), Vehicle("car", 0, 3, end=0, max_duration=15))
    assert "schedule" in kinds(p, {"car": [visit("a", "pickup", 9, 9, 1), visit("a", "dropoff", 2, 16, 0)]})
    p = one(Request("a", 9, 2), Vehicle("car", 0, 3, end=0, shift_end=17))
    assert "schedule" in kinds(p, {"car": [visit("a", "pickup", 9, 9, 1), visit("a", "dropoff", 2, 16, 0)]})


def test_capacity() -> None:
    a, b = Request("a", 1, 5, load=2), Request("b", 2, 4, load=2)
    p = Problem((a, b), (Vehicle("car", 0, 3, end=0),), line(8))
    plan = {
        "car": [
            visit("a", "pickup", 1, 1, 2),
            visit("b", "pickup", 2, 2, 4),
            visit("b", "dropoff", 4, 4, 2),
            visit("a", "dropoff", 5, 5, 0),
        ]
    }
    assert kinds(p, plan) == {"capacity"}


def test_pairing_missing_and_duplicate() -> None:
    a, b = Request("a", 1, 5), Request("b", 2, 4)
    p = Problem((a, b), (Vehicle("car", 0, 3, end=0),), line(8))
    backwards = {"car": [visit("a", "dropoff", 5, 5, 0), visit("a", "pickup", 1, 9, 1)]}
    assert {"pairing", "missing"} <= kinds(p, backwards)
    twice = {"car": [visit("a", "pickup", 1, 1, 1), visit("a", "dropoff", 5, 5, 0)]}
    assert "duplicate" in kinds(p, twice, unserved=("a", "b"))
    assert kinds(p, twice, unserved=("b",)) == set()


def test_category_and_lock() -> None:
    req = Request("a", 1, 2, categories=frozenset({"机要通信"}))
    p = one(req, Vehicle("car", 0, 3, end=0, category="其他"))
    assert kinds(p, {"car": [visit("a", "pickup", 1, 1, 1), visit("a", "dropoff", 2, 2, 0)]}) == {"compatibility"}
    a = Request("a", 1, 2, locked_vehicle="other")
    p = Problem((a,), (Vehicle("car", 0, 3, end=0), Vehicle("other", 0, 3, end=0)), line(4))
    assert "assignment" in kinds(p, {"car": [visit("a", "pickup", 1, 1, 1), visit("a", "dropoff", 2, 2, 0)]})


def test_non_poolable_rider_must_ride_alone() -> None:
    a = Request("a", 1, 5, poolable=False)
    b = Request("b", 2, 4)
    p = Problem((a, b), (Vehicle("car", 0, 3, end=0),), line(8))
    shared = {
        "car": [
            visit("a", "pickup", 1, 1, 1),
            visit("b", "pickup", 2, 2, 2),
            visit("b", "dropoff", 4, 4, 1),
            visit("a", "dropoff", 5, 5, 0),
        ]
    }
    assert kinds(p, shared) == {"pooling"}
    alone = {
        "car": [
            visit("a", "pickup", 1, 1, 1),
            visit("a", "dropoff", 5, 5, 0),
            visit("b", "pickup", 2, 8, 1),
            visit("b", "dropoff", 4, 10, 0),
        ]
    }
    assert kinds(p, alone) == set()


def test_energy_range() -> None:
    p = one(Request("a", 9, 2), Vehicle("car", 0, 3, end=0, max_distance=10))
    assert kinds(p, {"car": [visit("a", "pickup", 9, 9, 1), visit("a", "dropoff", 2, 16, 0)]}) == {"distance"}


def test_rider_aboard_must_be_dropped_by_their_car_within_ride_time() -> None:
    req = Request("a", 0, 6, max_ride_time=10, locked_vehicle="car", picked_up_at=0.0)
    p = one(req, Vehicle("car", 2, 3, end=0, start_time=2))
    assert kinds(p, {"car": [visit("a", "dropoff", 6, 6, 0)]}) == set()
    assert "assignment" in kinds(p, {"car": []})
    late = one(req, Vehicle("car", 2, 3, end=0, start_time=7))
    assert "schedule" in kinds(late, {"car": [visit("a", "dropoff", 6, 11, 0)]})


def test_cost_must_match_the_routes() -> None:
    p = one(Request("a", 2, 5))
    sol = solution(p, {"car": [visit("a", "pickup", 2, 2, 1), visit("a", "dropoff", 5, 5, 0)]})
    from dataclasses import replace

    assert {v.kind for v in check(p, replace(sol, distance=1.0))} == {"cost"}
