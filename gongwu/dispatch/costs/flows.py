"""Use cases of running costs: record a cost and post what must be posted now, settle a booking, close a month.

Where a cash cost goes when it is recorded:

* a booking's own toll or parking: at once, to the booking's unit (``direct``);
* insurance, annual inspection (a month's share): at once, to the owning unit (``fixed``);
* electricity of a charging session: by the charging module to the owning unit, linked here (``source``);
* fuel, repairs, maintenance, other tolls and parking: by the car's trips (``trip``; first to trips still
  pending), the rest to the owning unit at the month's close (``owner``);
* anything of a month already closed: at once, to the owning unit.

None commits; the route, the CLI or the background task does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import ledger, settlement, sources
from gongwu.dispatch.costs.models import CostEntry, MonthClose, TripCost
from gongwu.dispatch.costs.recording import record, route
from gongwu.dispatch.costs.settlement import Policy

__all__ = ["CloseReport", "Policy", "close_due_months", "close_month", "due_months", "record", "route", "settle"]


async def settle(session: AsyncSession, booking_id: int, policy: Policy) -> list[TripCost]:
    """Settle a completed booking: its drivers' expenses first (its own tolls and parking), then its km."""
    booking = await session.get(Booking, booking_id)
    if booking is None or booking.vehicle_id is None:
        return []
    start = (booking.planned_pickup_at or booking.earliest_pickup) - timedelta(days=1)
    await sources.sync_expenses(session, start, datetime.now(UTC) + timedelta(minutes=1), policy)
    return await settlement.settle_booking(session, booking_id, policy)


@dataclass
class CloseReport:
    month: str
    closed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    to_trips: Decimal = Decimal(0)
    to_owner: Decimal = Decimal(0)


async def close_month(session: AsyncSession, month: str, policy: Policy) -> CloseReport:
    """The month's close (月结) of every car: accrue (depreciation, fixed shares, drivers), sync the month's
    charging sessions and drivers' expenses, then post what the trips did not take to the owners."""
    first, nxt = ledger.month_bounds(month)
    zone_start = datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(hours=14)
    zone_end = datetime(nxt.year, nxt.month, 1, tzinfo=UTC) + timedelta(hours=14)
    await sources.sync_charging(session, zone_start, zone_end, policy)
    await sources.sync_expenses(session, zone_start, zone_end, policy)
    await sources.accrue_month(session, month, policy, with_drivers=True)
    report = CloseReport(month)
    ids = (await session.scalars(select(CostEntry.vehicle_id).where(CostEntry.month == month).distinct())).all()
    for vehicle_id in sorted(ids):
        vehicle = await session.get(Vehicle, vehicle_id)
        assert vehicle is not None
        try:
            async with session.begin_nested():
                closed = await settlement.close_vehicle_month(session, vehicle, month)
        except Exception as exc:  # a line without room: the others close, this one is named
            code = getattr(exc, "code", type(exc).__name__)
            report.failed[vehicle_id] = f"{code}: {getattr(exc, 'message', exc)}"[:255]
            continue
        report.closed.append(vehicle_id)
        report.to_trips += closed.to_trips
        report.to_owner += closed.to_owner
    return report


async def due_months(session: AsyncSession, policy: Policy, today: datetime) -> list[str]:
    """Months to close now: last month once ``close_after_days`` of this month have passed, and any older month
    with a car not closed yet."""
    local = ledger.local_day(today, policy.timezone)
    if local.day < policy.settings.close_after_days:
        return []
    this_month = ledger.month_of(local)
    pairs = (
        await session.execute(
            select(CostEntry.month, CostEntry.vehicle_id).where(CostEntry.month < this_month).distinct()
        )
    ).all()
    closed = set((await session.execute(select(MonthClose.month, MonthClose.vehicle_id))).all())
    return sorted({m for m, v in pairs if (m, v) not in closed})


async def close_due_months(session: AsyncSession, policy: Policy, today: datetime) -> list[CloseReport]:
    """Close every month that is due (in this session; the background closes one month per transaction)."""
    return [await close_month(session, m, policy) for m in await due_months(session, policy, today)]
