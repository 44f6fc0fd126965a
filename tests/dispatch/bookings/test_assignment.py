"""Dispatch's steps keep the rules of the car: category, seats, leaders' cars, seals, windows, and never pooling
a trip that may not be pooled; a re-assignment and an un-assignment tell the drivers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from gongwu.app.platform import Platform
from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.errors import DomainError
from gongwu.core.fleet import service as fleet
from gongwu.dispatch.bookings import flows
from gongwu.dispatch.notify.models import Notification
from tests import factories as f
from tests.dispatch.bookings.conftest import Bureau, booking_body, tomorrow

WORKER = Actor(None, "dispatch.worker")


async def _approved(api: httpx.AsyncClient, bureau: Bureau, **body: object) -> int:
    staff, leader = await f.login(api, bureau.staff), await f.login(api, bureau.leader)
    booking = (await api.post("/api/bookings", json=booking_body(**body), headers=staff)).json()
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=leader)
    assert r.status_code == 200, r.text
    return int(booking["id"])


async def _assign(db: Database, booking_id: int, vehicle_id: int, driver_id: int, **kw: object) -> None:
    async with db.session() as s:
        await flows.mark_assigned(
            s,
            booking_id,
            vehicle_id=vehicle_id,
            driver_id=driver_id,
            planned_pickup_at=kw.pop("pickup", tomorrow(1, 10)),  # type: ignore[arg-type]
            planned_dropoff_at=kw.pop("dropoff", tomorrow(1, 20)),  # type: ignore[arg-type]
            actor=WORKER,
            **kw,  # type: ignore[arg-type]
        )
        await s.commit()


async def _refused(db: Database, booking_id: int, vehicle_id: int, driver_id: int, code: str, **kw: object) -> None:
    with pytest.raises(DomainError) as caught:
        await _assign(db, booking_id, vehicle_id, driver_id, **kw)
    assert caught.value.code == code


async def test_the_car_must_fit_the_booking(api: httpx.AsyncClient, db: Database, bureau: Bureau) -> None:
    normal = await _approved(api, bureau)
    big = await _approved(api, bureau, passengers=5, passenger_names=[])
    cars, driver = bureau.cars, bureau.driver_id
    await _refused(db, normal, cars["confidential"], driver, "dispatch.vehicle_category")
    await _refused(db, big, cars["sedan"], driver, "dispatch.vehicle_seats")
    await _refused(db, normal, cars["leader"], driver, "dispatch.dedicated_car")
    await _refused(db, normal, cars["sedan"], driver, "dispatch.plan_outside_window", pickup=tomorrow(0, 30))
    await _refused(db, normal, cars["sedan"], driver, "dispatch.plan_outside_window", dropoff=tomorrow(3))
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        await fleet.create_seal(
            s, vehicle_id=cars["sedan"], reason="年检", starts_at=tomorrow(0), ends_at=tomorrow(0) + timedelta(hours=5)
        )
        await s.commit()
    await _refused(db, normal, cars["sedan"], driver, "dispatch.vehicle_sealed")
    await _assign(db, big, cars["van"], driver)  # a 7-seat van takes five riders
    with pytest.raises(DomainError) as caught:
        async with db.session() as s:
            await flows.mark_completed(s, big)
    assert caught.value.code == "dispatch.bad_transition"


async def test_trips_that_may_not_pool_never_share_a_car(api: httpx.AsyncClient, db: Database, bureau: Bureau) -> None:
    shared_a = await _approved(api, bureau)
    shared_b = await _approved(api, bureau, passengers=1, passenger_names=[])
    private = await _approved(api, bureau, poolable=False)
    van, driver = bureau.cars["van"], bureau.driver_id
    await _assign(db, shared_a, van, driver)
    await _assign(db, shared_b, van, driver)  # both allow pooling: one car
    await _refused(db, private, van, driver, "dispatch.pooling_forbidden")
    await _assign(db, private, bureau.cars["sedan"], driver)


async def test_reassign_and_unassign_tell_the_people_concerned(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform
) -> None:
    booking = await _approved(api, bureau)
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        other = await f.user(s, bureau.bureau, "driver", rank="worker")
        second = await fleet.create_driver(
            s,
            name="朱师傅",
            unit_id=bureau.bureau.id,
            licence_class="B1",
            licence_expiry=tomorrow(0).date() + timedelta(days=900),
            user_id=other.id,
        )
        await s.commit()
    await _assign(db, booking, bureau.cars["sedan"], bureau.driver_id)
    await _assign(db, booking, bureau.cars["van"], second.id)
    async with db.session() as s:
        b = await flows.unassign(s, booking, actor=WORKER, reason="车辆故障")
        assert (b.status, b.vehicle_id, b.driver_id, b.planned_pickup_at) == ("approved", None, None, None)
        await flows.commit(s, platform.bus)
    async with db.session() as s:
        kinds = {
            (n.user_id, n.kind)
            for n in (await s.scalars(select(Notification).where(Notification.booking_id == booking))).all()
        }
    assert {
        (bureau.driver_user.id, "assigned"),
        (bureau.driver_user.id, "reassigned"),  # the first driver hears the task went elsewhere
        (other.id, "reassigned"),
        (other.id, "unassigned"),
        (bureau.staff.id, "unassigned"),
    } <= kinds
    events = (await api.get(f"/api/bookings/{booking}", headers=await f.login(api, bureau.staff))).json()["events"]
    assert [e["kind"] for e in events] == ["submitted", "approved", "assigned", "reassigned", "unassigned"]
    assert events[-1]["note"] == "车辆故障" and events[-1]["actor_name"] == "dispatch.worker"
