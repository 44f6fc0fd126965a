"""A small bureau whose cars cost money: the car-service centre owns the cars, a client organ books them, both
have 2026 budget lines of 公务用车运行维护费; bookings are filed, approved, assigned, driven and completed through
the booking flows themselves (straight-line estimates: no map needed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from gongwu.core.audit import Actor, set_actor
from gongwu.core.budget.models import BudgetEntry, BudgetLine
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.models import OrgUnit, User
from gongwu.core.identity.service import load_principal
from gongwu.dispatch.bookings import flows as bookings
from gongwu.dispatch.bookings.estimates import StraightLineEstimator
from gongwu.dispatch.bookings.schemas import BookingIn, StopIn
from gongwu.dispatch.costs.models import CostEntry, CostPosting, FuelStation
from gongwu.dispatch.costs.settings import CostsSettings
from gongwu.dispatch.costs.settlement import Policy
from gongwu.dispatch.settings import DispatchSettings
from tests import factories as f

TZ = "Asia/Shanghai"
BUREAU = (39.9087, 116.3975)
PLACES = {
    "gov": (39.9087, 116.3975),
    "station": (39.9029, 116.4270),
    "centre": (39.9350, 116.4500),
    "airport": (40.0799, 116.6031),
}
STATION = ("S001", "中石化长安街加油站", 39.9070, 116.4100)


@dataclass
class Shop:
    centre: OrgUnit
    organ: OrgUnit
    other: OrgUnit
    staff: User
    leader: User
    other_staff: User
    other_leader: User
    cars: dict[str, int]
    driver_id: int
    lines: dict[str, int]


@pytest.fixture
def policy() -> Policy:
    return Policy(CostsSettings(), TZ)


@pytest.fixture
async def shop(db: Database) -> Shop:
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        root = await f.unit(s, name="机关事务管理局")
        centre = await f.unit(s, parent=root, name="公务用车服务中心")
        organ = await f.unit(s, name="发改委")
        other = await f.unit(s, name="财政局")
        staff = await f.user(s, organ, "requester")
        leader = await f.user(s, organ, "approver", "requester", rank="director_general")
        other_staff = await f.user(s, other, "requester")
        other_leader = await f.user(s, other, "approver", "requester", rank="director_general")
        driver = await fleet.create_driver(
            s, name="马师傅", unit_id=centre.id, licence_class="B1", licence_expiry=date(2030, 1, 1)
        )
        cars = {
            "sedan": (
                await f.vehicle(s, centre, seats=5, purchase_price=Decimal(192_000), fuel_tank_l=60.0, l_per_100km=8.0)
            ).id,
            "van": (
                await f.vehicle(s, centre, seats=7, purchase_price=Decimal(240_000), fuel_tank_l=70.0, l_per_100km=10.0)
            ).id,
            "ev": (await f.vehicle(s, centre, seats=5, energy_type="bev", purchase_price=Decimal(150_000))).id,
        }
        lines = {
            "centre": (await f.budget_line(s, centre, 200_000)).id,
            "organ": (await f.budget_line(s, organ, 50_000)).id,
            "other": (await f.budget_line(s, other, 50_000)).id,
        }
        s.add(FuelStation(code=STATION[0], name=STATION[1], lat=STATION[2], lon=STATION[3], supplier="中石化"))
        await s.commit()
    return Shop(centre, organ, other, staff, leader, other_staff, other_leader, cars, driver.id, lines)


async def book(
    db: Database,
    shop: Shop,
    car: str,
    pickup_at: datetime,
    *,
    frm: str = "gov",
    to: str = "station",
    minutes: int = 40,
    actual_km: float | None = None,
    trip_id: int | None = None,
    passengers: int = 1,
    other_unit: bool = False,
    complete: bool = True,
    planned: tuple[datetime, datetime] | None = None,
) -> int:
    """A booking through its whole life (filed a day ahead, approved, assigned, driven, completed); its id."""
    requester, approver = (shop.other_staff, shop.other_leader) if other_unit else (shop.staff, shop.leader)
    policy = bookings.Policy(DispatchSettings(city_area=None), TZ)
    async with db.session() as s:
        who = await load_principal(s, requester.id)
        body = BookingIn(
            purpose="调研" if not other_unit else "预算评审",
            passengers=passengers,
            pickup=StopIn(lat=PLACES[frm][0], lon=PLACES[frm][1], address=frm),
            dropoff=StopIn(lat=PLACES[to][0], lon=PLACES[to][1], address=to),
            earliest_pickup=pickup_at,
            latest_arrival=pickup_at + timedelta(minutes=minutes + 60),
        )
        booking = await bookings.submit_booking(
            s, who, body, policy=policy, estimator=StraightLineEstimator(), now=pickup_at - timedelta(days=1)
        )
        await bookings.approve(
            s, await load_principal(s, approver.id), booking.id, policy=policy, now=pickup_at - timedelta(hours=20)
        )
        start, end = planned or (pickup_at, pickup_at + timedelta(minutes=minutes))
        await bookings.mark_assigned(
            s,
            booking.id,
            vehicle_id=shop.cars[car],
            driver_id=shop.driver_id,
            planned_pickup_at=start,
            planned_dropoff_at=end,
            policy=policy,
            check_pooling=False,
        )
        await bookings.mark_in_progress(s, booking.id, policy=policy)
        if complete:
            await bookings.mark_completed(s, booking.id, actual_km=actual_km, trip_id=trip_id, policy=policy)
        await s.commit()
        return booking.id


def fuel_csv(*rows: dict[str, Any]) -> bytes:
    header = ["交易流水号", "卡号", "车牌号", "交易时间", "油站编码", "油站名称", "油品", "数量(升)", "单价", "金额"]
    keys = ["txn", "card", "plate", "time", "station", "name", "product", "litres", "price", "amount"]
    lines = [",".join(header)]
    for row in rows:
        full = {"card": "9100001234", "station": STATION[0], "name": STATION[1], "product": "92#汽油"} | row
        lines.append(",".join(str(full.get(k, "")) for k in keys))
    return ("\n".join(lines) + "\n").encode("utf-8")


async def money(db: Database) -> dict[str, Decimal]:
    """The totals the invariant compares: cash costs in the sheets, their postings, and the budget lines."""
    async with db.session() as s:
        cash = await s.scalar(select(func.coalesce(func.sum(CostEntry.amount), 0)).where(CostEntry.cash.is_(True)))
        postings = await s.scalar(select(func.coalesce(func.sum(CostPosting.amount), 0)))
        charged = await s.scalar(select(func.coalesce(func.sum(BudgetLine.charged), 0)))
        reserved = await s.scalar(select(func.coalesce(func.sum(BudgetLine.reserved), 0)))
        ledger = await s.scalar(
            select(func.coalesce(func.sum(BudgetEntry.charged_delta), 0)).where(
                BudgetEntry.id.in_(select(CostPosting.budget_entry_id))
            )
        )
    return {
        "cash": Decimal(cash),
        "postings": Decimal(postings),
        "charged": Decimal(charged),
        "reserved": Decimal(reserved),
        "ledger": Decimal(ledger),
    }


def at(day: int, hour: int, minute: int = 0, month: int = 10) -> datetime:
    """Beijing wall-clock time in 2026 as aware UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)
