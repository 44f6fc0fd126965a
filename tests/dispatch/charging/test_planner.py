"""The planner as dispatch and the dispatcher see it: trips served or told why not, the cap, stability."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gongwu.core.errors import InvalidInput
from gongwu.dispatch.charging import (
    ChargingProblem,
    ChargingSite,
    Connector,
    EvState,
    Session,
    Tariff,
    TripDemand,
    plan,
)
from gongwu.dispatch.charging.scenario import garage, generate
from gongwu.dispatch.charging.tariffs import BEIJING_COMMERCIAL
from tests.dispatch.charging.checks import advance, violations

BJ = ZoneInfo("Asia/Shanghai")
EVENING = datetime(2026, 3, 2, 18, 0, tzinfo=BJ)


def car(vid: str = "v1", soc: float = 20.0, **kw: object) -> EvState:
    fields: dict[str, object] = {"battery_kwh": 76.9, "kwh_per_km": 0.145, "soc_kwh": soc, "site_id": "garage"}
    fields |= {"label": f"京AD{vid.upper()}"} | kw
    return EvState(vid, **fields)  # type: ignore[arg-type]


def trip(tid: str, vid: str, leaves: datetime, kwh: float, hours: float = 3) -> TripDemand:
    return TripDemand(tid, vid, leaves, leaves + timedelta(hours=hours), kwh, label=tid)


def week_problem(seed: int = 3, cars: int = 40, now: datetime = EVENING) -> ChargingProblem:
    """The trips of a generated week booked by ``now`` and leaving in the next 36 hours."""
    scenario = generate(seed, cars=cars)
    trips = [t.demand for t in scenario.trips if now <= t.demand.departure < now + timedelta(hours=36)]
    return ChargingProblem((scenario.site,), scenario.evs, tuple(trips), now)


def test_a_trip_that_cannot_be_charged_for_in_time_is_named_with_the_reason() -> None:
    site = garage(ac=2, dc=0)
    late = car("v1", soc=10.0, available_from=EVENING + timedelta(hours=1))
    fine = car("v2", soc=50.0)
    problem = ChargingProblem(
        (site,),
        (late, fine),
        (
            trip("airport", "v1", EVENING + timedelta(hours=3), 38.0),
            trip("office", "v2", EVENING + timedelta(hours=14), 9),
        ),
        EVENING,
    )
    result = plan(problem)
    (bad,) = result.unserved
    assert (bad.trip_id, bad.vehicle_id, bad.reason) == ("airport", "v1", "not_enough_time")
    assert bad.message.startswith("car 京ADV1 needs 38.0 kWh before 21:00 for trip airport")
    assert "at most 22.9 kWh" in bad.message and "from 19:00" in bad.message
    assert bad.best_kwh == pytest.approx(10 + 2 * 7 * 0.92)
    assert [t.trip_id for t in result.trips if t.ok] == ["office"]
    assert not violations(problem, result)


def test_reasons_beyond_time_battery_site_and_connector() -> None:
    site = garage(ac=0, dc=1)
    problem = ChargingProblem(
        (site,),
        (
            car("big", soc=40.0),
            car("away", soc=5.0, site_id=None),
            car("aconly", soc=5.0, max_dc_kw=None),
        ),
        (
            trip("long", "big", EVENING + timedelta(hours=12), 90.0),
            trip("t2", "away", EVENING + timedelta(hours=12), 20.0),
            trip("t3", "aconly", EVENING + timedelta(hours=12), 20.0),
        ),
        EVENING,
    )
    reasons = {t.trip_id: t.reason for t in plan(problem).trips}
    assert reasons == {"long": "battery_too_small", "t2": "no_site", "t3": "no_connector"}


def test_cars_competing_for_one_connector_the_loser_is_told_the_site_is_busy() -> None:
    site = garage(ac=1, dc=0)
    leaves = EVENING + timedelta(hours=5)
    problem = ChargingProblem(
        (site,),
        (car("v1", soc=5.0), car("v2", soc=5.0)),
        (trip("a", "v1", leaves, 30.0), trip("b", "v2", leaves + timedelta(minutes=15), 30.0)),
        EVENING,
    )
    result = plan(problem)
    assert sorted(t.reason for t in result.trips) == ["ok", "site_busy"]
    busy = next(t for t in result.trips if t.reason == "site_busy")
    assert "alone it could have" in busy.message and "taken by other cars' trips" in busy.message
    assert not violations(problem, result)


def test_a_week_evening_plan_serves_every_trip_within_the_cap_in_every_slot() -> None:
    problem = week_problem()
    result = plan(problem)
    assert result.trips and not result.unserved
    assert not violations(problem, result)
    (load,) = result.loads
    assert max(load.kw) <= problem.sites[0].cap_kw + 1e-6
    assert result.peak_kw == pytest.approx(max(load.kw))
    assert result.stats.wall_s < 10


def test_charging_goes_to_the_valley_when_the_trips_allow_it() -> None:
    problem = ChargingProblem(
        (garage(),), (car("v1", soc=10.0),), (trip("a", "v1", EVENING + timedelta(hours=15), 40.0),), EVENING
    )
    result = plan(problem)
    assert not result.unserved
    for session in result.sessions:
        for i, kw in enumerate(session.profile_kw):
            at = session.start + i * timedelta(minutes=result.slot_minutes)
            assert kw == 0 or BEIJING_COMMERCIAL.band_at(at).kind == "valley"


def test_the_same_input_gives_the_same_plan_and_a_replan_keeps_it() -> None:
    problem = week_problem(seed=5)
    first, second = plan(problem), plan(problem)
    assert [s.key for s in first.sessions] == [s.key for s in second.sessions]
    again = plan(problem, previous=first)
    assert again.stats.kept_previous
    assert [(s.key, s.kwh) for s in again.sessions] == [(s.key, s.kwh) for s in first.sessions]


def test_time_passing_as_planned_keeps_the_plan() -> None:
    problem = week_problem(seed=5)
    first = plan(problem)
    later = advance(problem, first, 60)
    again = plan(later, previous=first)
    assert again.stats.kept_previous, again.stats.notes

    def kept(s: Session) -> bool:  # same car on the same connector at the same time (amounts may shift)
        return any(
            (o.vehicle_id, o.connector_id) == (s.vehicle_id, s.connector_id) and o.start < s.end and s.start < o.end
            for o in again.sessions
        )

    soon = [s for s in first.sessions if later.now <= s.start < later.now + timedelta(hours=5)]
    assert soon and all(kept(s) for s in soon)
    future = [s for s in first.sessions if s.start >= later.now]
    assert sum(kept(s) for s in future) >= 0.9 * len(future)


def test_a_new_booking_changes_the_plan_only_where_it_must() -> None:
    problem = week_problem(seed=5)
    first = plan(problem)
    leaves = problem.now + timedelta(hours=14)
    idle = next(
        ev
        for ev in problem.evs
        if all(
            t.return_time < leaves - timedelta(hours=3) or t.departure > leaves + timedelta(hours=3)
            for t in problem.trips_of(ev.vehicle_id)
        )
        and (ev.available_from or problem.now) < leaves - timedelta(hours=3)
    )
    booking = trip("new", idle.vehicle_id, leaves, idle.soc_kwh + 20, hours=2)
    changed = plan(dataclasses.replace(problem, trips=(*problem.trips, booking)), previous=first)
    assert next(t for t in changed.trips if t.trip_id == "new").ok
    others = {s.key for s in first.sessions if s.vehicle_id != idle.vehicle_id}
    kept = others & {s.key for s in changed.sessions}
    assert len(kept) >= 0.7 * len(others)


def test_a_car_plugged_in_keeps_its_connector() -> None:
    problem = ChargingProblem(
        (garage(),),
        (car("v1", soc=10.0, plugged_into="AC05"),),
        (trip("a", "v1", EVENING + timedelta(hours=14), 40.0),),
        datetime(2026, 3, 2, 23, 0, tzinfo=BJ),
        horizon=timedelta(hours=12),
    )
    result = plan(problem)
    first = result.sessions[0]
    assert (first.connector_id, first.continues, first.start) == ("AC05", True, problem.now)
    assert result.plug_moves == 0


def test_bad_inputs_are_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="no band at 07:00"):
        Tariff.of([("valley", "23:00", "07:00", 0.3), ("peak", "08:00", "23:00", 1.2)])
    with pytest.raises(InvalidInput, match="more than one band"):
        Tariff.of([("valley", "00:00", "12:00", 0.3), ("peak", "11:00", "24:00", 1.2)])
    with pytest.raises(InvalidInput, match="before the car is free"):
        ChargingProblem(
            (garage(),),
            (car("v1"),),
            (trip("a", "v1", EVENING + timedelta(hours=2), 5), trip("b", "v1", EVENING + timedelta(hours=3), 5)),
            EVENING,
        )
    with pytest.raises(InvalidInput, match="connector ids must be unique"):
        ChargingSite("s", (Connector("A", "ac", 7), Connector("A", "dc", 60)), 100, BEIJING_COMMERCIAL)
    with pytest.raises(InvalidInput, match="time zone"):
        trip("a", "v1", datetime(2026, 3, 2, 8), 5)
