"""Every yuan of a month's cost sheets reaches exactly one budget line: trips pay their km share to the booking
unit (a pooled run split by stand-alone distance), their own tolls whole, the owner the rest at the close."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from gongwu.core.budget import service as budget
from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.charging import service as charging
from gongwu.dispatch.costs import flows, sheets, sources
from gongwu.dispatch.costs.models import CostEntry, MonthClose, TripCost
from gongwu.dispatch.costs.settlement import Policy
from gongwu.dispatch.driving.models import DriverExpense

from .conftest import Shop, at, book, fuel_csv, money


async def _settle(db: Database, booking_id: int, policy: Policy) -> list[TripCost]:
    async with db.session() as s:
        done = await flows.settle(s, booking_id, policy)
        await s.commit()
        return done


async def test_every_yuan_of_the_month_is_posted_once(db: Database, shop: Shop, policy: Policy) -> None:
    # costs arrive: the sedan's fuel, a work order, its insurance, the EV's charging
    async with db.session() as s:
        sedan = await s.get(Vehicle, shop.cars["sedan"])
        ev = await s.get(Vehicle, shop.cars["ev"])
        assert sedan is not None and ev is not None
        await sources.import_fuel(
            s,
            fuel_csv(
                {"txn": "T1", "plate": sedan.plate, "time": "2026-10-03 08:10", "litres": 40, "price": 7.5,
                 "amount": "300.00"},
            ),
            "oct-1.csv",
            policy,
        )  # fmt: skip
        await sources.add_work_order(
            s, sedan, policy, number="WO-1", shop="定点维修厂", kind="maintenance", closed_on=at(10, 12).date(),
            parts=Decimal(300), labour=Decimal(150),
        )  # fmt: skip
        await sources.add_fixed_cost(
            s, sedan, policy, kind="insurance", payee="人保", reference="P-1", amount=Decimal(4800),
            first_month="2026-10", months=12,
        )  # fmt: skip
        await charging.record_session(
            s, ev, started_at=at(11, 1), ended_at=at(11, 3), energy_kwh=30.0, source="entered", cost=Decimal("45.60")
        )
        await s.commit()

    # a sedan trip, a pooled van run of two units (before the van's fuel is imported), an EV trip, a toll
    solo = await book(db, shop, "sedan", at(4, 9), actual_km=20.0)
    first = await book(db, shop, "van", at(6, 9), frm="gov", to="airport", minutes=80, actual_km=36.0, complete=False)
    second = await book(
        db, shop, "van", at(6, 9, 10), frm="station", to="airport", minutes=70, actual_km=36.0, other_unit=True
    )
    electric = await book(db, shop, "ev", at(12, 14), actual_km=10.0)
    tolled = await book(db, shop, "sedan", at(20, 9), to="airport", minutes=60, actual_km=30.0)
    async with db.session() as s:
        s.add(
            DriverExpense(
                driver_id=shop.driver_id, vehicle_id=shop.cars["sedan"], booking_id=tolled, kind="toll",
                amount=Decimal("15.00"), at=at(20, 10), place="机场高速", receipt_path="r.jpg",
                receipt_type="image/jpeg", receipt_bytes=1, receipt_sha256="0" * 64,
            )
        )  # fmt: skip
        await s.commit()

    (sedan_trip,) = await _settle(db, solo, policy)
    assert (sedan_trip.status, sedan_trip.rate_basis, sedan_trip.running) == ("settled", "quota", Decimal("18.00"))
    assert await _settle(db, second, policy) == [] or (await _trip(db, second)).status == "waiting"

    from gongwu.dispatch.bookings import flows as bookings
    from gongwu.dispatch.settings import DispatchSettings

    async with db.session() as s:
        await bookings.mark_completed(
            s, first, actual_km=36.0, policy=bookings.Policy(DispatchSettings(city_area=None), "Asia/Shanghai")
        )
        await s.commit()
    run = await _settle(db, first, policy)
    assert {c.booking_id for c in run} == {first, second}
    assert all(c.status == "pending" for c in run)  # the van has no running costs yet
    async with db.session() as s:
        a, b = await s.get(Booking, first), await s.get(Booking, second)
        assert a is not None and b is not None
        share = {c.booking_id: c.km for c in run}
        assert abs(sum(share.values()) - 36.0) < 1e-2
        assert abs(share[first] / share[second] - a.estimated_km / b.estimated_km) < 1e-3

    async with db.session() as s:  # the van's fuel arrives: the pending run is paid first
        van = await s.get(Vehicle, shop.cars["van"])
        assert van is not None
        await sources.import_fuel(
            s,
            fuel_csv({"txn": "T2", "plate": van.plate, "time": "2026-10-07 18:00", "litres": 56, "price": 7.5,
                      "amount": "420.00"}),
            "oct-2.csv",
            policy,
        )  # fmt: skip
        await s.commit()
    paid = [await _trip(db, c.booking_id) for c in run]
    assert [c.status for c in paid] == ["settled", "settled"]
    assert sum((c.charged for c in paid), Decimal(0)) == Decimal("32.40")

    (ev_trip,) = await _settle(db, electric, policy)
    assert ev_trip.status == "pending" and ev_trip.running == Decimal("3.15")  # 10 km × 0.90 × 0.35; no pool
    (toll_trip,) = await _settle(db, tolled, policy)
    assert toll_trip.direct == Decimal("15.00") and toll_trip.charged == Decimal("42.00")  # 30 km × 0.90 + toll

    before = await money(db)
    assert before["postings"] == before["ledger"]
    assert before["charged"] == before["postings"] + Decimal("45.60")  # the charging session: linked at the close
    assert before["cash"] > before["postings"]  # the month is open: the owners have not paid the rest yet

    async with db.session() as s:
        report = await flows.close_month(s, "2026-10", policy)
        await s.commit()
    assert not report.failed and len(report.closed) == 3
    after = await money(db)
    assert after["cash"] == after["postings"] == after["charged"] == after["ledger"], after
    assert after["reserved"] == 0  # every reservation charged or released
    assert (await _trip(db, electric)).pending == 0

    async with db.session() as s:
        closes = {c.vehicle_id: c for c in (await s.scalars(select(MonthClose))).all()}
        sedan_close = closes[shop.cars["sedan"]]
        assert sedan_close.to_trips == Decimal("60.00") and sedan_close.cash == Decimal("1165.00")
        depreciation = await s.scalar(
            select(CostEntry).where(CostEntry.category == "depreciation", CostEntry.vehicle_id == shop.cars["sedan"])
        )
        assert depreciation is not None and depreciation.amount == Decimal("2000.00") and depreciation.posted == 0
        sheet = await sheets.vehicle_sheet(s, None, shop.cars["sedan"], "2026-10", policy)
    cash_rows = sum(Decimal(r["amount"]) for r in sheet["sheet"] if r["cash"])
    assert cash_rows == sum(Decimal(r["posted"]) for r in sheet["sheet"]) == Decimal("1165.00")
    paid = {p["unit_id"]: p["kinds"] for p in sheet["paid_by"]}
    assert paid[shop.organ.id] == {"trip": "45.00", "direct": "15.00"}
    assert paid[shop.centre.id] == {"fixed": "400.00", "owner": "705.00"}


async def _trip(db: Database, booking_id: int) -> TripCost:
    async with db.session() as s:
        found = await s.get(TripCost, booking_id)
        assert found is not None
        return found


async def test_a_trip_beyond_its_line_is_named_and_charges_nothing(db: Database, shop: Shop, policy: Policy) -> None:
    booking = await book(db, shop, "sedan", at(4, 9), actual_km=5000.0, other_unit=True)
    async with db.session() as s:
        await budget.adjust_amount(s, shop.lines["other"], Decimal("20.00"))
        sedan = await s.get(Vehicle, shop.cars["sedan"])
        assert sedan is not None
        await sources.import_fuel(
            s,
            fuel_csv({"txn": "T9", "plate": sedan.plate, "time": "2026-10-02 08:00", "litres": 400, "price": 20,
                      "amount": "8000.00"}),
            "big.csv",
            policy,
        )  # fmt: skip
        await s.commit()
    (cost,) = await _settle(db, booking, policy)
    assert cost.status == "failed" and cost.reason is not None and "budget.insufficient" in cost.reason
    totals = await money(db)
    assert totals["postings"] == totals["charged"] == 0
    assert (await _trip(db, booking)).charged == 0
