"""What feeds the cost ledger: the fuel supplier's statement, repair shops' work orders, annual fixed costs,
charging sessions and drivers' expenses (synchronised by id, never twice), and each month's accruals —
straight-line depreciation over the service life from the purchase price, and drivers' pay by driving time.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.core.errors import Conflict, InvalidInput
from gongwu.core.fleet.identifiers import normalise_plate
from gongwu.core.fleet.models import Driver, Vehicle
from gongwu.dispatch.charging import service as charging
from gongwu.dispatch.costs import ledger
from gongwu.dispatch.costs.errors import ImportRejected
from gongwu.dispatch.costs.importers import RowError, missing_columns, parse_fuel_rows, read_table
from gongwu.dispatch.costs.matching import match_fuel
from gongwu.dispatch.costs.models import CostEntry, CostImport, FixedCost, FuelStation, FuelTransaction, WorkOrder
from gongwu.dispatch.costs.recording import record
from gongwu.dispatch.costs.settlement import Policy, absorb_pending
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.driving.models import DriverTask

__all__ = [
    "EXPENSE_CATEGORIES",
    "accrue_month",
    "add_fixed_cost",
    "add_work_order",
    "import_fuel",
    "sync_charging",
    "sync_expenses",
]

EXPENSE_CATEGORIES = {"toll": "toll", "parking": "parking", "wash": "other", "repair": "repair", "other": "other"}
"""Drivers' expense kinds that are costs (fuel is paid by card and charging is recorded by the charging module:
a driver's fuel or charge entry is the receipt, not a second cost)."""


async def import_fuel(
    session: AsyncSession, data: bytes, filename: str, policy: Policy, *, actor_id: int | None = None
) -> CostImport:
    """Import a fuel-card statement whole, or nothing (every bad row named)."""
    digest = hashlib.sha256(data).hexdigest()
    if await session.scalar(select(CostImport.id).where(CostImport.sha256 == digest)):
        raise Conflict("This file was imported before.", code="costs.file_imported", message_zh="该文件已导入过。")
    try:
        raw = read_table(data, filename)
    except ValueError as exc:
        raise ImportRejected([RowError(1, "file", str(exc)).as_dict()], 0) from None
    if not raw:
        raise InvalidInput("The file holds no rows.", code="costs.empty_file", message_zh="文件中没有数据行。")
    if missing := missing_columns(raw):
        raise ImportRejected([RowError(1, c, "column missing").as_dict() for c in missing], len(raw))
    rows, errors = parse_fuel_rows(raw, timezone=policy.timezone, now=utcnow())
    cars, stations, known = await _lookups(session, rows)
    resolved: list[tuple[Any, Vehicle, tuple[str, float, float]]] = []
    for row in rows:
        problems = []
        try:
            car = cars.get(normalise_plate(row.plate))
        except InvalidInput:
            car = None
        if car is None:
            problems.append(RowError(row.row, "plate", f"{row.plate} is no official car"))
        elif car.energy_type == "bev":
            problems.append(RowError(row.row, "plate", f"{row.plate} is a battery-electric car"))
        station = stations.get(row.station_code or "")
        if station is None and (row.lat is None or row.lon is None):
            problems.append(
                RowError(row.row, "station_code", f"unknown station {row.station_code!r} and no coordinates")
            )
        if row.txn_id in known:
            problems.append(RowError(row.row, "txn_id", f"transaction {row.txn_id} was imported before"))
        if problems:
            errors += problems
        else:
            assert car is not None
            place = (
                (station.name, station.lat, station.lon)
                if station is not None
                else (row.station_name, float(row.lat or 0), float(row.lon or 0))
            )
            resolved.append((row, car, place))
    if errors:
        raise ImportRejected([e.as_dict() for e in sorted(errors, key=lambda e: e.row)], len(raw))
    batch = CostImport(
        kind="fuel_card",
        filename=filename[:200],
        sha256=digest,
        rows=len(rows),
        amount=sum((r.amount for r in rows), Decimal(0)),
        imported_by=actor_id,
    )
    session.add(batch)
    await session.flush()
    for row, car, (name, lat, lon) in resolved:
        await _store_fuel(session, batch, row, car, name, lat, lon, policy)
    for vehicle_id in sorted({car.id for _, car, _ in resolved}):
        await absorb_pending(session, vehicle_id)
    return batch


async def _lookups(
    session: AsyncSession, rows: Sequence[Any]
) -> tuple[dict[str, Vehicle], dict[str, FuelStation], set[str]]:
    plates = set()
    for row in rows:
        with contextlib.suppress(InvalidInput):
            plates.add(normalise_plate(row.plate))
    cars = {v.plate: v for v in (await session.scalars(select(Vehicle).where(Vehicle.plate.in_(plates)))).all()}
    codes = {r.station_code for r in rows if r.station_code}
    stations = {
        s.code: s for s in (await session.scalars(select(FuelStation).where(FuelStation.code.in_(codes)))).all()
    }
    known = set(
        (
            await session.scalars(
                select(FuelTransaction.txn_id).where(FuelTransaction.txn_id.in_([r.txn_id for r in rows]))
            )
        ).all()
    )
    return cars, stations, known


async def _store_fuel(
    session: AsyncSession,
    batch: CostImport,
    row: Any,
    car: Vehicle,
    name: str,
    lat: float,
    lon: float,
    policy: Policy,
) -> FuelTransaction:
    txn = FuelTransaction(
        txn_id=row.txn_id,
        import_id=batch.id,
        card_no=row.card_no,
        vehicle_id=car.id,
        at=row.at,
        station_code=row.station_code,
        station_name=name,
        lat=lat,
        lon=lon,
        product=row.product,
        litres=row.litres,
        unit_price=row.unit_price,
        amount=row.amount,
    )
    session.add(txn)
    await session.flush()
    await match_fuel(session, txn, policy.settings)
    entry = await record(
        session,
        car,
        day=ledger.local_day(row.at, policy.timezone),
        category="fuel",
        amount=row.amount,
        source_kind="fuel_card",
        source_id=row.txn_id,
        quantity=row.litres,
        note=f"{name} {row.product} {row.litres:.2f} L",
        absorb=False,
    )
    txn.entry_id = entry.id
    return txn


async def add_work_order(
    session: AsyncSession, vehicle: Vehicle, policy: Policy, *, actor_id: int | None = None, **fields: Any
) -> WorkOrder:
    """A closed work order of a fixed repair shop: parts + labour = its amount, a repair or maintenance cost."""
    if fields.get("kind") not in ("repair", "maintenance"):
        raise InvalidInput(
            "A work order is a repair or a maintenance.",
            code="costs.bad_work_order",
            message_zh="工单类型须为维修（repair）或保养（maintenance）。",
        )
    parts, labour = ledger.yuan(fields["parts"]), ledger.yuan(fields["labour"])
    if parts < 0 or labour < 0 or parts + labour <= 0:
        raise InvalidInput(
            "Parts and labour are amounts of at least 0, together more.",
            code="costs.bad_work_order",
            message_zh="配件费和工时费均不能为负数，且合计须大于 0。",
        )
    if await session.scalar(select(WorkOrder.id).where(WorkOrder.number == fields["number"])):
        raise Conflict(
            f"Work order {fields['number']} is recorded already.",
            code="costs.work_order_exists",
            message_zh=f"工单 {fields['number']} 已登记。",
        )
    order = WorkOrder(
        vehicle_id=vehicle.id,
        number=fields["number"],
        shop=fields["shop"],
        kind=fields["kind"],
        closed_on=fields["closed_on"],
        parts=parts,
        labour=labour,
        amount=parts + labour,
        odometer_km=fields.get("odometer_km"),
        description=fields.get("description") or "",
        created_by=actor_id,
    )
    session.add(order)
    await session.flush()
    await record(
        session,
        vehicle,
        day=order.closed_on,
        category=order.kind,
        amount=order.amount,
        source_kind="work_order",
        source_id=order.id,
        note=f"{order.shop} {order.number}",
    )
    return order


async def add_fixed_cost(session: AsyncSession, vehicle: Vehicle, policy: Policy, **fields: Any) -> FixedCost:
    """An annual cost (insurance policy, annual inspection) spread over its months; months already past are
    accrued at once."""
    if fields.get("kind") not in ("insurance", "inspection"):
        raise InvalidInput(
            "A fixed cost is insurance or the annual inspection.",
            code="costs.bad_fixed_cost",
            message_zh="固定费用须为保险（insurance）或年检（inspection）。",
        )
    amount = ledger.yuan(fields["amount"])
    if amount <= 0 or not 1 <= int(fields.get("months", 12)) <= 36:
        raise InvalidInput(
            "A positive amount over 1 to 36 months.",
            code="costs.bad_fixed_cost",
            message_zh="金额须为正数，分摊期为 1 至 36 个月。",
        )
    ledger.month_bounds(fields["first_month"])
    row = FixedCost(vehicle_id=vehicle.id, amount=amount, **{k: v for k, v in fields.items() if k != "amount"})
    session.add(row)
    await session.flush()
    now_month = ledger.month_of(ledger.local_day(utcnow(), policy.timezone))
    for month in _months(row.first_month, row.months):
        if month <= now_month:
            await _accrue_fixed(session, row, vehicle, month)
    return row


def _months(first: str, count: int) -> list[str]:
    year, mon = (int(x) for x in first.split("-"))
    out = []
    for i in range(count):
        y, m = divmod(mon - 1 + i, 12)
        out.append(f"{year + y:04d}-{m + 1:02d}")
    return out


async def _accrue_fixed(session: AsyncSession, row: FixedCost, vehicle: Vehicle, month: str) -> None:
    months = _months(row.first_month, row.months)
    share = ledger.split(row.amount, [1.0] * row.months)[months.index(month)]
    await record(
        session,
        vehicle,
        day=ledger.month_bounds(month)[0],
        category=row.kind,
        amount=share,
        source_kind="fixed",
        source_id=f"{row.id}:{month}",
        note=f"{row.payee} {row.reference} {months.index(month) + 1}/{row.months}",
    )


async def sync_charging(session: AsyncSession, start: datetime, end: datetime, policy: Policy) -> int:
    """Charging sessions become energy entries, their budget charge (by the charging module) the posting."""
    added = 0
    for s in await charging.list_sessions(session, None, start=start, end=end, limit=100_000):
        if s.cost <= 0:
            continue
        vehicle = await session.get(Vehicle, s.vehicle_id)
        assert vehicle is not None
        entry, new = await ledger.add_entry(
            session,
            vehicle,
            day=ledger.local_day(s.ended_at, policy.timezone),
            category="energy",
            amount=s.cost,
            source_kind="charging",
            source_id=s.id,
            quantity=s.energy_kwh,
            note=f"{s.energy_kwh:.1f} kWh",
        )
        if new:
            await ledger.link_source_posting(session, entry, "charging.session", s.id)
            added += 1
    return added


async def sync_expenses(session: AsyncSession, start: datetime, end: datetime, policy: Policy) -> int:
    """Drivers' tolls, parking, washes, repairs and other expenses become cost entries (their booking's when
    they name one)."""
    added = 0
    for e in await driving.list_expenses(session, start=start, end=end, limit=100_000):
        category = EXPENSE_CATEGORIES.get(e.kind)
        if category is None or e.amount <= 0:
            continue
        if await session.scalar(
            select(CostEntry.id).where(CostEntry.source_kind == "expense", CostEntry.source_id == str(e.id))
        ):
            continue
        vehicle = await session.get(Vehicle, e.vehicle_id)
        assert vehicle is not None
        await record(
            session,
            vehicle,
            day=ledger.local_day(e.at, policy.timezone),
            category=category,
            amount=e.amount,
            source_kind="expense",
            source_id=e.id,
            booking_id=e.booking_id,
            note=(e.place or e.note or "")[:255] or None,
        )
        added += 1
    return added


async def accrue_month(session: AsyncSession, month: str, policy: Policy, *, with_drivers: bool = False) -> int:
    """The month's accruals (idempotent): depreciation of every car in service, the month's share of fixed costs,
    and (when the month is over) drivers' pay allocated to the cars they drove."""
    first, nxt = ledger.month_bounds(month)
    if month > ledger.month_of(ledger.local_day(utcnow(), policy.timezone)):
        return 0
    s = policy.settings
    added = 0
    for car in (await session.scalars(select(Vehicle).where(Vehicle.status.not_in(("retired", "placeholder"))))).all():
        if car.purchase_price and car.purchase_date and car.purchase_date < nxt:
            age = (first.year - car.purchase_date.year) * 12 + first.month - car.purchase_date.month
            if 0 <= age < s.service_life_months:
                monthly = car.purchase_price * Decimal(str(1 - s.residual_share)) / s.service_life_months
                await record(
                    session,
                    car,
                    day=first,
                    category="depreciation",
                    amount=ledger.yuan(monthly),
                    source_kind="depreciation",
                    source_id=f"{car.id}:{month}",
                    note=f"{age + 1}/{s.service_life_months}",
                )
                added += 1
    for row in (await session.scalars(select(FixedCost))).all():
        if month in _months(row.first_month, row.months):
            holder = await session.get(Vehicle, row.vehicle_id)
            assert holder is not None
            await _accrue_fixed(session, row, holder, month)
    if with_drivers:
        added += await _accrue_drivers(session, month, first, nxt, policy)
    return added


async def _accrue_drivers(session: AsyncSession, month: str, first: date, nxt: date, policy: Policy) -> int:
    """A driver's monthly cost split over the cars he drove that month, by driving time of his tasks."""
    if policy.settings.driver_monthly_yuan <= 0:
        return 0
    zone = ZoneInfo(policy.timezone)
    lo = datetime(first.year, first.month, first.day, tzinfo=zone)
    hi = datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone)
    tasks = (
        await session.scalars(select(DriverTask).where(DriverTask.finished_at >= lo, DriverTask.finished_at < hi))
    ).all()
    hours: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for t in tasks:
        start = t.trip_start_at or t.boarded_at or t.accepted_at
        end = t.trip_end_at or t.dropped_at or t.finished_at
        spent = (end - start).total_seconds() / 3600 if start and end and end > start else 0.5
        hours[t.driver_id][t.vehicle_id] += max(spent, 0.1)
    added = 0
    for driver_id, cars in hours.items():
        driver = await session.get(Driver, driver_id)
        if driver is None:
            continue
        vehicle_ids = sorted(cars)
        shares = ledger.split(policy.settings.driver_monthly_yuan, [cars[v] for v in vehicle_ids])
        for vehicle_id, share in zip(vehicle_ids, shares, strict=True):
            car = await session.get(Vehicle, vehicle_id)
            if car is None or share <= 0:
                continue
            await record(
                session,
                car,
                day=first,
                category="driver",
                amount=share,
                source_kind="driver",
                source_id=f"{driver_id}:{month}:{vehicle_id}",
                note=f"{driver.name} {cars[vehicle_id]:.1f} h",
            )
            added += 1
    return added
