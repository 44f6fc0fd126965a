"""A booking's whole life through the API, on PostgreSQL and on SQLite: the requester books → the approver
approves (budget reserved) → the optimizer plans and the dispatcher accepts → the driver accepts, arrives,
checks the rider in with the code, drops off and finishes with the odometer → the requester sees it done, with
the telematics trip that served it linked and the reservation still waiting for the cost's settlement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import select

from gongwu.app.platform import Platform
from gongwu.core.audit import AuditRecord, verify
from gongwu.core.budget import service as budget
from gongwu.core.db import Database
from gongwu.dispatch.bookings.flows import TOPIC
from gongwu.dispatch.pooling.models import DispatchPlan
from gongwu.telematics.models import Trip
from tests import factories as f
from tests.dispatch.pooling.conftest import Centre, approved


async def test_book_approve_plan_accept_drive_complete(
    api: httpx.AsyncClient, db: Database, centre: Centre, platform: Platform
) -> None:
    await platform.bus.ensure_group(TOPIC, "life")
    booking = await approved(api, centre)
    cost = Decimal(booking["estimated_cost"])
    async with db.session() as s:
        line = await budget.get_line(s, centre.line_id)
        assert line.reserved == cost  # reserved at approval

    dispatcher = await f.login(api, centre.dispatcher)
    r = await api.post("/api/dispatch/plans/run", headers=dispatcher)
    assert r.status_code == 200, r.text
    run = r.json()
    proposal = run["plan"]
    assert not run["unchanged"] and proposal["status"] == "proposed" and proposal["verified"]
    assert proposal["changes"]["assign"] == [booking["id"]] and proposal["unserved"] == []
    (route,) = proposal["routes"]
    assert [(s["booking_id"], s["kind"]) for s in route["stops"]] == [
        (booking["id"], "pickup"),
        (booking["id"], "dropoff"),
    ]
    pickup, dropoff = route["stops"]
    assert pickup["start_at"] >= booking["earliest_pickup"] and dropoff["start_at"] <= booking["latest_arrival"]
    assert route["start_source"] == "depot" and route["distance_km"] > 0.3
    # the requester has no say in dispatch
    staff = await f.login(api, centre.staff)
    assert (await api.post("/api/dispatch/plans/run", headers=staff)).status_code == 403

    r = await api.post(f"/api/dispatch/plans/{proposal['id']}/accept", headers=dispatcher)
    assert r.status_code == 200, r.text
    assert r.json()["assigned"] == [booking["id"]] and r.json()["plan"]["status"] == "accepted"
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert seen["status"] == "assigned" and seen["vehicle_id"] == route["vehicle_id"]
    assert seen["driver_name"] == route["driver_name"] and seen["planned_pickup_at"] == pickup["start_at"]
    plans = (await api.get("/api/dispatch/plans", headers=dispatcher)).json()
    assert plans["proposal"] is None and plans["in_force"]["id"] == proposal["id"]
    # accepting twice is refused
    again = await api.post(f"/api/dispatch/plans/{proposal['id']}/accept", headers=dispatcher)
    assert again.status_code == 409 and again.json()["error"]["code"] == "dispatch.plan_outdated"

    # the driver's phone
    login = next(u for u, d in centre.drivers if d == route["driver_id"])
    driver = await f.login(api, login)
    day = (await api.get("/api/driver/tasks", headers=driver)).json()
    (task,) = day["tasks"]
    assert task["id"] == booking["id"] and task["next"] == "accept" and task["plate"] == route["plate"]
    assert task["pickup"]["navigation"]["geo"].startswith("geo:60.16")
    assert day["car"]["vehicle_id"] == route["vehicle_id"]
    other = await f.login(api, next(u for u, d in centre.drivers if d != route["driver_id"]))
    assert (await api.post(f"/api/driver/tasks/{booking['id']}/accept", headers=other)).status_code == 404

    for action in ("accept", "arrive"):
        r = await api.post(f"/api/driver/tasks/{booking['id']}/{action}", headers=driver)
        assert r.status_code == 200, r.text
    assert r.json()["step"] == "arrived" and r.json()["next"] == "board"
    wrong = await api.post(f"/api/driver/tasks/{booking['id']}/board", json={"code": "0000"}, headers=driver)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "dispatch.checkin_mismatch"
    assert (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()["status"] == "assigned"
    code = seen["checkin_code"]
    odo = day["car"]["odometer_km"]
    r = await api.post(
        f"/api/driver/tasks/{booking['id']}/board",
        json={"code": code.lower(), "odometer_km": odo + 0.4},
        headers=driver,
    )
    assert r.status_code == 200, r.text
    assert (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()["status"] == "in_progress"
    finish_early = await api.post(f"/api/driver/tasks/{booking['id']}/finish", json={}, headers=driver)
    assert finish_early.status_code == 422 and finish_early.json()["error"]["code"] == "dispatch.odometer_required"

    # the terminal's trip of that car around the ride
    now = datetime.now(UTC)
    async with db.session() as s:
        s.add(
            Trip(
                vehicle_id=route["vehicle_id"],
                unit_id=centre.organ.id,
                status="closed",
                start_time=now - timedelta(minutes=12),
                end_time=now + timedelta(minutes=1),
                distance_km=2.35,
                duration_s=780.0,
            )
        )
        s.add(
            Trip(
                vehicle_id=route["vehicle_id"],
                unit_id=centre.organ.id,
                status="closed",
                start_time=now - timedelta(hours=5),
                end_time=now - timedelta(hours=4),
                distance_km=30.0,
            )
        )
        await s.commit()
    assert (await api.post(f"/api/driver/tasks/{booking['id']}/dropoff", headers=driver)).status_code == 200
    backwards = await api.post(f"/api/driver/tasks/{booking['id']}/finish", json={"odometer_km": odo}, headers=driver)
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "dispatch.odometer_backwards"
    r = await api.post(f"/api/driver/tasks/{booking['id']}/finish", json={"odometer_km": odo + 2.9}, headers=driver)
    assert r.status_code == 200, r.text
    record = r.json()["record"]
    assert r.json()["step"] == "finished" and r.json()["next"] is None
    assert record["actual_km"] == 2.5 and record["trip_km"] == 2.35 and record["trip_id"]
    assert record["planned_pickup_at"] == pickup["start_at"] and record["boarded_at"] and record["dropped_at"]

    done = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert done["status"] == "completed" and done["status_name"]["zh"] == "已完成"
    assert done["actual_km"] == 2.5 and done["telematics_trip_id"] == record["trip_id"]
    assert [e["kind"] for e in done["events"]] == ["submitted", "approved", "assigned", "in_progress", "completed"]
    async with db.session() as s:
        line = await budget.get_line(s, centre.line_id)
        assert line.reserved == cost  # kept until the trip's cost is settled (the cost work charges it)
        plans_stored = (await s.scalars(select(DispatchPlan))).all()
        assert plans_stored and all(p.verified for p in plans_stored)
        contexts = set((await s.scalars(select(AuditRecord.context))).all())
        assert {"dispatch.plan.accept", "dispatch.task.accept", "dispatch.task.finish"} <= contexts
        checked, broken = await verify(s)
        assert broken is None and checked > 0
    events = await platform.bus.read(TOPIC, "life", "t", count=20, block_ms=10)
    assert [d.payload["event"] for d in events] == ["submitted", "approved", "assigned", "in_progress", "completed"]


async def test_a_trip_cancelled_after_dispatch_releases_its_budget_and_leaves_the_plan(
    api: httpx.AsyncClient, db: Database, centre: Centre
) -> None:
    booking = await approved(api, centre)
    other = await approved(api, centre, start_in=45)
    dispatcher = await f.login(api, centre.dispatcher)
    plan = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()["plan"]
    await api.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=dispatcher)
    staff = await f.login(api, centre.staff)
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    login = next(u for u, d in centre.drivers if d == seen["driver_id"])
    driver = await f.login(api, login)
    assert booking["id"] in [t["id"] for t in (await api.get("/api/driver/tasks", headers=driver)).json()["tasks"]]

    r = await api.post(f"/api/bookings/{booking['id']}/cancel", json={"reason": "会议取消"}, headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    async with db.session() as s:
        line = await budget.get_line(s, centre.line_id)
        assert line.reserved == Decimal(other["estimated_cost"])  # the cancelled one's reservation is released
    assert booking["id"] not in [t["id"] for t in (await api.get("/api/driver/tasks", headers=driver)).json()["tasks"]]
    later = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()["plan"]
    planned = {s["booking_id"] for r in later["routes"] for s in r["stops"]} | {
        u["booking_id"] for u in later["unserved"]
    }
    assert planned == {other["id"]}
    # a driver cannot start a cancelled trip
    r = await api.post(f"/api/driver/tasks/{booking['id']}/accept", headers=driver)
    assert r.status_code == 409
