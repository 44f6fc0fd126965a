"""Rolling batches: a re-plan that would change nothing stores nothing; cars start where telemetry puts them;
the background batch with auto-accept puts its plan in force; charging sees the assigned trips."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import httpx
from sqlalchemy import func, select

from gongwu.app.platform import Platform
from gongwu.core.db import Database, utcnow
from gongwu.dispatch.pooling import runtime
from gongwu.dispatch.pooling.models import DispatchPlan
from gongwu.routing.service import RoutingService
from tests import factories as f
from tests.dispatch.pooling.conftest import GOV, MARKET, Centre, approved, put_car


async def test_a_replan_that_changes_nothing_stores_nothing(
    api: httpx.AsyncClient, db: Database, centre: Centre
) -> None:
    await approved(api, centre)
    dispatcher = await f.login(api, centre.dispatcher)
    first = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()
    again = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()
    assert again["unchanged"] and again["plan"]["id"] == first["plan"]["id"]
    await api.post(f"/api/dispatch/plans/{first['plan']['id']}/accept", headers=dispatcher)
    after = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()
    assert after["unchanged"] and after["plan"]["status"] == "accepted"
    async with db.session() as s:
        assert await s.scalar(select(func.count(DispatchPlan.id))) == 1


async def test_cars_start_where_telemetry_puts_them(api: httpx.AsyncClient, centre: Centre, platform: Platform) -> None:
    await put_car(platform, centre.cars["sedan2"], MARKET)
    booking = await approved(api, centre, frm=MARKET, to=GOV)
    dispatcher = await f.login(api, centre.dispatcher)
    plan = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()["plan"]
    (route,) = [r for r in plan["routes"] if r["stops"]]
    assert route["vehicle_id"] == centre.cars["sedan2"] and route["start_source"] == "live"
    assert route["start"] == [MARKET[1], MARKET[0]] and route["stops"][0]["booking_id"] == booking["id"]
    geometry = (await api.get(f"/api/dispatch/plans/{plan['id']}/geometry", headers=dispatcher)).json()
    (line,) = geometry["features"]
    assert line["properties"]["vehicle_id"] == route["vehicle_id"] and len(line["geometry"]["coordinates"]) > 3


async def test_the_background_batch_with_auto_accept(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform, routing: RoutingService
) -> None:
    booking = await approved(api, centre)
    platform.settings = dataclasses.replace(
        platform.settings, pooling=platform.settings.pooling.model_copy(update={"auto_accept": True})
    )
    await runtime.plan_once(platform, routing, "timer")
    staff = await f.login(api, centre.staff)
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert seen["status"] == "assigned" and seen["events"][-1]["actor_name"] == "dispatch"
    dispatcher = await f.login(api, centre.dispatcher)
    plans = (await api.get("/api/dispatch/plans", headers=dispatcher)).json()
    assert plans["proposal"] is None and plans["in_force"]["trigger"] == "timer"
    async with db.session() as s:
        trips = await runtime.BookingTrips().upcoming(s, utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=6))
    assert [(t.trip_id, t.vehicle_id) for t in trips] == [(f"booking-{booking['id']}", seen["vehicle_id"])]


async def test_an_electric_car_that_cannot_make_a_trip_even_charging_is_not_given_it(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform
) -> None:
    from gongwu.dispatch.charging import service as charging
    from gongwu.dispatch.charging.tariffs import BEIJING_COMMERCIAL_BANDS
    from gongwu.dispatch.pooling.inputs import gather
    from gongwu.dispatch.pooling.router import sources_of

    async with db.session() as s:
        ev = await f.vehicle(s, centre.organ, energy_type="bev", battery_kwh=60.0, kwh_per_100km=15.0)
        full = await f.vehicle(s, centre.organ, energy_type="bev", battery_kwh=60.0, kwh_per_100km=15.0)
        tariff = await charging.create_tariff(s, name="分时", bands=BEIJING_COMMERCIAL_BANDS)
        site = await charging.create_site(
            s, code="G1", name="车库", unit_id=centre.organ.id, cap_kw=40, tariff_id=tariff.id,
            connectors=[("AC01", "ac", 7.0, "交流1")],
        )  # fmt: skip
        for car in (ev, full):
            await charging.set_profile(s, car.id, home_site_id=site.id, min_soc_pct=20.0)
            await charging.report_soc(s, car, 100.0 if car is full else 1.0, None)
        await s.commit()
    booking = await approved(api, centre, start_in=20)
    async with db.session() as s:
        inp = await gather(s, sources_of(platform), utcnow())
    cars = {c.vehicle_id: c for c in inp.cars}
    assert booking["id"] in cars[ev.id].energy_refused  # 0.6 kWh + 20 min at 7 kW < the 20 % floor + the trip
    assert booking["id"] not in cars[full.id].energy_refused
    assert cars[full.id].readiness == 1.0 and cars[full.id].range_km > 200
    assert cars[centre.cars["sedan1"]].range_km is None  # fuel: no range bound


async def test_a_car_with_an_open_collision_alarm_is_not_planned(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform
) -> None:
    from gongwu.telematics.models import Alarm

    await put_car(platform, centre.cars["sedan2"], MARKET)
    async with db.session() as s:
        s.add(Alarm(vehicle_id=centre.cars["sedan2"], unit_id=centre.organ.id, kind="collision", severity="critical",
                    status="open", started_at=utcnow()))  # fmt: skip
        await s.commit()
    await approved(api, centre, frm=MARKET, to=GOV)
    dispatcher = await f.login(api, centre.dispatcher)
    plan = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()["plan"]
    assert [r["vehicle_id"] for r in plan["routes"] if r["stops"]] != [centre.cars["sedan2"]]
    assert plan["unserved"] == []
