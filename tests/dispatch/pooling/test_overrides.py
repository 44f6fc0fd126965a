"""The dispatcher's hand: an override pins a booking to a car and every later plan keeps it there; a hold keeps
a booking unassigned (accepting takes its car back); overrides that break a rule are refused with their code
and change nothing."""

from __future__ import annotations

import httpx

from gongwu.core.db import Database
from tests import factories as f
from tests.dispatch.pooling.conftest import GOV, MARKET, STATION, Centre, approved


async def _run(api: httpx.AsyncClient, headers: dict[str, str]) -> dict:
    r = await api.post("/api/dispatch/plans/run", headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _car_of(plan: dict, booking_id: int) -> int | None:
    return next((r["vehicle_id"] for r in plan["routes"] for s in r["stops"] if s["booking_id"] == booking_id), None)


async def test_an_override_is_kept_by_every_later_plan(api: httpx.AsyncClient, centre: Centre) -> None:
    one = await approved(api, centre)
    two = await approved(api, centre, frm=MARKET, to=STATION, start_in=40)
    dispatcher = await f.login(api, centre.dispatcher)
    first = (await _run(api, dispatcher))["plan"]
    assert {_car_of(first, one["id"]), _car_of(first, two["id"])} <= set(centre.cars.values())
    # both fit one sedan side by side (pooled) — pin the first to the van instead, with a driver
    van, driver_id = centre.cars["van"], centre.drivers[2][1]
    r = await api.post(
        "/api/dispatch/overrides",
        json={"booking_id": one["id"], "vehicle_id": van, "driver_id": driver_id, "note": "领导指定"},
        headers=dispatcher,
    )
    assert r.status_code == 201, r.text
    override = r.json()
    assert override["kind"] == "pin" and override["active"] and override["code"] == one["code"]
    pinned = override["plan"]  # re-planned at once
    assert _car_of(pinned, one["id"]) == van
    route = next(r for r in pinned["routes"] if r["vehicle_id"] == van)
    assert route["driver_id"] == driver_id and route["stops"][0]["locked"]
    brief = next(b for b in pinned["bookings"] if b["id"] == one["id"])
    assert brief["override"]["vehicle_id"] == van

    accepted = await api.post(f"/api/dispatch/plans/{pinned['id']}/accept", headers=dispatcher)
    assert accepted.status_code == 200, accepted.text
    # a new booking arrives; the rolling re-plan keeps the pinned one on the van
    three = await approved(api, centre, frm=GOV, to=MARKET, start_in=35, passengers=3)
    later = (await _run(api, dispatcher))["plan"]
    assert _car_of(later, one["id"]) == van and _car_of(later, three["id"]) is not None
    assert one["id"] not in later["changes"]["reassign"]
    listed = (await api.get("/api/dispatch/overrides", headers=dispatcher)).json()
    assert [o["booking_id"] for o in listed] == [one["id"]]

    # lifting the override frees the booking again
    r = await api.delete(f"/api/dispatch/overrides/{override['id']}", headers=dispatcher)
    assert r.status_code == 200 and not r.json()["active"]
    assert (await api.get("/api/dispatch/overrides", headers=dispatcher)).json() == []


async def test_a_hold_keeps_a_booking_unassigned(api: httpx.AsyncClient, centre: Centre) -> None:
    booking = await approved(api, centre)
    dispatcher = await f.login(api, centre.dispatcher)
    plan = (await _run(api, dispatcher))["plan"]
    await api.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=dispatcher)
    staff = await f.login(api, centre.staff)
    assert (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()["status"] == "assigned"

    r = await api.post(
        "/api/dispatch/overrides", json={"booking_id": booking["id"], "kind": "hold"}, headers=dispatcher
    )
    assert r.status_code == 201, r.text
    held = r.json()["plan"]
    assert held["routes"] == [] and [(u["booking_id"], u["reason"]) for u in held["unserved"]] == [
        (booking["id"], "held")
    ]
    assert held["unserved"][0]["reason_name"]["zh"] == "调度员保留不派"
    assert held["changes"]["unassign"] == [booking["id"]]
    r = await api.post(f"/api/dispatch/plans/{held['id']}/accept", headers=dispatcher)
    assert r.status_code == 200 and r.json()["unassigned"] == [booking["id"]]
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert seen["status"] == "approved" and seen["vehicle_id"] is None
    assert seen["events"][-1]["kind"] == "unassigned" and "调度员保留不派" in seen["events"][-1]["note"]


async def test_overrides_that_break_a_rule_are_refused_and_change_nothing(
    api: httpx.AsyncClient, db: Database, centre: Centre
) -> None:
    booking = await approved(api, centre, passengers=5)  # needs 6 seats: only the van
    dispatcher = await f.login(api, centre.dispatcher)
    staff = await f.login(api, centre.staff)
    async with db.session() as s:
        from tests.factories import vehicle

        organ_car = (await vehicle(s, centre.organ, category="confidential", seats=7)).id
        await s.commit()
    before = await f.snapshot(db)
    cases = [
        ({"vehicle_id": centre.cars["sedan1"]}, 422, "dispatch.vehicle_seats"),
        ({"vehicle_id": organ_car}, 422, "dispatch.vehicle_category"),
        ({"vehicle_id": 999_999}, 422, "dispatch.vehicle_not_found"),
        ({"vehicle_id": centre.cars["van"], "driver_id": 999_999}, 422, "dispatch.driver_not_found"),
        ({}, 422, "dispatch.override_vehicle_required"),
        ({"kind": "hold", "vehicle_id": centre.cars["van"]}, 422, "dispatch.bad_override"),
    ]
    for extra, status, code in cases:
        r = await api.post("/api/dispatch/overrides", json={"booking_id": booking["id"]} | extra, headers=dispatcher)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (extra, r.text)
    assert await f.snapshot(db) == before
    small = await approved(api, centre, passengers=1)
    before = await f.snapshot(db)
    r = await api.post(
        "/api/dispatch/overrides",
        json={"booking_id": small["id"], "vehicle_id": centre.cars["leader"]},
        headers=dispatcher,
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "dispatch.dedicated_car")
    r = await api.post(
        "/api/dispatch/overrides", json={"booking_id": small["id"], "vehicle_id": centre.cars["van"]}, headers=staff
    )
    assert r.status_code == 403
    assert await f.snapshot(db) == before
    await api.post(f"/api/bookings/{small['id']}/cancel", headers=staff)
    before = await f.snapshot(db)
    r = await api.post(
        "/api/dispatch/overrides",
        json={"booking_id": small["id"], "vehicle_id": centre.cars["van"]},
        headers=dispatcher,
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "dispatch.override_closed")
    assert await f.snapshot(db) == before
    # the page offers only cars that fit
    options = (await api.get(f"/api/dispatch/options/{booking['id']}", headers=dispatcher)).json()
    fits = {c["vehicle_id"] for c in options["cars"] if c["fits"]}
    assert fits == {centre.cars["van"]} and len(options["drivers"]) == 3
