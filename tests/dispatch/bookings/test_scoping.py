"""Who sees which bookings: requesters their own, approvers their unit subtree's, dispatchers every one."""

from __future__ import annotations

import httpx

from tests import factories as f
from tests.dispatch.bookings.conftest import Bureau, booking_body


async def test_each_sees_what_their_role_and_unit_allow(api: httpx.AsyncClient, bureau: Bureau) -> None:
    staff, chief = await f.login(api, bureau.staff), await f.login(api, bureau.chief)
    leader, other = await f.login(api, bureau.leader), await f.login(api, bureau.other_staff)
    dispatcher = await f.login(api, bureau.dispatcher)
    a = (await api.post("/api/bookings", json=booking_body(), headers=staff)).json()
    b = (await api.post("/api/bookings", json=booking_body(purpose="财政检查"), headers=other)).json()

    def ids(response: httpx.Response) -> set[int]:
        assert response.status_code == 200, response.text
        return {x["id"] for x in response.json()}

    assert ids(await api.get("/api/bookings", headers=staff)) == {a["id"]}
    assert ids(await api.get("/api/bookings", headers=other)) == {b["id"]}
    assert ids(await api.get("/api/bookings", headers=chief)) == set()  # same organ, but no approver
    assert ids(await api.get("/api/bookings", headers=leader)) == {a["id"]}
    assert ids(await api.get("/api/bookings", params={"mine": True}, headers=leader)) == set()
    assert ids(await api.get("/api/bookings", headers=dispatcher)) == {a["id"], b["id"]}
    assert ids(await api.get("/api/bookings", params={"status": "approved"}, headers=dispatcher)) == set()

    r = await api.get(f"/api/bookings/{a['id']}", headers=other)
    assert r.status_code == 404 and r.json()["error"]["code"] == "dispatch.booking_not_found"
    assert (await api.get(f"/api/bookings/{a['id']}", headers=chief)).status_code == 404
    seen = (await api.get(f"/api/bookings/{a['id']}", headers=dispatcher)).json()
    assert seen["requester_name"] == "测试用户" and seen["checkin_code"] is None
    assert (await api.get(f"/api/bookings/{a['id']}", headers=staff)).json()["can_cancel"] is True
    assert (await api.get(f"/api/bookings/{a['id']}", headers=leader)).json()["can_approve"] is True
    # the dispatcher's page has no approval queue
    r = await api.get("/api/approvals/pending", headers=dispatcher)
    assert r.status_code == 403


async def test_places_are_the_bureaus_and_the_units(api: httpx.AsyncClient, bureau: Bureau) -> None:
    staff, dispatcher = await f.login(api, bureau.staff), await f.login(api, bureau.dispatcher)
    r = await api.post(
        "/api/bookings/places",
        json={
            "name": "发改委大楼",
            "address": "Annankatu",
            "lat": 60.16446,
            "lon": 24.94028,
            "unit_id": bureau.organ.id,
        },
        headers=dispatcher,
    )
    assert r.status_code == 201, r.text
    names = [p["name"] for p in (await api.get("/api/bookings/places", headers=staff)).json()]
    assert names == ["市政府", "火车站", "发改委大楼"]
    other = await f.login(api, bureau.other_staff)
    assert [p["name"] for p in (await api.get("/api/bookings/places", headers=other)).json()] == ["市政府", "火车站"]
    r = await api.post("/api/bookings/places", json={"name": "x", "address": "y", "lat": 1, "lon": 2}, headers=staff)
    assert r.status_code == 403
