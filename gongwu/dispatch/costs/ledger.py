"""The cost ledger: entries in, postings out. One budget charge carries one or more postings; the postings of an
entry never exceed it, and once its month is closed they add up to it exactly (CHECK ``posted <= amount``).

Budget movements go through :mod:`gongwu.core.budget.service` only (``charge`` consumes the source's open
reservation first), so the line's ``charged`` and the ledger's entries stay the budget module's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.budget import service as budget
from gongwu.core.budget.models import BudgetEntry, BudgetLine
from gongwu.core.fleet.models import Vehicle
from gongwu.dispatch.costs.errors import UnknownCategory
from gongwu.dispatch.costs.models import CASH_CATEGORIES, CATEGORIES, CostEntry, CostPosting, MonthClose

__all__ = [
    "BUDGET_CLASS",
    "CENT",
    "OWNER_SOURCE",
    "add_entry",
    "is_closed",
    "link_source_posting",
    "local_day",
    "month_bounds",
    "month_of",
    "owner_line",
    "post",
    "split",
    "yuan",
]

BUDGET_CLASS = "30231"
"""公务用车运行维护费."""
OWNER_SOURCE = "costs.vehicle"
"""``source_type`` of what a car's owning unit is charged (source id ``<vehicle id>:<month>:<kind>``)."""
CENT = Decimal("0.01")


def yuan(value: Decimal | float | int | str) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    """First day of the month and first day of the next."""
    year, mon = (int(x) for x in month.split("-"))
    first = date(year, mon, 1)
    return first, date(year + mon // 12, mon % 12 + 1, 1)


def split(total: Decimal, weights: Sequence[float]) -> list[Decimal]:
    """``total`` in fen shares proportional to ``weights`` that add up to it exactly (largest remainder)."""
    fen = int((total * 100).to_integral_value())
    mass = sum(weights)
    if not weights:
        return []
    if mass <= 0:
        weights, mass = [1.0] * len(weights), float(len(weights))
    raw = [fen * w / mass for w in weights]
    shares = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - shares[i], reverse=True)
    for i in order[: fen - sum(shares)]:
        shares[i] += 1
    return [Decimal(s) / 100 for s in shares]


async def is_closed(session: AsyncSession, vehicle_id: int, month: str) -> bool:
    return await session.get(MonthClose, (vehicle_id, month)) is not None


async def add_entry(
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
) -> tuple[CostEntry, bool]:
    """Add a cost of a car (once per source): (the entry, whether it is new)."""
    if category not in CATEGORIES:
        raise UnknownCategory(
            f"Unknown cost category {category!r}.",
            message_zh=f"未知的费用类别 {category!r}。",
            details={"known": list(CATEGORIES)},
        )
    found = await session.scalar(
        select(CostEntry).where(CostEntry.source_kind == source_kind, CostEntry.source_id == str(source_id))
    )
    if found is not None:
        return found, False
    entry = CostEntry(
        vehicle_id=vehicle.id,
        unit_id=vehicle.unit_id,
        day=day,
        month=month_of(day),
        category=category,
        amount=yuan(amount),
        cash=category in CASH_CATEGORIES,
        posted=Decimal(0),
        booking_id=booking_id,
        quantity=quantity,
        source_kind=source_kind,
        source_id=str(source_id),
        note=note,
    )
    session.add(entry)
    await session.flush()
    return entry, True


async def post(
    session: AsyncSession,
    parts: Sequence[tuple[CostEntry, Decimal]],
    *,
    kind: str,
    unit_id: int,
    line_id: int,
    source_type: str,
    source_id: str | int,
    booking_id: int | None = None,
    note: str | None = None,
    actor_id: int | None = None,
) -> BudgetEntry | None:
    """Charge the parts to one line in one ledger entry and record a posting per part."""
    parts = [(e, a) for e, a in parts if a > 0]
    total = sum((a for _, a in parts), Decimal(0))
    if total <= 0:
        return None
    charged = await budget.charge(
        session, line_id, total, source_type=source_type, source_id=source_id, note=note, actor_id=actor_id
    )
    for entry, amount in parts:
        session.add(
            CostPosting(
                entry_id=entry.id,
                kind=kind,
                unit_id=unit_id,
                line_id=line_id,
                booking_id=booking_id,
                budget_entry_id=charged.id,
                amount=amount,
            )
        )
        entry.posted += amount
    await session.flush()
    return charged


async def link_source_posting(session: AsyncSession, entry: CostEntry, source_type: str, source_id: str | int) -> bool:
    """Record the charge another module made for this cost (a charging session) as the entry's posting."""
    charges = (
        await session.scalars(
            select(BudgetEntry).where(
                BudgetEntry.source_type == source_type,
                BudgetEntry.source_id == str(source_id),
                BudgetEntry.kind == "charge",
            )
        )
    ).all()
    if not charges:
        return False
    for charged in charges:
        line = await session.get(BudgetLine, charged.line_id)
        assert line is not None
        session.add(
            CostPosting(
                entry_id=entry.id,
                kind="source",
                unit_id=line.unit_id,
                line_id=line.id,
                budget_entry_id=charged.id,
                amount=charged.amount,
            )
        )
        entry.posted += charged.amount
    await session.flush()
    return True


async def owner_line(session: AsyncSession, unit_id: int, day: date) -> int:
    return (await budget.find_line(session, unit_id, day.year, BUDGET_CLASS)).id
