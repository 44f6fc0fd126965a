"""HTTP routes of budgets: years, lines, the ledger, execution and 三公经费 reports."""

from __future__ import annotations

from fastapi import APIRouter

from gongwu.core.budget import service
from gongwu.core.budget.classes import ECONOMIC_CLASSES
from gongwu.core.budget.models import BudgetLine
from gongwu.core.budget.schemas import (
    AmountIn,
    EntryOut,
    ExecutionOut,
    LineDetailOut,
    LineIn,
    LineOut,
    PostingIn,
    SangongOut,
    YearIn,
    YearOut,
)
from gongwu.core.errors import InvalidInput, NotFound
from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import get_unit

router = APIRouter(prefix="/api/budget", tags=["budget"])


async def _visible_line(session: DbSession, principal: Principal, line_id: int, *, writing: bool) -> BudgetLine:
    line = await service.get_line(session, line_id)
    unit = await get_unit(session, line.unit_id)
    if not principal.sees_path(unit.path):
        if writing:
            principal.check_unit(unit, writing=True)
        raise NotFound(
            f"Budget line {line_id} not found.", code="budget.line_not_found", message_zh=f"未找到预算指标 {line_id}。"
        )
    return line


@router.get("/classes")
async def economic_classes(_: Principal = require("budget.line.read")) -> dict[str, dict[str, str]]:
    return {code: {"zh": zh, "en": en} for code, (zh, en) in ECONOMIC_CLASSES.items()}


@router.post("/years", response_model=YearOut, status_code=201)
async def open_year(body: YearIn, session: DbSession, _: Principal = require("budget.line.manage")) -> YearOut:
    fy = await service.create_fiscal_year(session, body.year)
    await session.commit()
    return YearOut.model_validate(fy)


@router.get("/lines", response_model=list[LineOut])
async def list_lines(
    session: DbSession,
    year: int | None = None,
    unit_id: int | None = None,
    principal: Principal = require("budget.line.read"),
) -> list[LineOut]:
    return [LineOut.model_validate(x) for x in await service.list_lines(session, principal, year=year, unit_id=unit_id)]


@router.post("/lines", response_model=LineOut, status_code=201)
async def create_line(
    body: LineIn, session: DbSession, principal: Principal = require("budget.line.manage")
) -> LineOut:
    principal.check_unit(await get_unit(session, body.unit_id), writing=True)
    line = await service.create_line(
        session,
        unit_id=body.unit_id,
        year=body.year,
        economic_class=body.economic_class,
        functional_class=body.functional_class,
        amount=body.amount,
        name=body.name,
    )
    await session.commit()
    return LineOut.model_validate(line)


@router.get("/lines/{line_id}", response_model=LineDetailOut)
async def get_line(
    line_id: int, session: DbSession, principal: Principal = require("budget.line.read")
) -> LineDetailOut:
    line = await _visible_line(session, principal, line_id, writing=False)
    entries = [EntryOut.model_validate(e) for e in await service.list_entries(session, line_id)]
    return LineDetailOut(**LineOut.model_validate(line).model_dump(), entries=entries)


@router.patch("/lines/{line_id}", response_model=LineOut)
async def adjust_line(
    line_id: int, body: AmountIn, session: DbSession, principal: Principal = require("budget.line.manage")
) -> LineOut:
    await _visible_line(session, principal, line_id, writing=True)
    line = await service.adjust_amount(session, line_id, body.amount)
    await session.commit()
    return LineOut.model_validate(line)


@router.post("/lines/{line_id}/reservations", response_model=EntryOut, status_code=201)
async def reserve(
    line_id: int, body: PostingIn, session: DbSession, principal: Principal = require("budget.ledger.post")
) -> EntryOut:
    await _visible_line(session, principal, line_id, writing=True)
    if body.amount is None:
        raise InvalidInput("A reservation needs an amount.", code="budget.bad_amount", message_zh="预留须填写金额。")
    entry = await service.reserve(
        session,
        line_id,
        body.amount,
        source_type=body.source_type,
        source_id=body.source_id,
        note=body.note,
        actor_id=principal.user_id,
    )
    await session.commit()
    return EntryOut.model_validate(entry)


@router.post("/lines/{line_id}/charges", response_model=EntryOut, status_code=201)
async def charge(
    line_id: int, body: PostingIn, session: DbSession, principal: Principal = require("budget.ledger.post")
) -> EntryOut:
    await _visible_line(session, principal, line_id, writing=True)
    if body.amount is None:
        raise InvalidInput("A charge needs an amount.", code="budget.bad_amount", message_zh="支出须填写金额。")
    entry = await service.charge(
        session,
        line_id,
        body.amount,
        source_type=body.source_type,
        source_id=body.source_id,
        note=body.note,
        actor_id=principal.user_id,
    )
    await session.commit()
    return EntryOut.model_validate(entry)


@router.post("/lines/{line_id}/releases", response_model=EntryOut | None)
async def release(
    line_id: int, body: PostingIn, session: DbSession, principal: Principal = require("budget.ledger.post")
) -> EntryOut | None:
    await _visible_line(session, principal, line_id, writing=True)
    entry = await service.release(
        session,
        line_id,
        source_type=body.source_type,
        source_id=body.source_id,
        amount=body.amount,
        note=body.note,
        actor_id=principal.user_id,
    )
    await session.commit()
    return EntryOut.model_validate(entry) if entry else None


@router.get("/execution", response_model=list[ExecutionOut])
async def execution(
    year: int,
    session: DbSession,
    unit_id: int | None = None,
    principal: Principal = require("budget.report.read"),
) -> list[ExecutionOut]:
    rows = await service.execution_report(session, principal, year, unit_id=unit_id)
    return [ExecutionOut.model_validate(r) for r in rows]


@router.get("/sangong", response_model=list[SangongOut])
async def sangong(
    year: int, session: DbSession, principal: Principal = require("budget.report.read")
) -> list[SangongOut]:
    return [
        SangongOut(
            unit_id=r.unit_id,
            unit_name=r.unit_name,
            budget=r.budget,
            charged=r.charged,
            total_budget=r.total_budget,
            total_charged=r.total_charged,
        )
        for r in await service.sangong_summary(session, principal, year)
    ]
