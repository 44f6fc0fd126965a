"""The budget ledger. available = amount − reserved − charged, never negative, also under concurrency.

Every movement is one conditional UPDATE on the line that succeeds only if the line still has room, so
two requests racing for the last yuan cannot both win, on PostgreSQL or SQLite; the ledger entry is written
in the same transaction. Movements of one source (a booking, a reception) lock the line first so its open
reservation is computed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import CursorResult, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.budget.classes import (
    ECONOMIC_CLASSES,
    SANGONG,
    check_economic_class,
    check_functional_class,
)
from gongwu.core.budget.models import BudgetEntry, BudgetLine, FiscalYear
from gongwu.core.db import Money
from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal

__all__ = [
    "ExecutionRow",
    "SangongRow",
    "adjust_amount",
    "charge",
    "create_fiscal_year",
    "create_line",
    "execution_report",
    "find_line",
    "get_line",
    "list_entries",
    "list_lines",
    "open_reservation",
    "release",
    "reserve",
    "sangong_summary",
]

CENT = Decimal("0.01")


def _money(amount: Decimal | int | str, what: str = "amount") -> Decimal:
    try:
        value = Decimal(amount)
    except Exception:
        raise InvalidInput(
            f"The {what} {amount!r} is not a number.", code="budget.bad_amount", message_zh=f"{amount!r} 不是数字。"
        ) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(CENT):
        raise InvalidInput(
            f"The {what} must be a positive number of yuan with at most two decimals, not {amount}.",
            code="budget.bad_amount",
            message_zh=f"金额须为正数（元），最多两位小数，而不是 {amount}。",
        )
    return value


async def create_fiscal_year(session: AsyncSession, year: int) -> FiscalYear:
    if not 2000 <= year <= 2100:
        raise InvalidInput(
            f"{year} is not a plausible fiscal year.", code="budget.bad_year", message_zh=f"{year} 不是合理的预算年度。"
        )
    fy = await session.get(FiscalYear, year)
    if fy is None:
        fy = FiscalYear(year=year, status="open")
        session.add(fy)
        await session.flush()
    return fy


async def create_line(
    session: AsyncSession,
    *,
    unit_id: int,
    year: int,
    economic_class: str,
    functional_class: str,
    amount: Decimal | int | str,
    name: str | None = None,
) -> BudgetLine:
    check_economic_class(economic_class)
    check_functional_class(functional_class)
    value = _money(amount)
    if await session.get(OrgUnit, unit_id) is None:
        raise NotFound(
            f"Unit {unit_id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit_id}。"
        )
    fy = await session.get(FiscalYear, year)
    if fy is None:
        raise NotFound(
            f"Fiscal year {year} does not exist.", code="budget.year_not_found", message_zh=f"预算年度 {year} 不存在。"
        )
    duplicate = await session.scalar(
        select(BudgetLine.id).where(
            BudgetLine.unit_id == unit_id,
            BudgetLine.year == year,
            BudgetLine.economic_class == economic_class,
            BudgetLine.functional_class == functional_class,
        )
    )
    if duplicate:
        raise Conflict(
            "This unit already has a line for that year and class.",
            code="budget.line_exists",
            message_zh="该单位当年此分类的预算指标已存在。",
        )
    line = BudgetLine(
        unit_id=unit_id,
        year=year,
        economic_class=economic_class,
        functional_class=functional_class,
        name=name or ECONOMIC_CLASSES[economic_class][0],
        amount=value,
        reserved=Decimal(0),
        charged=Decimal(0),
    )
    session.add(line)
    await session.flush()
    return line


async def get_line(session: AsyncSession, line_id: int, *, lock: bool = False) -> BudgetLine:
    query = select(BudgetLine).where(BudgetLine.id == line_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    line = await session.scalar(query)
    if line is None:
        raise NotFound(
            f"Budget line {line_id} not found.", code="budget.line_not_found", message_zh=f"未找到预算指标 {line_id}。"
        )
    return line


async def find_line(session: AsyncSession, unit_id: int, year: int, economic_class: str) -> BudgetLine:
    """The line a unit's cost of this class goes to: the unit's own, else its nearest ancestor's."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(
            f"Unit {unit_id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit_id}。"
        )
    chain = [int(x) for x in unit.path.strip("/").split("/") if x]
    lines = (
        await session.scalars(
            select(BudgetLine).where(
                BudgetLine.unit_id.in_(chain),
                BudgetLine.year == year,
                BudgetLine.economic_class == economic_class,
            )
        )
    ).all()
    by_unit = {line.unit_id: line for line in lines}
    for uid in reversed(chain):
        if uid in by_unit:
            return by_unit[uid]
    name = ECONOMIC_CLASSES.get(economic_class, (economic_class,))[0]
    raise Conflict(
        f"No {year} budget line for {name} ({economic_class}) covers {unit.name}.",
        code="budget.no_line",
        message_zh=f"没有覆盖{unit.name}的 {year} 年{name}（{economic_class}）预算指标。",
        details={"unit_id": unit_id, "year": year, "economic_class": economic_class},
    )


async def _ensure_open(session: AsyncSession, line: BudgetLine) -> None:
    fy = await session.get(FiscalYear, line.year)
    if fy is None or fy.status != "open":
        raise Conflict(
            f"Fiscal year {line.year} is closed.",
            code="budget.year_closed",
            message_zh=f"预算年度 {line.year} 已关闭。",
        )


async def _move(session: AsyncSession, line_id: int, *, reserved: Decimal, charged: Decimal) -> bool:
    """Apply deltas if the line stays within its amount and no total goes negative."""
    needed = literal(reserved + charged, Money())
    d_reserved, d_charged = literal(reserved, Money()), literal(charged, Money())
    result: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment]
        update(BudgetLine)
        .where(
            BudgetLine.id == line_id,
            BudgetLine.amount - BudgetLine.reserved - BudgetLine.charged >= needed,
            BudgetLine.reserved + d_reserved >= literal(0, Money()),
        )
        .values(reserved=BudgetLine.reserved + d_reserved, charged=BudgetLine.charged + d_charged)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _insufficient(line: BudgetLine, amount: Decimal) -> Conflict:
    return Conflict(
        f"Budget line “{line.name}” has {line.available} yuan available; {amount} yuan is needed.",
        code="budget.insufficient",
        message_zh=f"预算指标“{line.name}”可用 {line.available} 元，需要 {amount} 元，额度不足。",
        details={"line_id": line.id, "available": str(line.available), "requested": str(amount)},
    )


async def reserve(
    session: AsyncSession,
    line_id: int,
    amount: Decimal | int | str,
    *,
    source_type: str,
    source_id: str | int,
    note: str | None = None,
    actor_id: int | None = None,
) -> BudgetEntry:
    """Set money aside for an approved cost (预留)."""
    value = _money(amount)
    line = await get_line(session, line_id)
    await _ensure_open(session, line)
    if not await _move(session, line_id, reserved=value, charged=Decimal(0)):
        raise _insufficient(await get_line(session, line_id), value)
    return await _entry(session, line_id, "reserve", value, value, Decimal(0), source_type, source_id, note, actor_id)


async def open_reservation(session: AsyncSession, line_id: int, source_type: str, source_id: str | int) -> Decimal:
    total = await session.scalar(
        select(func.coalesce(func.sum(BudgetEntry.reserved_delta), 0)).where(
            BudgetEntry.line_id == line_id,
            BudgetEntry.source_type == source_type,
            BudgetEntry.source_id == str(source_id),
        )
    )
    return Decimal(total or 0)


async def release(
    session: AsyncSession,
    line_id: int,
    *,
    source_type: str,
    source_id: str | int,
    amount: Decimal | int | str | None = None,
    note: str | None = None,
    actor_id: int | None = None,
) -> BudgetEntry | None:
    """Give back what a source still holds (all of it, or ``amount``). None when nothing was held."""
    await get_line(session, line_id, lock=True)
    held = await open_reservation(session, line_id, source_type, source_id)
    value = held if amount is None else min(_money(amount), held)
    if value <= 0:
        return None
    if not await _move(session, line_id, reserved=-value, charged=Decimal(0)):
        raise Conflict(
            "The reservation changed meanwhile; try again.",
            code="budget.concurrent_change",
            message_zh="预留金额刚被修改，请重试。",
        )
    return await _entry(session, line_id, "release", value, -value, Decimal(0), source_type, source_id, note, actor_id)


async def charge(
    session: AsyncSession,
    line_id: int,
    amount: Decimal | int | str,
    *,
    source_type: str,
    source_id: str | int,
    note: str | None = None,
    actor_id: int | None = None,
) -> BudgetEntry:
    """Book a settled cost (支出). It consumes the source's open reservation first, then free money."""
    value = _money(amount)
    line = await get_line(session, line_id, lock=True)
    await _ensure_open(session, line)
    held = await open_reservation(session, line_id, source_type, source_id)
    consumed = min(held, value)
    if not await _move(session, line_id, reserved=-consumed, charged=value):
        raise _insufficient(await get_line(session, line_id), value - consumed)
    return await _entry(session, line_id, "charge", value, -consumed, value, source_type, source_id, note, actor_id)


async def adjust_amount(session: AsyncSession, line_id: int, new_amount: Decimal | int | str) -> BudgetLine:
    """Change a line's amount (预算调整); it may not fall below what is reserved and charged."""
    value = _money(new_amount)
    line = await get_line(session, line_id, lock=True)
    if value < line.reserved + line.charged:
        raise Conflict(
            f"The line already has {line.reserved + line.charged} yuan reserved or charged.",
            code="budget.below_committed",
            message_zh=f"该指标已预留或支出 {line.reserved + line.charged} 元，调整后的金额不能低于此数。",
        )
    delta = value - line.amount
    line.amount = value
    await session.flush()
    await _entry(session, line_id, "adjust", abs(delta), Decimal(0), Decimal(0), "budget.adjust", line_id, None, None)
    return line


async def _entry(
    session: AsyncSession,
    line_id: int,
    kind: str,
    amount: Decimal,
    reserved_delta: Decimal,
    charged_delta: Decimal,
    source_type: str,
    source_id: str | int,
    note: str | None,
    actor_id: int | None,
) -> BudgetEntry:
    entry = BudgetEntry(
        line_id=line_id,
        kind=kind,
        amount=amount,
        reserved_delta=reserved_delta,
        charged_delta=charged_delta,
        source_type=source_type,
        source_id=str(source_id),
        note=note,
        actor_id=actor_id,
    )
    session.add(entry)
    await session.flush()
    return entry


async def list_lines(
    session: AsyncSession, principal: Principal, *, year: int | None = None, unit_id: int | None = None
) -> Sequence[BudgetLine]:
    query = select(BudgetLine).order_by(BudgetLine.unit_id, BudgetLine.economic_class, BudgetLine.id)
    clause = principal.unit_filter(BudgetLine.unit_id)
    if clause is not None:
        query = query.where(clause)
    if year is not None:
        query = query.where(BudgetLine.year == year)
    if unit_id is not None:
        query = query.where(BudgetLine.unit_id == unit_id)
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


async def list_entries(session: AsyncSession, line_id: int, *, limit: int = 200) -> Sequence[BudgetEntry]:
    query = select(BudgetEntry).where(BudgetEntry.line_id == line_id).order_by(BudgetEntry.id.desc()).limit(limit)
    return (await session.scalars(query)).all()


@dataclass(frozen=True, slots=True)
class ExecutionRow:
    """One line of the budget-execution report (预算执行情况)."""

    line_id: int
    unit_id: int
    unit_name: str
    economic_class: str
    class_name: str
    amount: Decimal
    reserved: Decimal
    charged: Decimal
    available: Decimal
    execution_rate: float


async def execution_report(
    session: AsyncSession, principal: Principal, year: int, *, unit_id: int | None = None
) -> list[ExecutionRow]:
    lines = await list_lines(session, principal, year=year, unit_id=unit_id)
    names: dict[int, str] = {i: n for i, n in await session.execute(select(OrgUnit.id, OrgUnit.name))}
    return [
        ExecutionRow(
            line_id=ln.id,
            unit_id=ln.unit_id,
            unit_name=names.get(ln.unit_id, "?"),
            economic_class=ln.economic_class,
            class_name=ECONOMIC_CLASSES.get(ln.economic_class, (ln.name,))[0],
            amount=ln.amount,
            reserved=ln.reserved,
            charged=ln.charged,
            available=ln.available,
            execution_rate=float(ln.charged / ln.amount) if ln.amount else 0.0,
        )
        for ln in lines
    ]


@dataclass(frozen=True, slots=True)
class SangongRow:
    """三公经费 of one unit: budget and spending for official cars, reception and travel abroad."""

    unit_id: int
    unit_name: str
    budget: dict[str, Decimal]
    charged: dict[str, Decimal]

    @property
    def total_budget(self) -> Decimal:
        return sum(self.budget.values(), Decimal(0))

    @property
    def total_charged(self) -> Decimal:
        return sum(self.charged.values(), Decimal(0))


async def sangong_summary(session: AsyncSession, principal: Principal, year: int) -> list[SangongRow]:
    lines = await list_lines(session, principal, year=year)
    names: dict[int, str] = {i: n for i, n in await session.execute(select(OrgUnit.id, OrgUnit.name))}
    rows: dict[int, SangongRow] = {}
    for ln in lines:
        group = next((g for g, classes in SANGONG.items() if ln.economic_class in classes), None)
        if group is None:
            continue
        row = rows.setdefault(
            ln.unit_id,
            SangongRow(
                ln.unit_id,
                names.get(ln.unit_id, "?"),
                {g: Decimal(0) for g in SANGONG},
                {g: Decimal(0) for g in SANGONG},
            ),
        )
        row.budget[group] += ln.amount
        row.charged[group] += ln.charged
    return sorted(rows.values(), key=lambda r: r.unit_id)
