"""A booking's life through the API, on PostgreSQL and on SQLite: submit → approve (budget reserved) →
assign → start → complete, or → cancel (released); the second, senior approval of a trip beyond the city."""

from __future__ import annotations

from decimal import Decimal

import httpx
from sqlalchemy import select

from gongwu.app.platform import Platform
from gongwu.core.audit import AuditRecord, verify
from gongwu.core.budget import service as budget
from gongwu.core.db import Database
from gongwu.dispatch.bookings import flows
from gongwu.dispatch.bookings.flows import SOURCE_TYPE, TOPIC
from gongwu.telematics.state import shared_state
from tests import factories as f
from tests.dispatch.bookings.conftest import MARKET, NORTH, Bureau, booking_body, tomorrow


async def _line(db: Database, line_id: int) -> tuple[Decimal, Decimal]:
    async with db.session() as s:
        line = await budget.get_line(s, line_id)
        return line.reserved, line.available


async def test_submit_approve_then_cancel_reserves_and_releases(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform
) -> None:
    staff, leader = await f.login(api, bureau.staff), await f.login(api, bureau.leader)
    await platform.bus.ensure_group(TOPIC, "test")

    r = await api.post("/api/bookings", json=booking_body(), headers=staff)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["code"].startswith("YC-") and booking["code"].endswith("-0001")
    assert booking["status"] == "submitted" and booking["status_name"]["zh"] == "待审批"
    assert booking["unit_id"] == bureau.office.id and booking["min_seats"] == 3
    assert booking["approval_levels"] == 1 and not booking["beyond_city"] and booking["may_pool"]
    assert 0.5 < booking["estimated_km"] < 2.5 and booking["estimated_minutes"] > 1
    assert Decimal(booking["estimated_cost"]) == (Decimal("10") + Decimal(str(booking["estimated_km"])) * 2).quantize(
        Decimal("0.01")
    )
    assert booking["checkin_code"] and len(booking["checkin_code"]) == 4
    assert [e["kind"] for e in booking["events"]] == ["submitted"]

    # the leader has it in his queue and a notification; the booking is not his to cancel as requester
    pending = (await api.get("/api/approvals/pending", headers=leader)).json()
    assert [b["id"] for b in pending] == [booking["id"]]
    inbox = (await api.get("/api/notifications", headers=leader)).json()
    assert inbox["unread"] == 1 and booking["code"] in inbox["items"][0]["text_zh"]

    r = await api.post(f"/api/bookings/{booking['id']}/approve", json={"reason": "同意"}, headers=leader)
    assert r.status_code == 200, r.text
    approved = r.json()
    assert approved["status"] == "approved" and approved["budget_line_id"] == bureau.line_id
    assert [(a["level"], a["decision"], a["reason"]) for a in approved["approvals"]] == [(1, "approved", "同意")]
    cost = Decimal(approved["estimated_cost"])
    assert await _line(db, bureau.line_id) == (cost, Decimal("10000.00") - cost)
    assert approved["checkin_code"] is None  # the approver does not get the rider's code

    inbox = (await api.get("/api/notifications", headers=staff)).json()
    assert "已批准" in inbox["items"][0]["text_zh"]

    r = await api.post(f"/api/bookings/{booking['id']}/cancel", json={"reason": "会议改期"}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert await _line(db, bureau.line_id) == (Decimal("0.00"), Decimal("10000.00"))
    assert [e["kind"] for e in r.json()["events"]] == ["submitted", "approved", "cancelled"]

    # every step is on the bus, in order, after its commit
    seen = await platform.bus.read(TOPIC, "test", "t", count=10, block_ms=10)
    assert [(d.payload["event"], d.payload["status"]) for d in seen] == [
        ("submitted", "submitted"),
        ("approved", "approved"),
        ("cancelled", "cancelled"),
    ]
    # … and in the audit chain, with the use case named
    async with db.session() as s:
        contexts = (
            await s.scalars(
                select(AuditRecord.context).where(AuditRecord.entity_type == "booking").order_by(AuditRecord.id)
            )
        ).all()
        assert list(dict.fromkeys(contexts)) == [
            "dispatch.booking.submit",
            "dispatch.booking.approve",
            "dispatch.booking.cancel",
        ]
        checked, broken = await verify(s)
        assert broken is None and checked > 0
        entries = await budget.list_entries(s, bureau.line_id)
        assert [(e.kind, e.source_type, e.source_id) for e in reversed(entries)] == [
            ("reserve", SOURCE_TYPE, str(booking["id"])),
            ("release", SOURCE_TYPE, str(booking["id"])),
        ]


async def test_the_whole_trip_assign_start_complete(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform
) -> None:
    staff, leader = await f.login(api, bureau.staff), await f.login(api, bureau.leader)
    booking = (await api.post("/api/bookings", json=booking_body(), headers=staff)).json()
    await api.post(f"/api/bookings/{booking['id']}/approve", headers=leader)
    async with db.session() as s:
        await flows.mark_assigned(
            s,
            booking["id"],
            vehicle_id=bureau.cars["sedan"],
            driver_id=bureau.driver_id,
            planned_pickup_at=tomorrow(1, 5),
            planned_dropoff_at=tomorrow(1, 15),
        )
        await flows.commit(s, platform.bus)
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert seen["status"] == "assigned" and seen["plate"] and seen["driver_name"] == "马师傅"
    assert seen["status_name"]["zh"] == "已派车"
    driver = await f.login(api, bureau.driver_user)
    as_driver = (await api.get(f"/api/bookings/{booking['id']}", headers=driver)).json()
    assert as_driver["checkin_code"] == seen["checkin_code"]  # the driver checks the rider in with it
    driver_inbox = (await api.get("/api/notifications", headers=driver)).json()
    assert driver_inbox["items"][0]["kind"] == "assigned"
    assert seen["live"] is None  # the car has not reported yet

    # the car reports from the market square: the requester sees it and when it reaches the pick-up
    live = shared_state(platform.bus).live
    await live.apply([{"vehicle_id": bureau.cars["sedan"], "lat": MARKET[0], "lon": MARKET[1], "ts": 1}])
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert seen["live"]["target"] == "pickup" and (seen["live"]["lat"], seen["live"]["lon"]) == MARKET
    assert 0 < seen["live"]["eta_minutes"] < 15 and seen["live"]["eta"]

    async with db.session() as s:
        await flows.mark_in_progress(s, booking["id"])
        await flows.commit(s, platform.bus)
    riding = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert riding["status_name"]["zh"] == "行程中" and riding["live"]["target"] == "dropoff"
    async with db.session() as s:
        await flows.mark_completed(s, booking["id"], actual_km=1.8)
        await flows.commit(s, platform.bus)
    done = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    assert done["status"] == "completed" and done["status_name"]["zh"] == "已完成" and done["actual_km"] == 1.8
    assert [e["kind"] for e in done["events"]] == ["submitted", "approved", "assigned", "in_progress", "completed"]
    # the reservation waits for the settlement of the trip's cost
    assert (await _line(db, bureau.line_id))[0] == Decimal(done["estimated_cost"])
    r = await api.post(f"/api/bookings/{booking['id']}/cancel", headers=staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "dispatch.bad_transition"


async def test_beyond_the_city_needs_a_senior_second_approval(
    api: httpx.AsyncClient, db: Database, bureau: Bureau
) -> None:
    staff, leader = await f.login(api, bureau.staff), await f.login(api, bureau.leader)
    director, chief = await f.login(api, bureau.director), await f.login(api, bureau.chief)
    r = await api.post("/api/bookings", json=booking_body(to=NORTH), headers=staff)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["beyond_city"] and booking["approval_levels"] == 2 and booking["pending_level"] == 1
    # the senior approver of the bureau cannot take the first level
    assert (await api.get("/api/approvals/pending", headers=director)).json() == []

    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=leader)
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["approved_level"] == 1
    assert (await _line(db, bureau.line_id))[0] == Decimal("0.00")  # nothing reserved before the last level
    # the same leader cannot give the second approval; a chief is no approver at all
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=leader)
    assert r.status_code == 403 and r.json()["error"]["code"] == "dispatch.same_approver"
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=chief)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.permission_denied"

    assert [b["id"] for b in (await api.get("/api/approvals/pending", headers=director)).json()] == [booking["id"]]
    inbox = (await api.get("/api/notifications", headers=director)).json()
    assert "出市用车" in inbox["items"][0]["text_zh"]
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=director)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and [a["level"] for a in r.json()["approvals"]] == [1, 2]
    assert (await _line(db, bureau.line_id))[0] == Decimal(booking["estimated_cost"])
    # the director decided on it, so he keeps seeing it
    assert (await api.get(f"/api/bookings/{booking['id']}", headers=director)).status_code == 200


async def test_reject_needs_a_reason_and_tells_the_requester(api: httpx.AsyncClient, bureau: Bureau) -> None:
    staff, leader = await f.login(api, bureau.staff), await f.login(api, bureau.leader)
    booking = (await api.post("/api/bookings", json=booking_body(), headers=staff)).json()
    r = await api.post(f"/api/bookings/{booking['id']}/reject", json={"reason": ""}, headers=leader)
    assert r.status_code == 422 and r.json()["error"]["code"] == "dispatch.reason_required"
    r = await api.post(f"/api/bookings/{booking['id']}/reject", json={"reason": "可乘地铁前往"}, headers=leader)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["approvals"][0]["decision"] == "rejected"
    inbox = (await api.get("/api/notifications", headers=staff)).json()
    assert inbox["items"][0]["text_zh"].endswith("被驳回：可乘地铁前往")
    r = await api.post("/api/notifications/read", json={}, headers=staff)
    assert r.json() == {"marked": 1, "unread": 0}
