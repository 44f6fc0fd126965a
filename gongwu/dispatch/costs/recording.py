"""Recording a cost: the entry (once per source) and what must be posted at once (see :mod:`.flows`)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.bookings.lifecycle import SOURCE_TYPE as BOOKING_SOURCE
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.costs import ledger, settlement
from gongwu.dispatch.costs.models import CostEntry

__all__ = ["record", "route"]


async def route(session: AsyncSession, entry: CostEntry, vehicle: Vehicle) -> None:
    """Post what a newly recorded entry must have posted now (see the table above)."""
    if not entry.cash or entry.posted >= entry.amount:
        return
    rest = entry.amount - entry.posted
    if entry.booking_id is not None:
        booking = await session.get(Booking, entry.booking_id)
        if booking is not None:
            line = booking.budget_line_id or await ledger.owner_line(session, booking.unit_id, entry.day)
            await ledger.post(
                session,
                [(entry, rest)],
                kind="direct",
                unit_id=booking.unit_id,
                line_id=line,
                booking_id=booking.id,
                source_type=BOOKING_SOURCE,
                source_id=booking.id,
                note=f"{booking.code} {entry.category}",
            )
            return
    closed = await ledger.is_closed(session, vehicle.id, entry.month)
    if entry.category in ("insurance", "inspection") or closed:
        await ledger.post(
            session,
            [(entry, rest)],
            kind="fixed" if not closed else "owner",
            unit_id=vehicle.unit_id,
            line_id=await ledger.owner_line(session, vehicle.unit_id, entry.day),
            source_type=ledger.OWNER_SOURCE,
            source_id=f"{vehicle.id}:{entry.month}:{entry.source_kind}:{entry.source_id}"[:64],
            note=f"{vehicle.plate} {entry.category}",
        )


async def record(
    session: AsyncSession,
    vehicle: Vehicle,
    *,
    day: date,
    category: str,
    amount: Decimal,
    source_kind: str,
    source_id: str | int,
    booking_id: int | None = None,
    quantity: float | None = None,
    note: str | None = None,
    absorb: bool = True,
) -> CostEntry:
    """Add a cost entry (once per source) and post it as its kind says; new running costs pay pending trips
    (``absorb``; an import absorbs once per car at its end)."""
    entry, new = await ledger.add_entry(
        session,
        vehicle,
        day=day,
        category=category,
        amount=amount,
        source_kind=source_kind,
        source_id=source_id,
        booking_id=booking_id,
        quantity=quantity,
        note=note,
    )
    if new:
        await route(session, entry, vehicle)
        if absorb:
            await settlement.absorb_pending(session, vehicle.id)
    return entry
