"""A working day of three simulated cars over real TCP: one driven with no booking (flagged as soon as its trip
ends, from the bus), one refuelled on its card while it stood 10 km from the station (flagged by the nightly
audit), one that served its booking as approved (nothing found). A supervisor decides a finding; it is kept in
the audit chain; the nightly audit run again finds nothing new."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from gongwu.core.audit import AuditRecord
from gongwu.core.identity.models import User, UserRole
from gongwu.core.identity.service import load_principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.estimates import StraightLineEstimator
from gongwu.dispatch.bookings.schemas import BookingIn, StopIn
from gongwu.dispatch.costs import sources
from gongwu.dispatch.costs.models import FuelTransaction
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.dispatch.costs.settlement import Policy
from gongwu.dispatch.settings import DispatchSettings
from gongwu.dispatch.supervision import runtime
from gongwu.dispatch.supervision.audit import Auditor
from gongwu.dispatch.supervision.models import Finding
from gongwu.dispatch.supervision.settings import SupervisionSettings
from gongwu.telematics import service as telematics
from tests import factories as f
from tests.dispatch.costs.conftest import fuel_csv

from .conftest import Rig, line

ZONE = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 10, 14)  # a Wednesday
GOV = (39.9087, 116.3975)
NORTH = (39.9500, 116.3975)
EAST = (39.9087, 116.4600)
FAR = ((39.9500, 116.4500), (39.9900, 116.4800))


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=ZONE)


async def _book_normal_trip(rig: Rig) -> int:
    policy = bookings.Policy(DispatchSettings(city_area=None), "Asia/Shanghai")
    async with rig.platform.db.session() as s:
        booking = await bookings.submit_booking(
            s,
            await load_principal(s, rig.staff.id),
            BookingIn(
                purpose="赴东区调研", passengers=2,
                pickup=StopIn(lat=GOV[0], lon=GOV[1], address="市政府"),
                dropoff=StopIn(lat=EAST[0], lon=EAST[1], address="东区管委会"),
                earliest_pickup=local(14), latest_arrival=local(15, 30),
            ),
            policy=policy, estimator=StraightLineEstimator(), now=local(9) - timedelta(days=1),
        )  # fmt: skip
        await bookings.approve(
            s, await load_principal(s, rig.leader.id), booking.id, policy=policy, now=local(9) - timedelta(days=1)
        )
        await bookings.mark_assigned(
            s, booking.id, vehicle_id=rig.cars["normal"][0], driver_id=rig.driver_id, planned_pickup_at=local(14),
            planned_dropoff_at=local(14, 20), policy=policy,
        )  # fmt: skip
        await bookings.mark_in_progress(s, booking.id, policy=policy)
        await s.commit()
        return booking.id


async def _closed_trips(rig: Rig, count: int) -> dict[int, Any]:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        async with rig.platform.db.session() as s:
            trips = {}
            for vehicle_id, _, _ in rig.cars.values():
                for t in await telematics.list_trips(s, None, vehicle_id, local(0), local(23)):
                    if t.status == "closed":
                        trips[vehicle_id] = t
        if len(trips) >= count:
            return trips
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {len(trips)} trips closed")
        await asyncio.sleep(0.1)


async def _findings(rig: Rig, **where: Any) -> list[Finding]:
    async with rig.platform.db.session() as s:
        query = select(Finding).order_by(Finding.id)
        for key, value in where.items():
            query = query.where(getattr(Finding, key) == value)
        return list((await s.scalars(query)).all())


async def test_a_simulated_day_private_use_and_a_refuel_elsewhere_are_flagged_a_normal_trip_is_not(
    rig: Rig, api: httpx.AsyncClient
) -> None:
    booking_id = await _book_normal_trip(rig)
    stop = asyncio.Event()
    (on_trips,) = runtime.background_tasks(SupervisionSettings(nightly_enabled=False))
    auditing = asyncio.create_task(on_trips(rig.platform, stop))
    try:
        await asyncio.gather(
            rig.drive("private", local(10), line(GOV, NORTH)),
            rig.drive("refuel", local(13, 30), line(*FAR)),
            rig.drive("normal", local(14), line(GOV, EAST)),
        )
        trips = await _closed_trips(rig, 3)
        private_id = rig.cars["private"][0]
        deadline = asyncio.get_running_loop().time() + 15
        while not await _findings(rig, vehicle_id=private_id, rule="no_booking"):  # the trip's end, from the bus
            assert asyncio.get_running_loop().time() < deadline, "no finding from the finished trip"
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(auditing, 10)

    normal = trips[rig.cars["normal"][0]]
    async with rig.platform.db.session() as s:
        await bookings.mark_completed(s, booking_id, actual_km=normal.distance_km, trip_id=normal.id)
        policy = Policy(CostsSettings(), "Asia/Shanghai")
        await sources.import_fuel(
            s,
            fuel_csv({"txn": "CARD-1", "plate": rig.cars["refuel"][2], "time": "2026-10-14 13:45", "litres": 35,
                      "price": 7.6, "amount": "266.00"}),
            "statement.csv",
            policy,
        )  # fmt: skip
        await s.commit()
        txn = await s.scalar(select(FuelTransaction))
        assert txn is not None and txn.match_status == "elsewhere" and txn.distance_m > 5000

    auditor = Auditor(rig.platform.db, SupervisionSettings(), "Asia/Shanghai")
    run = await auditor.audit_day(DAY)
    assert run.vehicles == 3

    (private,) = await _findings(rig, vehicle_id=rig.cars["private"][0])
    assert private.rule == "no_booking" and private.trip_id == trips[private.vehicle_id].id
    assert len(private.evidence["points"]) > 10 and private.evidence["numbers"]["km"] > 4
    refuel = await _findings(rig, vehicle_id=rig.cars["refuel"][0])
    assert {x.rule for x in refuel} == {"no_booking", "refuel_elsewhere"}
    elsewhere = next(x for x in refuel if x.rule == "refuel_elsewhere")
    assert elsewhere.severity == "critical" and elsewhere.evidence["numbers"]["distance_m"] > 5000
    assert {p["role"] for p in elsewhere.evidence["places"]} == {"station", "car"}
    assert await _findings(rig, vehicle_id=rig.cars["normal"][0]) == []

    again = await auditor.audit_day(DAY)  # idempotent
    assert again.findings == 0 and len(await _findings(rig)) == 3

    h = await f.login(api, await _supervisor(rig))
    queue = (await api.get("/api/supervision/findings", params={"status": "open"}, headers=h)).json()
    assert {q["rule"] for q in queue} == {"no_booking", "refuel_elsewhere"} and len(queue) == 3
    refused = await api.post(
        f"/api/supervision/findings/{private.id}/decision", json={"status": "confirmed"}, headers=h
    )
    assert refused.status_code == 422
    decided = await api.post(
        f"/api/supervision/findings/{private.id}/decision",
        json={"status": "explained", "reason": "驾驶员送车保养，已补登记"},
        headers=h,
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["status"] == "explained" and body["decided_by"] == "测试用户" and body["evidence"]["points"]
    async with rig.platform.db.session() as s:
        records = await s.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.context == "supervision.finding.explained")
        )
    assert records == 1


async def _supervisor(rig: Rig) -> User:
    async with rig.platform.db.session() as s:
        found = await s.scalar(
            select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == "supervisor")
        )
        assert found is not None
        return found
