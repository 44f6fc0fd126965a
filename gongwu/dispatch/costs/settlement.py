"""Settling trips and closing months: how each cash yuan of a car reaches exactly one budget line.

* **A completed booking** is charged its kilometres × the car's running rate (the car's own running costs per km
  over the last ``rate_history_days``, or the category's quota rate), taken from the car's running costs not yet
  posted (fuel, repairs, maintenance, tolls and parking of no booking) and charged to the booking's unit on the
  line that holds its reservation (``source_type`` ``dispatch.booking``: the reservation is consumed first).
  What the car's unposted costs cannot cover yet stays *pending* (and reserved) until its next costs arrive; the
  rest of the reservation is released. Its own tolls and parking were charged to it when entered (``direct``).
* **A pooled run** (bookings of one car whose rides overlap) is settled when its last rider is dropped off: the
  run's kilometres are split in proportion to each booking's stand-alone routed distance (``estimated_km``), so a
  rider pays what the shared ride saved in proportion to what riding alone would have cost.
* **The month's close** (月结) of a car: pending trip amounts of the month are dropped (their reservations
  released), and the car's running costs of the month the trips did not take are charged to its owning unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.budget import service as budget
from gongwu.core.errors import Conflict
from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.bookings.lifecycle import SOURCE_TYPE as BOOKING_SOURCE
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import ledger
from gongwu.dispatch.costs.models import POOL_CATEGORIES, CostEntry, CostPosting, CostQuota, MonthClose, TripCost
from gongwu.dispatch.costs.settings import DEFAULT_QUOTAS, CostsSettings
from gongwu.telematics import service as telematics

__all__ = ["Policy", "absorb_pending", "close_vehicle_month", "running_rate", "settle_booking"]

RUN_STATUSES = ("assigned", "in_progress", "completed")


@dataclass(frozen=True)
class Policy:
    settings: CostsSettings
    timezone: str = "Asia/Shanghai"


async def quota_of(session: AsyncSession, category: str) -> tuple[Decimal, float]:
    """(annual yuan, rate per km) of a car category: the stored quota, else the default."""
    row = await session.get(CostQuota, category)
    if row is not None:
        return row.annual_yuan, row.rate_per_km
    annual, rate = DEFAULT_QUOTAS.get(category, DEFAULT_QUOTAS["other"])
    return Decimal(annual), rate


async def running_rate(session: AsyncSession, vehicle: Vehicle, day: date, policy: Policy) -> tuple[float, str]:
    """Yuan per km a trip of this car pays, and the basis (``history`` or ``quota``)."""
    s = policy.settings
    first = day - timedelta(days=s.rate_history_days)
    spent = await session.scalar(
        select(func.coalesce(func.sum(CostEntry.amount), 0)).where(
            CostEntry.vehicle_id == vehicle.id,
            CostEntry.category.in_(POOL_CATEGORIES),
            CostEntry.booking_id.is_(None),
            CostEntry.day >= first,
            CostEntry.day < day,
        )
    )
    days = await telematics.daily_summaries(session, None, vehicle.id, first, day - timedelta(days=1))
    km = sum(d.distance_km for d in days)
    if km >= s.rate_min_km and spent:
        return round(float(Decimal(spent)) / km, 4), "history"
    _, rate = await quota_of(session, vehicle.category)
    if vehicle.energy_type == "bev":
        rate *= s.ev_rate_share
    return round(rate, 4), "quota"


def _window(b: Booking) -> tuple[Any, Any]:
    return (b.planned_pickup_at or b.earliest_pickup, b.planned_dropoff_at or b.latest_arrival)


async def pooled_run(session: AsyncSession, booking: Booking) -> list[Booking]:
    """The bookings the car served together with this one (rides that overlap, transitively), oldest first."""
    run = {booking.id: booking}
    frontier = [booking]
    while frontier:
        lo = min(_window(b)[0] for b in frontier)
        hi = max(_window(b)[1] for b in frontier)
        rows = (
            await session.scalars(
                select(Booking).where(
                    Booking.vehicle_id == booking.vehicle_id,
                    Booking.status.in_(RUN_STATUSES),
                    func.coalesce(Booking.planned_pickup_at, Booking.earliest_pickup) < hi,
                    func.coalesce(Booking.planned_dropoff_at, Booking.latest_arrival) > lo,
                )
            )
        ).all()
        frontier = [b for b in rows if b.id not in run and _overlaps_any(b, run.values())]
        run.update({b.id: b for b in frontier})
    return sorted(run.values(), key=lambda b: (_window(b)[0], b.id))


def _overlaps_any(b: Booking, others: Any) -> bool:
    lo, hi = _window(b)
    return any(lo < _window(o)[1] and _window(o)[0] < hi for o in others)


async def _run_km(session: AsyncSession, run: Sequence[Booking]) -> tuple[float, int | None]:
    """Kilometres the car drove for the run (its telematics trips, else the drivers' figures) and a trip id."""
    trip_ids = sorted({b.telematics_trip_id for b in run if b.telematics_trip_id})
    if trip_ids:
        lo = min(_window(b)[0] for b in run) - timedelta(hours=6)
        hi = max(_window(b)[1] for b in run) + timedelta(hours=6)
        assert run[0].vehicle_id is not None
        trips = await telematics.list_trips(session, None, run[0].vehicle_id, lo, hi)
        km = sum(t.distance_km for t in trips if t.id in trip_ids)
        if km > 0:
            if len(run) == 1 and run[0].actual_km is not None:
                return float(run[0].actual_km), trip_ids[0]
            return km, trip_ids[0]
    figures = [b.actual_km if b.actual_km is not None else b.estimated_km for b in run]
    return (float(figures[0]) if len(run) == 1 else float(max(figures))), None


async def take_from_pool(
    session: AsyncSession, vehicle_id: int, want: Decimal, month: str
) -> list[tuple[CostEntry, Decimal]]:
    """Unposted running costs of the car, oldest first (the trip's month first), up to ``want``."""
    closed = select(MonthClose.month).where(MonthClose.vehicle_id == vehicle_id)
    rows = (
        await session.scalars(
            select(CostEntry)
            .where(
                CostEntry.vehicle_id == vehicle_id,
                CostEntry.category.in_(POOL_CATEGORIES),
                CostEntry.booking_id.is_(None),
                CostEntry.cash.is_(True),
                CostEntry.posted < CostEntry.amount,
                CostEntry.month.not_in(closed),
            )
            .order_by((CostEntry.month != month), CostEntry.day, CostEntry.id)
            .with_for_update()
        )
    ).all()
    parts: list[tuple[CostEntry, Decimal]] = []
    left = want
    for entry in rows:
        if left <= 0:
            break
        take = min(entry.amount - entry.posted, left)
        parts.append((entry, take))
        left -= take
    return parts


async def _line_of(session: AsyncSession, booking: Booking) -> int:
    if booking.budget_line_id is not None:
        return booking.budget_line_id
    return (await budget.find_line(session, booking.unit_id, booking.earliest_pickup.year, ledger.BUDGET_CLASS)).id


async def _charge_trip(session: AsyncSession, cost: TripCost, want: Decimal, booking: Booking) -> Decimal:
    """Charge up to ``want`` of the car's unposted running costs to the booking's line; returns what was taken."""
    parts = await take_from_pool(session, cost.vehicle_id, want, cost.month)
    taken = sum((a for _, a in parts), Decimal(0))
    if taken > 0:
        assert cost.line_id is not None
        await ledger.post(
            session,
            parts,
            kind="trip",
            unit_id=cost.unit_id,
            line_id=cost.line_id,
            booking_id=booking.id,
            source_type=BOOKING_SOURCE,
            source_id=booking.id,
            note=f"{booking.code} {cost.km:.1f} km × {cost.rate_per_km:.2f}",
        )
    return taken


async def _release_beyond(session: AsyncSession, cost: TripCost, keep: Decimal) -> None:
    """Release what the booking still holds beyond ``keep`` (what may still be charged)."""
    if cost.line_id is None:
        return
    held = await budget.open_reservation(session, cost.line_id, BOOKING_SOURCE, cost.booking_id)
    extra = held - min(keep, held)
    if extra > 0:
        await budget.release(
            session, cost.line_id, source_type=BOOKING_SOURCE, source_id=cost.booking_id, amount=extra, note="结算释放"
        )
        cost.released += extra


async def settle_booking(session: AsyncSession, booking_id: int, policy: Policy) -> list[TripCost]:
    """Settle a completed booking (and the rest of its pooled run once every rider of it is dropped off)."""
    booking = await session.get(Booking, booking_id)
    if booking is None or booking.status != "completed" or booking.vehicle_id is None:
        return []
    existing = await session.get(TripCost, booking_id)
    if existing is not None and existing.status != "waiting":
        return [existing]
    run = await pooled_run(session, booking)
    vehicle = await session.get(Vehicle, booking.vehicle_id)
    assert vehicle is not None
    day = ledger.local_day(_window(booking)[0], policy.timezone)
    if any(b.status != "completed" for b in run):
        cost = existing or await _new_cost(session, booking, day, 0.0, (0.0, "quota"), run)
        cost.status, cost.reason = "waiting", "拼车行程尚未全部完成"
        await session.flush()
        return [cost]
    km, trip_id = await _run_km(session, run)
    weights = [max(0.1, float(b.estimated_km or 0.0)) for b in run]
    total_w = sum(weights)
    rate = await running_rate(session, vehicle, day, policy)
    settled = []
    for b, w in zip(run, weights, strict=True):
        share_km = km * w / total_w
        settled.append(await _settle_one(session, b, run, share_km, trip_id, rate, policy))
    return settled


async def _new_cost(
    session: AsyncSession, b: Booking, day: date, km: float, rate: tuple[float, str], run: Sequence[Booking]
) -> TripCost:
    cost = await session.get(TripCost, b.id)
    if cost is None:
        assert b.vehicle_id is not None
        cost = TripCost(
            booking_id=b.id, vehicle_id=b.vehicle_id, unit_id=b.unit_id, charged=Decimal(0), status="waiting"
        )
        cost.pending = cost.released = cost.direct = cost.energy_value = Decimal(0)
        session.add(cost)
    cost.month = ledger.month_of(day)
    cost.line_id = await _line_of(session, b)
    cost.km = round(km, 3)
    cost.rate_per_km, cost.rate_basis = rate
    cost.running = ledger.yuan(km * rate[0])
    cost.shared_with = [o.id for o in run if o.id != b.id]
    return cost


async def _settle_one(
    session: AsyncSession,
    b: Booking,
    run: Sequence[Booking],
    km: float,
    trip_id: int | None,
    rate: tuple[float, str],
    policy: Policy,
) -> TripCost:
    existing = await session.get(TripCost, b.id)
    if existing is not None and existing.status != "waiting":
        return existing
    day = ledger.local_day(_window(b)[0], policy.timezone)
    cost = await _new_cost(session, b, day, km, rate, run)
    cost.trip_id = trip_id
    cost.direct = Decimal(
        await session.scalar(select(func.coalesce(func.sum(CostEntry.amount), 0)).where(CostEntry.booking_id == b.id))
        or 0
    )
    await session.flush()
    try:
        async with session.begin_nested():
            taken = await _charge_trip(session, cost, cost.running, b)
            cost.charged = taken + cost.direct
            cost.pending = cost.running - taken
            await _release_beyond(session, cost, cost.pending)
            cost.status = "pending" if cost.pending > 0 else "settled"
            cost.reason = None
    except Conflict as exc:
        await session.refresh(cost)
        cost.status, cost.reason = "failed", f"{exc.code}: {exc.message}"[:255]
    await session.flush()
    return cost


async def absorb_pending(session: AsyncSession, vehicle_id: int) -> list[TripCost]:
    """New running costs of a car pay its trips' pending amounts first (oldest trip first)."""
    rows = (
        await session.scalars(
            select(TripCost)
            .where(TripCost.vehicle_id == vehicle_id, TripCost.status == "pending")
            .order_by(TripCost.settled_at, TripCost.booking_id)
        )
    ).all()
    changed = []
    for cost in rows:
        booking = await session.get(Booking, cost.booking_id)
        if booking is None:
            continue
        try:
            async with session.begin_nested():
                taken = await _charge_trip(session, cost, cost.pending, booking)
                if taken <= 0:
                    break
                cost.charged += taken
                cost.pending -= taken
                if cost.pending <= 0:
                    cost.status = "settled"
                    await _release_beyond(session, cost, Decimal(0))
        except Conflict as exc:
            await session.refresh(cost)
            cost.reason = f"{exc.code}: {exc.message}"[:255]
        changed.append(cost)
    await session.flush()
    return changed


async def close_vehicle_month(session: AsyncSession, vehicle: Vehicle, month: str) -> MonthClose:
    """Close one car's month: pending trip amounts dropped, the unposted cash costs charged to the owner."""
    done = await session.get(MonthClose, (vehicle.id, month))
    if done is not None:
        return done
    for cost in (
        await session.scalars(
            select(TripCost).where(
                TripCost.vehicle_id == vehicle.id,
                TripCost.month == month,
                TripCost.status == "pending",
            )
        )
    ).all():
        cost.reason = f"月结时仍待结算 {cost.pending} 元，不再收取"
        cost.pending = Decimal(0)
        cost.status = "settled"
        await _release_beyond(session, cost, Decimal(0))
    entries = (
        await session.scalars(
            select(CostEntry)
            .where(CostEntry.vehicle_id == vehicle.id, CostEntry.month == month, CostEntry.cash.is_(True))
            .order_by(CostEntry.day, CostEntry.id)
            .with_for_update()
        )
    ).all()
    first, _ = ledger.month_bounds(month)
    rest = [(e, e.amount - e.posted) for e in entries if e.posted < e.amount]
    to_owner = sum((a for _, a in rest), Decimal(0))
    if to_owner > 0:
        await ledger.post(
            session,
            rest,
            kind="owner",
            unit_id=vehicle.unit_id,
            line_id=await ledger.owner_line(session, vehicle.unit_id, first),
            source_type=ledger.OWNER_SOURCE,
            source_id=f"{vehicle.id}:{month}:close",
            note=f"{vehicle.plate} {month} 月结",
        )
    trips = await session.scalar(
        select(func.coalesce(func.sum(CostPosting.amount), 0))
        .join(CostEntry, CostEntry.id == CostPosting.entry_id)
        .where(CostEntry.vehicle_id == vehicle.id, CostEntry.month == month, CostPosting.kind.in_(("trip", "direct")))
    )
    closed = MonthClose(
        vehicle_id=vehicle.id,
        month=month,
        cash=sum((e.amount for e in entries), Decimal(0)),
        to_trips=Decimal(trips or 0),
        to_owner=to_owner,
    )
    session.add(closed)
    await session.flush()
    return closed
