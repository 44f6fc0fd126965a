"""The planner's rules without a database: who may carry whom, fixed legs, drivers, stability — and every
solution passes both the optimizer's independent checker and the booking-level check."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from gongwu.dispatch.pooling.drafts import draft
from gongwu.dispatch.pooling.problem import Car, DriverInfo, Job, PlanningInput, Rules, build, points_of
from gongwu.dispatch.pooling.verify import check_plan
from gongwu.routing.straight import StraightLineTravelTimes
from gongwu.routing.types import LatLon
from gongwu.routing.vrp import check, solve

NOW = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
GOV, STATION, MARKET = LatLon(60.16628, 24.94263), LatLon(60.1717, 24.94264), LatLon(60.16809, 24.95104)


def job(booking_id: int, frm: LatLon = GOV, to: LatLon = STATION, start: float = 20, window: float = 60, **kw) -> Job:
    fields = dict(
        booking_id=booking_id, code=f"YC-{booking_id}", passengers=1, min_seats=2, category="other", leader=False,
        may_pool=True, pickup=frm, dropoff=to, earliest_pickup=NOW + timedelta(minutes=start),
        latest_arrival=NOW + timedelta(minutes=start + window), max_ride_minutes=15.0, status="approved",
        estimated_km=1.0,
    )  # fmt: skip
    fields.update(kw)
    return Job(**fields)  # type: ignore[arg-type]


def car(vehicle_id: int, at: LatLon = GOV, **kw) -> Car:
    return Car(**({"vehicle_id": vehicle_id, "plate": f"京A{vehicle_id:05d}", "category": "other", "seats": 5,
                   "position": at, "source": "depot"} | kw))  # fmt: skip


def plan(jobs, cars, drivers=None, **kw):  # type: ignore[no-untyped-def]
    drivers = drivers if drivers is not None else tuple(DriverInfo(100 + c.vehicle_id, "师傅") for c in cars)
    inp = PlanningInput(NOW, tuple(jobs), tuple(cars), tuple(drivers), **kw)
    points = points_of(inp)
    m = StraightLineTravelTimes().matrix(points, points) if points else None
    dur = m.durations_s if m is not None else np.zeros((0, 0))
    dist = m.distances_m if m is not None else np.zeros((0, 0))
    built = build(inp, dur, dist)
    solution = solve(built.problem, 0.3, workers=1, previous=built.previous, stability_penalty=inp.rules.stability_m)
    assert check(built.problem, solution) == []
    result = draft(built, solution, inp.jobs)
    assert check_plan(result.stops, {j.booking_id: j for j in jobs}, {c.vehicle_id: c for c in cars}) == []
    return result


def cars_of(result) -> dict[int, int]:  # type: ignore[no-untyped-def]
    return {s.booking_id: s.vehicle_id for s in result.stops}


def test_two_trips_the_same_way_share_one_car_and_one_driver() -> None:
    result = plan([job(1), job(2, start=22)], [car(7), car(8, at=MARKET)], drivers=[DriverInfo(107, "马师傅")])
    assert cars_of(result) == {1: 7, 2: 7} and result.unserved == []
    assert max(s.load_after for s in result.stops) == 2  # both aboard together
    assert {r.driver_id for r in result.routes} == {107}


def test_a_trip_that_may_not_be_pooled_rides_alone() -> None:
    result = plan([job(1, may_pool=False), job(2, start=21)], [car(7)])
    stops = [(s.booking_id, s.kind) for s in result.stops]
    assert len(stops) == 4 and max(s.load_after for s in result.stops) == 1  # one after the other
    assert stops[0][0] == stops[1][0]


def test_category_seats_leaders_cars_seals_and_charge_decide_who_may_carry() -> None:
    sealed = ((NOW, NOW + timedelta(hours=5)),)
    cars = [
        car(1, dedicated=True),
        car(2, seats=4),
        car(3, category="emergency"),
        car(4, sealed=sealed),
        car(5, energy_refused=frozenset({1})),
        car(6, seats=7),
    ]
    result = plan([job(1, passengers=3, min_seats=5)], cars)
    assert cars_of(result) == {1: 6}
    leader = plan([job(1, leader=True, may_pool=False)], [car(1, dedicated=True)])
    assert cars_of(leader) == {1: 1}


def test_reasons_when_a_booking_is_left_out() -> None:
    jobs = [
        job(1, hold=True),
        job(2, category="confidential"),
        job(3, start=-60, window=50),  # its window has passed
        job(4, start=30),
        job(5, start=30, frm=MARKET),
    ]
    result = plan(jobs, [car(7), car(8, category="confidential")], drivers=[DriverInfo(107, "马师傅")])
    reasons = {b: r for b, r, _ in result.unserved}
    assert reasons[1] == "held" and reasons[3] == "too_late"
    assert reasons[2] == "no_driver"  # the confidential car has no driver left
    assert set(cars_of(result)) == {4, 5}


def test_a_rider_aboard_and_a_started_leg_stay_on_their_car() -> None:
    aboard = job(1, status="in_progress", vehicle_id=8, driver_id=108, boarded_at=NOW - timedelta(minutes=3), start=-10)
    started = job(2, status="assigned", vehicle_id=8, driver_id=108, started=True, start=-30, window=25)
    result = plan([aboard, started, job(3)], [car(7), car(8, at=MARKET)])
    assert cars_of(result)[1] == 8 and cars_of(result)[2] == 8
    assert [s.kind for s in result.stops if s.booking_id == 1] == ["dropoff"]
    assert all(s.locked for s in result.stops if s.booking_id in (1, 2))
    route = next(r for r in result.routes if r.vehicle_id == 8)
    assert route.driver_id == 108


def test_a_pin_is_obeyed_and_assignments_are_stable() -> None:
    pinned = plan([job(1, pin_vehicle=8)], [car(7), car(8, at=MARKET)])
    assert cars_of(pinned) == {1: 8}
    # the booking is on car 8 already: moving it to car 7 (a little closer) is not worth the stability price
    kept = plan([job(1, status="assigned", vehicle_id=8, driver_id=108)], [car(7), car(8, at=MARKET)])
    assert cars_of(kept) == {1: 8} and kept.moved == 0
    rules = Rules(stability_m=0.0)
    moved = plan([job(1, status="assigned", vehicle_id=8, driver_id=108)], [car(7), car(8, at=MARKET)], rules=rules)
    assert cars_of(moved) == {1: 7} and moved.moved == 1


def test_random_batches_always_pass_both_checks() -> None:
    rng = random.Random(7)
    places = [GOV, STATION, MARKET, LatLon(60.1645, 24.9403), LatLon(60.1698, 24.9470), LatLon(60.1715, 24.9514)]
    for _ in range(3):
        jobs = []
        for k in range(1, 25):
            a, b = rng.sample(places, 2)
            jobs.append(
                job(k, a, b, start=rng.uniform(0, 180), window=rng.uniform(25, 70), passengers=rng.randint(1, 4),
                    min_seats=5, may_pool=rng.random() > 0.2)
            )  # fmt: skip
        cars = [car(100 + v, rng.choice(places), seats=rng.choice([5, 5, 7])) for v in range(5)]
        jobs[0] = replace(jobs[0], pin_vehicle=100)
        rules = Rules(max_route_s=3 * 3600.0)  # a route lasts at most three hours
        result = plan(jobs, cars, drivers=[DriverInfo(d, "师傅") for d in range(4)], rules=rules)
        served = {s.booking_id for s in result.stops}
        assert served | {b for b, _, _ in result.unserved} == {j.booking_id for j in jobs}
        assert len(served) >= 12
        for route in result.routes:
            stops = [s for s in result.stops if s.vehicle_id == route.vehicle_id]
            assert stops[-1].start_at - route.depart_at <= timedelta(hours=3)
