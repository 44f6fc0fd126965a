"""HTTP routes of trip supervision (``/api/supervision``): the finding queue, one finding with its evidence, the
supervisor's decision, the dashboard, the rules, and running the audit of a day on demand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.supervision import service
from gongwu.dispatch.supervision.audit import Auditor
from gongwu.dispatch.supervision.rules import RULES
from gongwu.dispatch.supervision.settings import SupervisionSettings

router = APIRouter(prefix="/api/supervision", tags=["supervision"])


class DecisionIn(BaseModel):
    status: Literal["confirmed", "explained", "dismissed", "open"]
    reason: str = Field(min_length=2, max_length=400, description="核查意见: what was found and why")


class RunIn(BaseModel):
    day: date = Field(description="The local day to audit")


def auditor_of(request: Request) -> Auditor:
    platform = request.app.state.platform
    settings = getattr(platform.settings, "supervision", None)
    return Auditor(
        platform.db,
        settings if isinstance(settings, SupervisionSettings) else SupervisionSettings(),
        platform.settings.core.local_timezone,
        getattr(request.app.state, "routing", None),
    )


@router.get("/rules")
async def rule_list(_: Principal = require("supervision.read")) -> list[dict[str, Any]]:
    return [{"rule": k, "name": {"zh": zh, "en": en}, "severity": sev} for k, (zh, en, sev) in RULES.items()]


@router.get("/findings")
async def findings(
    session: DbSession,
    status: str | None = None,
    rule: str | None = None,
    vehicle_id: int | None = None,
    unit_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
    principal: Principal = require("supervision.read"),
) -> list[dict[str, Any]]:
    """The queue, newest first (``status=open`` for what waits for a decision)."""
    rows = await service.list_findings(
        session, principal, status=status, rule=rule, vehicle_id=vehicle_id, unit_id=unit_id, start=start, end=end,
        limit=limit,
    )  # fmt: skip
    return [service.finding_json(f, plate, unit) for f, plate, unit in rows]


@router.get("/findings/{finding_id}")
async def finding(
    finding_id: int, session: DbSession, principal: Principal = require("supervision.read")
) -> dict[str, Any]:
    """One finding with its evidence: numbers, times, places and the track (``[[lon, lat, iso], …]``)."""
    f, plate, unit = await service.get_finding(session, principal, finding_id)
    return service.finding_json(f, plate, unit, evidence=True)


@router.post("/findings/{finding_id}/decision")
async def decide(
    finding_id: int, body: DecisionIn, session: DbSession, principal: Principal = require("supervision.decide")
) -> dict[str, Any]:
    """Confirmed, explained or dismissed (or re-opened), with the reason; kept in the audit chain."""
    f = await service.decide(session, principal, finding_id, body.status, body.reason)
    await session.commit()
    f, plate, unit = await service.get_finding(session, principal, finding_id)
    return service.finding_json(f, plate, unit, evidence=True)


@router.get("/dashboard")
async def dashboard(
    request: Request, session: DbSession, year: int | None = None, principal: Principal = require("supervision.read")
) -> dict[str, Any]:
    zone = request.app.state.platform.settings.core.local_timezone
    return await service.dashboard(session, principal, year or datetime.now(UTC).year, zone)


@router.get("/runs")
async def runs(session: DbSession, _: Principal = require("supervision.read")) -> list[dict[str, Any]]:
    return [
        {"id": r.id, "kind": r.kind, "day": r.day.isoformat() if r.day else None, "seconds": r.seconds,
         "vehicles": r.vehicles, "findings": r.findings, "trigger": r.trigger, "started_at": r.started_at.isoformat()}
        for r in await service.recent_runs(session)
    ]  # fmt: skip


@router.post("/run")
async def run(request: Request, body: RunIn, _: Principal = require("supervision.run")) -> dict[str, Any]:
    """Audit one day now (idempotent: what was found before is not found again)."""
    if body.day > (datetime.now(UTC) + timedelta(hours=14)).date():
        from gongwu.core.errors import InvalidInput

        raise InvalidInput(
            "That day has not happened yet.", code="supervision.future_day", message_zh="该日期尚未到来。"
        )
    done = await auditor_of(request).audit_day(body.day, trigger="on demand")
    return {"day": body.day.isoformat(), "seconds": done.seconds, "vehicles": done.vehicles, "findings": done.findings}
