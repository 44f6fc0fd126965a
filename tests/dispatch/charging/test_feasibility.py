"""What dispatch asks before giving a trip to a car: can it make it even with charging, and how ready is it."""

from __future__ import annotations

from datetime import timedelta

from gongwu.dispatch.charging import ChargingProblem, can_serve, plan, readiness
from gongwu.dispatch.charging.scenario import garage
from tests.dispatch.charging.test_planner import EVENING, car, trip

SITE = garage()


def test_a_trip_the_car_cannot_charge_for_in_time_is_refused_with_the_reason() -> None:
    ev = car("v1", soc=8.0, available_from=EVENING + timedelta(hours=2))
    airport = trip("airport", "v1", EVENING + timedelta(hours=2, minutes=30), 60.0)
    answer = can_serve(ev, airport, SITE, EVENING)
    assert not answer.ok and answer.reason == "not_enough_time"
    assert answer.message.startswith("car 京ADV1 needs 60.0 kWh before 20:30")
    assert answer.best_kwh < 60 and answer.readiness == 0.0


def test_with_charging_time_the_same_trip_is_possible_and_readiness_says_how_tight() -> None:
    ev = car("v1", soc=8.0)
    overnight = trip("airport", "v1", EVENING + timedelta(hours=14), 60.0)
    answer = can_serve(ev, overnight, SITE, EVENING)
    assert answer.ok and answer.reason == "ok" and not answer.message
    assert 0 < answer.readiness < 1
    charged = car("v2", soc=70.0)
    assert readiness(charged, overnight, SITE, EVENING) == 1.0
    assert readiness(charged, overnight, SITE, EVENING) > readiness(ev, overnight, SITE, EVENING)


def test_a_trip_that_would_starve_a_later_one_is_refused() -> None:
    ev = car("v1", soc=40.0)
    later = trip("later", "v1", EVENING + timedelta(hours=2, minutes=45), 55.0)
    now_trip = trip("now", "v1", EVENING + timedelta(minutes=30), 35.0, hours=2)
    answer = can_serve(ev, now_trip, SITE, EVENING, assigned=[later])
    assert not answer.ok and "leaves too little for a later trip" in answer.message
    assert can_serve(ev, now_trip, SITE, EVENING).ok


def test_an_overlapping_trip_and_a_car_not_back_yet_are_refused() -> None:
    ev = car("v1", soc=60.0)
    booked = trip("booked", "v1", EVENING + timedelta(hours=1), 5.0, hours=3)
    clash = trip("clash", "v1", EVENING + timedelta(hours=2), 5.0)
    assert "is on trip booked" in can_serve(ev, clash, SITE, EVENING, assigned=[booked]).message
    away = car("v2", soc=60.0, available_from=EVENING + timedelta(hours=3))
    assert "not back before 21:00" in can_serve(away, clash, SITE, EVENING).message


def test_what_can_serve_refuses_the_planner_cannot_serve_either() -> None:
    ev = car("v1", soc=8.0, available_from=EVENING + timedelta(hours=2))
    airport = trip("airport", "v1", EVENING + timedelta(hours=2, minutes=30), 40.0)
    verdict = can_serve(ev, airport, SITE, EVENING)
    result = plan(ChargingProblem((SITE,), (ev,), (airport,), EVENING))
    assert not verdict.ok and result.trips[0].reason == verdict.reason
