"""The driver's steps refused out of order, for someone else's task, or without the rider's code; dispatchers
may act for a driver; the driver's list is in plan order with navigation links."""

from __future__ import annotations

import httpx

from gongwu.core.db import Database
from tests import factories as f
from tests.dispatch.driving.conftest import assigned
from tests.dispatch.pooling.conftest import MARKET, STATION, Centre, approved


async def test_steps_are_refused_out_of_order_and_change_nothing(
    api: httpx.AsyncClient, db: Database, centre: Centre
) -> None:
    booking, driver = await assigned(api, centre)
    base = f"/api/driver/tasks/{booking['id']}"
    before = await f.snapshot(db)
    for action, body, status, code in [
        ("dropoff", {}, 409, "dispatch.bad_step"),
        ("finish", {"odometer_km": 20000}, 409, "dispatch.bad_step"),
        ("board", {}, 422, "dispatch.checkin_required"),
        ("board", {"code": "ZZZZ"}, 422, "dispatch.checkin_mismatch"),
    ]:
        r = await api.post(f"{base}/{action}", json=body, headers=driver)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (action, r.text)
    assert (await api.post(f"{base}/jump", headers=driver)).status_code == 422
    assert await f.snapshot(db) == before

    r = await api.post(f"{base}/arrive", headers=driver)  # accepting is implied
    assert r.status_code == 200 and r.json()["record"]["accepted_at"] and r.json()["step"] == "arrived"
    again = await api.post(f"{base}/accept", headers=driver)
    assert again.status_code == 409 and again.json()["error"]["code"] == "dispatch.bad_step"
    # a typo in the odometer is caught
    r = await api.post(f"{base}/board", json={"code": booking["checkin_code"], "odometer_km": 9e6}, headers=driver)
    assert r.status_code == 422 and r.json()["error"]["code"] == "dispatch.bad_odometer"
    # a dispatcher may act for the driver (the step is recorded as theirs)
    dispatcher = await f.login(api, centre.dispatcher)
    r = await api.post(f"{base}/board", json={"code": booking["checkin_code"]}, headers=dispatcher)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "in_progress" and r.json()["next"] == "dropoff"
    # the dispatcher has no driver's list of their own; a requester has no driver's page at all
    r = await api.get("/api/driver/tasks", headers=dispatcher)
    assert r.status_code == 404 and r.json()["error"]["code"] == "dispatch.not_a_driver"
    staff = await f.login(api, centre.staff)
    assert (await api.get("/api/driver/tasks", headers=staff)).status_code == 403


async def test_the_driver_sees_pooled_tasks_in_driving_order(api: httpx.AsyncClient, centre: Centre) -> None:
    first, driver = await assigned(api, centre)
    dispatcher = await f.login(api, centre.dispatcher)
    second = await approved(api, centre, frm=MARKET, to=STATION, start_in=32)
    r = await api.post(
        "/api/dispatch/overrides",
        json={"booking_id": second["id"], "vehicle_id": first["vehicle_id"], "driver_id": first["driver_id"]},
        headers=dispatcher,
    )
    plan = r.json()["plan"]
    assert (await api.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=dispatcher)).status_code == 200
    day = (await api.get("/api/driver/tasks", headers=driver)).json()
    assert [t["id"] for t in day["tasks"]] == [first["id"], second["id"]]
    assert len(day["route"]) == 4 and {s["booking_id"] for s in day["route"]} == {first["id"], second["id"]}
    nav = day["tasks"][1]["pickup"]["navigation"]
    assert nav["geo"].startswith(f"geo:{MARKET[0]:.6f},{MARKET[1]:.6f}") and "uri.amap.com/navigation" in nav["amap"]
    assert day["steps"]["boarded"]["zh"] == "乘客已上车" and day["expense_kinds"]["fuel"]["en"] == "Fuel"
