"""The budget ledger: reserve → charge → release, never overspent, also under concurrency."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from gongwu.core.budget import service as budget
from gongwu.core.db import Database
from gongwu.core.errors import Conflict, InvalidInput
from tests import factories as f


async def test_reserve_charge_release_keep_available_right(db: Database) -> None:
    async with db.session() as s:
        line = await f.budget_line(s, await f.unit(s), amount="1000.00")
        await budget.reserve(s, line.id, "300.00", source_type="booking", source_id=1)
        await budget.reserve(s, line.id, "200.00", source_type="booking", source_id=2)
        await budget.charge(s, line.id, "250.50", source_type="booking", source_id=1)  # settles below reservation
        await budget.release(s, line.id, source_type="booking", source_id=1)  # the 49.50 left over comes back
        await budget.charge(s, line.id, "260.00", source_type="booking", source_id=2)  # 60 above its reservation
        await s.commit()
    async with db.session() as s:
        line = await budget.get_line(s, line.id)
        assert (line.reserved, line.charged, line.available) == (Decimal("0.00"), Decimal("510.50"), Decimal("489.50"))
        kinds = [(e.kind, e.amount) for e in reversed(await budget.list_entries(s, line.id))]
        assert kinds == [
            ("reserve", Decimal("300.00")),
            ("reserve", Decimal("200.00")),
            ("charge", Decimal("250.50")),
            ("release", Decimal("49.50")),
            ("charge", Decimal("260.00")),
        ]
        assert await budget.open_reservation(s, line.id, "booking", 1) == 0


async def test_overspending_is_refused_and_changes_nothing(db: Database) -> None:
    async with db.session() as s:
        line = await f.budget_line(s, await f.unit(s), amount=100)
        await budget.reserve(s, line.id, 80, source_type="booking", source_id=1)
        await s.commit()
    before = await f.snapshot(db)
    async with db.session() as s:
        with pytest.raises(Conflict) as refused:
            await budget.reserve(s, line.id, "20.01", source_type="booking", source_id=2)
        assert refused.value.code == "budget.insufficient"
        assert refused.value.details["available"] == "20.00"
        with pytest.raises(Conflict):
            await budget.charge(s, line.id, "100.01", source_type="booking", source_id=1)
        for bad in ("-5", "0", "1.001", "abc"):
            with pytest.raises(InvalidInput):
                await budget.reserve(s, line.id, bad, source_type="booking", source_id=3)
        await s.rollback()
    assert await f.snapshot(db) == before


async def test_a_unit_office_books_on_its_organs_line(db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s)
        office = await f.unit(s, parent=await f.unit(s, parent=organ), kind="office")
        line = await f.budget_line(s, organ)
        assert (await budget.find_line(s, office.id, 2026, "30231")).id == line.id
        with pytest.raises(Conflict) as missing:
            await budget.find_line(s, office.id, 2026, "30217")
        assert missing.value.code == "budget.no_line"


@pytest.mark.postgres
async def test_fifty_concurrent_reservations_never_overspend_a_line(pg_db: Database) -> None:
    async with pg_db.session() as s:
        line = await f.budget_line(s, await f.unit(s), amount=1000)
        await s.commit()

    async def one(i: int) -> bool:
        async with pg_db.session() as s:
            try:
                await budget.reserve(s, line.id, 30, source_type="booking", source_id=i)
                await asyncio.sleep(0.01)  # hold the transaction open while others race
                await s.commit()
                return True
            except Conflict:
                return False

    results = await asyncio.gather(*(one(i) for i in range(50)))
    async with pg_db.session() as s:
        fresh = await budget.get_line(s, line.id)
        entries = await budget.list_entries(s, line.id)
    assert sum(results) == 33  # 33 × 30 = 990 ≤ 1000 < 34 × 30
    assert fresh.reserved == Decimal(990) and fresh.available == Decimal(10)
    assert len(entries) == 33


async def test_budget_reports_over_http(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s, name="市财政局")
        cars = await f.budget_line(s, organ, amount=5000, economic="30231")
        await budget.create_line(
            s, unit_id=organ.id, year=2026, economic_class="30217", functional_class="2010301", amount=Decimal(2000)
        )
        await budget.charge(s, cars.id, 1250, source_type="trip", source_id=9)
        finance = await f.user(s, organ, "finance")
        await s.commit()
    headers = await f.login(api, finance)
    rows = (await api.get("/api/budget/execution", params={"year": 2026}, headers=headers)).json()
    car_row = next(r for r in rows if r["economic_class"] == "30231")
    assert car_row["class_name"] == "公务用车运行维护费"
    assert Decimal(car_row["charged"]) == 1250 and car_row["execution_rate"] == 0.25
    sangong = (await api.get("/api/budget/sangong", params={"year": 2026}, headers=headers)).json()
    assert sangong == [
        {
            "unit_id": organ.id,
            "unit_name": "市财政局",
            "budget": {"official_cars": "5000.00", "reception": "2000.00", "travel_abroad": "0.00"},
            "charged": {"official_cars": "1250.00", "reception": "0.00", "travel_abroad": "0.00"},
            "total_budget": "7000.00",
            "total_charged": "1250.00",
        }
    ]
    over = await api.post(
        f"/api/budget/lines/{cars.id}/reservations",
        json={"amount": "3750.01", "source_type": "manual", "source_id": "x"},
        headers=headers,
    )
    assert over.status_code == 409 and over.json()["error"]["code"] == "budget.insufficient"
    bad = await api.post(
        f"/api/budget/lines/{cars.id}/reservations",
        json={"amount": "12.345", "source_type": "manual", "source_id": "x"},
        headers=headers,
    )
    assert bad.status_code == 422
