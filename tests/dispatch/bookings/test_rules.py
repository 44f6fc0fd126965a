"""Every rule of official-car use refuses with its own code and a clear message, and changes nothing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from gongwu.app.platform import Platform
from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.routing.service import RoutingService
from gongwu.routing.settings import RoutingSettings
from tests import factories as f
from tests.dispatch.bookings.conftest import OUTSIDE, Bureau, booking_body, tomorrow

IN_TWO_DAYS = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=2)
IN_THREE_DAYS = IN_TWO_DAYS + timedelta(days=1)


def window(start: datetime, minutes: int = 60) -> dict[str, str]:
    return {"earliest_pickup": start.isoformat(), "latest_arrival": (start + timedelta(minutes=minutes)).isoformat()}


REFUSED: list[tuple[str, dict[str, Any], int, str]] = [
    ("arrival before pick-up", window(tomorrow(2), -30), 422, "dispatch.window_order"),
    ("pick-up in the past", window(datetime.now(UTC) - timedelta(hours=3)), 422, "dispatch.window_past"),
    ("too far ahead", window(datetime.now(UTC) + timedelta(days=90)), 422, "dispatch.window_too_far"),
    ("window shorter than the drive", window(tomorrow(2), 3), 422, "dispatch.window_too_short"),
    (
        "drop-off off the map",
        {"dropoff": {"lat": OUTSIDE[0], "lon": OUTSIDE[1], "address": "x"}},
        422,
        "routing.outside_map",
    ),
    ("unknown category", {"category": "tank"}, 422, "dispatch.unknown_category"),
    ("confidential trip in an ordinary car", {"confidential": True}, 422, "dispatch.confidential_category"),
    ("ordinary trip in a confidential car", {"category": "confidential"}, 422, "dispatch.confidential_category"),
    ("leader trip by a staff member", {"leader_trip": True}, 403, "dispatch.leader_rank"),
    ("more riders than the biggest car seats", {"passengers": 8, "passenger_names": []}, 422, "dispatch.no_car_fits"),
    ("a bigger car than any", {"min_seats": 20}, 422, "dispatch.no_car_fits"),
    ("more names than riders", {"passengers": 1}, 422, "dispatch.passenger_names"),
    ("the unit sealed", window(IN_TWO_DAYS), 409, "dispatch.unit_sealed"),
    ("every fitting car sealed", window(IN_THREE_DAYS), 409, "dispatch.fleet_sealed"),
    ("another unit pays", {"unit_id": "OTHER"}, 403, "auth.out_of_scope"),
    ("no purpose", {"purpose": "   "}, 422, "invalid_input"),
    ("nowhere to go", {"dropoff": {"lat": 60.16630, "lon": 24.94265, "address": "x"}}, 422, "dispatch.same_place"),
]


async def _seal(db: Database, bureau: Bureau) -> None:
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        await fleet.create_seal(
            s,
            unit_id=bureau.organ.id,
            reason="国庆假期封存",
            starts_at=IN_TWO_DAYS,
            ends_at=IN_TWO_DAYS + timedelta(hours=20),
        )
        for vehicle_id in (bureau.cars["sedan"], bureau.cars["van"], bureau.cars["leader"]):  # the day after
            await fleet.create_seal(
                s,
                vehicle_id=vehicle_id,
                reason="年检",
                starts_at=IN_THREE_DAYS,
                ends_at=IN_THREE_DAYS + timedelta(hours=20),
            )
        await s.commit()


async def test_each_rule_is_refused_with_its_code_and_nothing_changes(
    api: httpx.AsyncClient, db: Database, bureau: Bureau
) -> None:
    await _seal(db, bureau)
    staff = await f.login(api, bureau.staff)
    before = await f.snapshot(db)
    for name, change, status, code in REFUSED:
        if change.get("unit_id") == "OTHER":
            change = {"unit_id": bureau.other.id}
        r = await api.post("/api/bookings", json=booking_body(**change), headers=staff)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), f"{name}: {r.text}"
        assert r.json()["error"]["message"], name
    assert await f.snapshot(db) == before
    # and the same request within the rules is taken
    r = await api.post("/api/bookings", json=booking_body(), headers=staff)
    assert r.status_code == 201, r.text


async def test_categories_follow_the_units_quota_and_confidential_trips_never_pool(
    api: httpx.AsyncClient, bureau: Bureau
) -> None:
    staff, other = await f.login(api, bureau.staff), await f.login(api, bureau.other_staff)
    secret = booking_body(category="confidential", confidential=True, poolable=True)
    r = await api.post("/api/bookings", json=secret, headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "dispatch.category_not_allowed"
    assert "编制" in r.json()["error"]["message"]
    r = await api.post("/api/bookings", json=secret, headers=staff)  # the organ holds a confidential quota
    assert r.status_code == 201 and r.json()["may_pool"] is False and r.json()["poolable"] is True
    leader = await f.login(api, bureau.leader)
    r = await api.post("/api/bookings", json=booking_body(leader_trip=True), headers=leader)
    assert r.status_code == 201 and r.json()["may_pool"] is False
    catalog = (await api.get("/api/bookings/catalog", headers=other)).json()
    allowed = {c["code"]: c["allowed"] for c in catalog["categories"]}
    assert allowed["other"] and not allowed["confidential"]
    assert {c["code"]: c["max_seats"] for c in catalog["categories"]}["other"] == 7


async def test_approval_is_refused_without_budget_room_and_changes_nothing(
    api: httpx.AsyncClient, db: Database, bureau: Bureau
) -> None:
    other, other_leader = await f.login(api, bureau.other_staff), await f.login(api, bureau.other_leader)
    booking = (await api.post("/api/bookings", json=booking_body(), headers=other)).json()
    before = await f.snapshot(db)
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=other_leader)
    assert r.status_code == 409 and r.json()["error"]["code"] == "budget.insufficient"
    assert "5.00" in r.json()["error"]["message"]
    assert await f.snapshot(db) == before


async def test_who_may_approve_and_cancel(api: httpx.AsyncClient, db: Database, bureau: Bureau) -> None:
    leader, staff = await f.login(api, bureau.leader), await f.login(api, bureau.staff)
    other_leader, other = await f.login(api, bureau.other_leader), await f.login(api, bureau.other_staff)
    own = (await api.post("/api/bookings", json=booking_body(), headers=leader)).json()
    theirs = (await api.post("/api/bookings", json=booking_body(), headers=staff)).json()
    before = await f.snapshot(db)
    r = await api.post(f"/api/bookings/{own['id']}/approve", headers=leader)
    assert r.status_code == 403 and r.json()["error"]["code"] == "dispatch.own_booking"
    r = await api.post(f"/api/bookings/{theirs['id']}/approve", headers=other_leader)  # another organ's
    assert r.status_code == 404 and r.json()["error"]["code"] == "dispatch.booking_not_found"
    r = await api.post(f"/api/bookings/{theirs['id']}/approve", headers=staff)
    assert r.status_code == 403 and r.json()["error"]["code"] == "auth.permission_denied"
    r = await api.post(f"/api/bookings/{theirs['id']}/cancel", headers=other)
    assert r.status_code == 404
    assert await f.snapshot(db) == before
    r = await api.post(f"/api/bookings/{theirs['id']}/cancel", headers=leader)  # the unit's approver may
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = await api.post(f"/api/bookings/{theirs['id']}/approve", headers=leader)
    assert r.status_code == 409 and r.json()["error"]["code"] == "dispatch.bad_transition"


async def test_monthly_quota(api: httpx.AsyncClient, bureau: Bureau, platform: Platform) -> None:
    platform.settings = dataclasses.replace(
        platform.settings, dispatch=platform.settings.dispatch.model_copy(update={"unit_monthly_bookings": 1})
    )
    staff = await f.login(api, bureau.staff)
    assert (await api.post("/api/bookings", json=booking_body(), headers=staff)).status_code == 201
    r = await api.post("/api/bookings", json=booking_body(), headers=staff)
    assert r.status_code == 409 and r.json()["error"]["code"] == "dispatch.monthly_quota"


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
async def test_without_a_map_booking_says_so(api: httpx.AsyncClient, bureau: Bureau, tmp_path: Any) -> None:
    api._transport.app.state.routing = RoutingService(RoutingSettings(), tmp_path / "none", "Asia/Shanghai")  # type: ignore[attr-defined]
    r = await api.post("/api/bookings", json=booking_body(), headers=await f.login(api, bureau.staff))
    assert r.status_code == 503 and r.json()["error"]["code"] == "routing.map_not_imported"
