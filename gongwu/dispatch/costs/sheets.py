"""The month's cost sheet of each car (单车费用表) and its evaluation (单车运行费用绩效评价): cost by category,
who paid it, cost per km, per trip and per passenger-km, fuel or energy per 100 km — against the same
category's peers (fuel per 100 km: the same category and energy type) and the category's running-cost quota.

A figure is flagged when it is above the peers' median × ``outlier_ratio`` and its robust z-score
(0.6745 · (x − median) / MAD) is above 3 (or the peers do not vary), with at least ``outlier_min_peers`` peers,
and the reason is written out, e.g. *每公里运行费用 3.20 元，为同类 (其他, 12 辆) 中位数 1.10 元的 2.9 倍*.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.fleet import service as fleet
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import ledger
from gongwu.dispatch.costs.models import CATEGORIES, CostEntry, CostPosting, MonthClose, TripCost
from gongwu.dispatch.costs.settlement import Policy, quota_of
from gongwu.telematics import service as telematics

__all__ = ["METRICS", "CarMonth", "month_figures", "unit_month", "vehicle_sheet"]

METRICS: dict[str, tuple[str, str, str]] = {
    "cash_per_km": ("每公里运行费用", "Running cost per km", "元/km"),
    "cost_per_km": ("每公里全成本", "Full cost per km", "元/km"),
    "cost_per_trip": ("每趟运行费用", "Running cost per trip", "元/趟"),
    "cost_per_passenger_km": ("每人公里运行费用", "Running cost per passenger-km", "元/人km"),
    "fuel_l_per_100km": ("百公里油耗", "Fuel per 100 km", "L/100km"),
    "kwh_per_100km": ("百公里电耗", "Energy per 100 km", "kWh/100km"),
}
"""The evaluation's figures: Chinese name, English name, unit."""


@dataclass
class CarMonth:
    vehicle: Vehicle
    by_category: dict[str, Decimal] = field(default_factory=dict)
    posted: Decimal = Decimal(0)
    km: float = 0.0
    trips: int = 0
    passenger_km: float = 0.0
    fuel_l: float = 0.0
    energy_kwh: float = 0.0
    closed: bool = False

    @property
    def cash(self) -> Decimal:
        return sum((v for k, v in self.by_category.items() if k not in ("depreciation", "driver")), Decimal(0))

    @property
    def total(self) -> Decimal:
        return sum(self.by_category.values(), Decimal(0))

    def figures(self) -> dict[str, float | None]:
        cash, total = float(self.cash), float(self.total)

        def per(value: float, base: float) -> float | None:
            return round(value / base, 2) if base else None

        return {
            "cash_per_km": per(cash, self.km),
            "cost_per_km": per(total, self.km),
            "cost_per_trip": per(cash, self.trips),
            "cost_per_passenger_km": per(cash, self.passenger_km),
            "fuel_l_per_100km": per(self.fuel_l * 100, self.km) if self.fuel_l else None,
            "kwh_per_100km": per(self.energy_kwh * 100, self.km) if self.energy_kwh else None,
        }


async def month_figures(session: AsyncSession, principal: Principal | None, month: str) -> dict[int, CarMonth]:
    """Every car in sight with its month: costs by category, km (telematics), booked trips, passenger-km, litres
    and kWh."""
    first, nxt = ledger.month_bounds(month)
    cars = {v.id: CarMonth(v) for v in await fleet.list_vehicles(session, principal)}
    rows = await session.execute(
        select(
            CostEntry.vehicle_id,
            CostEntry.category,
            func.sum(CostEntry.amount),
            func.sum(CostEntry.posted),
            func.sum(CostEntry.quantity),
        )
        .where(CostEntry.month == month)
        .group_by(CostEntry.vehicle_id, CostEntry.category)
    )
    for vehicle_id, category, amount, posted, quantity in rows:
        car = cars.get(vehicle_id)
        if car is None:
            continue
        car.by_category[category] = Decimal(amount)
        car.posted += Decimal(posted)
        if category == "fuel":
            car.fuel_l += float(quantity or 0)
        elif category == "energy":
            car.energy_kwh += float(quantity or 0)
    trips = await session.execute(
        select(TripCost.vehicle_id, func.count(), func.sum(TripCost.km * Booking.passengers))
        .join(Booking, Booking.id == TripCost.booking_id)
        .where(TripCost.month == month)
        .group_by(TripCost.vehicle_id)
    )
    for vehicle_id, count, pkm in trips:
        if vehicle_id in cars:
            cars[vehicle_id].trips, cars[vehicle_id].passenger_km = int(count), float(pkm or 0)
    for (vehicle_id,) in (await session.execute(select(MonthClose.vehicle_id).where(MonthClose.month == month))).all():
        if vehicle_id in cars:
            cars[vehicle_id].closed = True
    for car in cars.values():
        days = await telematics.daily_summaries(session, None, car.vehicle.id, first, nxt)
        car.km = round(sum(d.distance_km for d in days if d.day < nxt), 1)
    return cars


def _peer_flags(
    car: CarMonth, cars: dict[int, CarMonth], min_peers: int, ratio: float
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    v = car.vehicle
    mine = car.figures()
    medians: dict[str, Any] = {}
    flags = []
    for metric, value in mine.items():
        same_energy = metric in ("fuel_l_per_100km", "kwh_per_100km")
        peers = [
            c.figures()[metric]
            for c in cars.values()
            if c.vehicle.id != v.id
            and c.vehicle.category == v.category
            and (not same_energy or c.vehicle.energy_type == v.energy_type)
            and c.figures()[metric] is not None
        ]
        values = [float(p) for p in peers if p is not None]
        if len(values) < min_peers:
            continue
        median = statistics.median(values)
        medians[metric] = {"median": round(median, 2), "peers": len(values)}
        if value is None or median <= 0:
            continue
        mad = statistics.median(abs(x - median) for x in values)
        z = 0.6745 * (value - median) / mad if mad > 0 else float("inf")
        if value > median * ratio and z > 3:
            zh, en, unit = METRICS[metric]
            times = value / median
            category = fleet.CATEGORIES.get(v.category, (v.category, v.category))
            flags.append(
                {
                    "metric": metric,
                    "value": value,
                    "median": round(median, 2),
                    "ratio": round(times, 2),
                    "z": None if mad == 0 else round(z, 1),
                    "reason": {
                        "zh": f"{zh} {value:.2f} {unit}，为同类（{category[0]}，{len(values)} 辆）"
                        f"中位数 {median:.2f} 的 {times:.1f} 倍",
                        "en": f"{en} {value:.2f} {unit} is {times:.1f}× the median {median:.2f} of "
                        f"{len(values)} {category[1].lower()} cars",
                    },
                }
            )
    return medians, flags


async def evaluate(
    session: AsyncSession, principal: Principal | None, month: str, policy: Policy
) -> list[dict[str, Any]]:
    """The evaluation of every car in sight for the month: figures, peers' medians, flags with reasons."""
    cars = await month_figures(session, None, month)
    visible = {v.id for v in await fleet.list_vehicles(session, principal)}
    out = []
    for car in cars.values():
        if car.vehicle.id not in visible:
            continue
        out.append(await _evaluation(session, car, cars, month, policy))
    return sorted(out, key=lambda e: (-len(e["flags"]), e["plate"]))


async def _evaluation(
    session: AsyncSession, car: CarMonth, cars: dict[int, CarMonth], month: str, policy: Policy
) -> dict[str, Any]:
    s = policy.settings
    medians, flags = _peer_flags(car, cars, s.outlier_min_peers, s.outlier_ratio)
    annual, _ = await quota_of(session, car.vehicle.category)
    monthly = ledger.yuan(annual / 12)
    if car.cash > monthly:
        flags.append(
            {
                "metric": "quota",
                "value": float(car.cash),
                "median": float(monthly),
                "ratio": round(float(car.cash / monthly), 2) if monthly else None,
                "reason": {
                    "zh": f"本月运行费用 {car.cash} 元，超出定额 {monthly} 元（年定额 {annual} 元的十二分之一）",
                    "en": f"Running cost {car.cash} yuan exceeds the monthly quota {monthly} yuan (1/12 of {annual})",
                },
            }
        )
    v = car.vehicle
    return {
        "vehicle_id": v.id,
        "plate": v.plate,
        "category": v.category,
        "energy_type": v.energy_type,
        "unit_id": v.unit_id,
        "make_model": v.make_model,
        "month": month,
        "by_category": {k: str(a) for k, a in car.by_category.items()},
        "cash": str(car.cash),
        "total": str(car.total),
        "posted": str(car.posted),
        "closed": car.closed,
        "km": car.km,
        "trips": car.trips,
        "passenger_km": round(car.passenger_km, 1),
        "fuel_l": round(car.fuel_l, 2),
        "energy_kwh": round(car.energy_kwh, 2),
        "figures": car.figures(),
        "peers": medians,
        "quota_month": str(monthly),
        "flags": flags,
    }


async def vehicle_sheet(
    session: AsyncSession, principal: Principal | None, vehicle_id: int, month: str, policy: Policy
) -> dict[str, Any]:
    """One car's month: the evaluation, the sheet by category (with what is posted), who paid, the trips."""
    vehicle = await fleet.get_vehicle(session, principal, vehicle_id)
    cars = await month_figures(session, None, month)
    evaluation = await _evaluation(session, cars[vehicle.id], cars, month, policy)
    entries = (
        await session.scalars(
            select(CostEntry)
            .where(CostEntry.vehicle_id == vehicle.id, CostEntry.month == month)
            .order_by(CostEntry.day, CostEntry.id)
        )
    ).all()
    sheet = []
    for category, (zh, en) in CATEGORIES.items():
        rows = [e for e in entries if e.category == category]
        if rows:
            sheet.append(
                {
                    "category": category,
                    "name": {"zh": zh, "en": en},
                    "amount": str(sum((e.amount for e in rows), Decimal(0))),
                    "posted": str(sum((e.posted for e in rows), Decimal(0))),
                    "cash": rows[0].cash,
                    "entries": len(rows),
                }
            )
    payers = await session.execute(
        select(CostPosting.unit_id, OrgUnit.name, CostPosting.kind, func.sum(CostPosting.amount))
        .join(CostEntry, CostEntry.id == CostPosting.entry_id)
        .join(OrgUnit, OrgUnit.id == CostPosting.unit_id)
        .where(CostEntry.vehicle_id == vehicle.id, CostEntry.month == month)
        .group_by(CostPosting.unit_id, OrgUnit.name, CostPosting.kind)
    )
    paid: dict[tuple[int, str], dict[str, Any]] = defaultdict(dict)
    for unit_id, name, kind, amount in payers:
        paid[(unit_id, name)][kind] = str(amount)
    evaluation |= {
        "sheet": sheet,
        "entries": [
            {
                "id": e.id,
                "day": e.day.isoformat(),
                "category": e.category,
                "amount": str(e.amount),
                "posted": str(e.posted),
                "cash": e.cash,
                "quantity": e.quantity,
                "source": e.source_kind,
                "booking_id": e.booking_id,
                "note": e.note,
            }
            for e in entries
        ],
        "paid_by": [{"unit_id": u, "unit_name": n, "kinds": kinds} for (u, n), kinds in paid.items()],
    }
    return evaluation


async def unit_month(session: AsyncSession, principal: Principal | None, month: str) -> list[dict[str, Any]]:
    """What each unit was charged for cars in the month (by posting kind), for the dashboard."""
    query = (
        select(CostPosting.unit_id, OrgUnit.name, CostPosting.kind, func.sum(CostPosting.amount))
        .join(CostEntry, CostEntry.id == CostPosting.entry_id)
        .join(OrgUnit, OrgUnit.id == CostPosting.unit_id)
        .where(CostEntry.month == month)
        .group_by(CostPosting.unit_id, OrgUnit.name, CostPosting.kind)
    )
    if principal is not None and (clause := principal.unit_filter(CostPosting.unit_id)) is not None:
        query = query.where(clause)
    units: dict[int, dict[str, Any]] = {}
    for unit_id, name, kind, amount in await session.execute(query):
        row = units.setdefault(unit_id, {"unit_id": unit_id, "unit_name": name, "kinds": {}, "total": Decimal(0)})
        row["kinds"][kind] = str(amount)
        row["total"] += Decimal(amount)
    return [r | {"total": str(r["total"])} for r in sorted(units.values(), key=lambda r: -r["total"])]
