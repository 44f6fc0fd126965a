"""Findings for the pages: the queue (filtered, scoped by the principal's sight), one finding, a supervisor's
decision on it (audited, with the reason), and the dashboard's counts by unit and month."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import utcnow
from gongwu.core.errors import Conflict, InvalidInput, NotFound
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.supervision.models import STATUSES, AuditRun, Finding
from gongwu.dispatch.supervision.rules import RULES

__all__ = ["dashboard", "decide", "finding_json", "get_finding", "list_findings"]

DECISIONS = ("confirmed", "explained", "dismissed")


def finding_json(
    f: Finding, plate: str | None = None, unit: str | None = None, *, evidence: bool = False
) -> dict[str, Any]:
    zh, en, _ = RULES.get(f.rule, (f.rule, f.rule, f.severity))
    out: dict[str, Any] = {
        "id": f.id,
        "rule": f.rule,
        "rule_name": {"zh": zh, "en": en},
        "severity": f.severity,
        "subject": f.subject,
        "vehicle_id": f.vehicle_id,
        "plate": plate,
        "unit_id": f.unit_id,
        "unit_name": unit,
        "booking_id": f.booking_id,
        "trip_id": f.trip_id,
        "starts_at": f.starts_at.isoformat(),
        "ends_at": f.ends_at.isoformat(),
        "summary": {"zh": f.summary_zh, "en": f.summary_en},
        "status": f.status,
        "status_name": dict(zip(("zh", "en"), STATUSES.get(f.status, (f.status, f.status)), strict=True)),
        "reason": f.reason,
        "decided_by": f.decided_by_name,
        "decided_at": f.decided_at.isoformat() if f.decided_at else None,
        "created_at": f.created_at.isoformat(),
    }
    if evidence:
        out["evidence"] = f.evidence
    return out


def _scoped(query: Any, principal: Principal | None) -> Any:
    if principal is not None and (clause := principal.unit_filter(Finding.unit_id)) is not None:
        query = query.where(clause)
    return query


async def list_findings(
    session: AsyncSession,
    principal: Principal | None,
    *,
    status: str | None = None,
    rule: str | None = None,
    vehicle_id: int | None = None,
    unit_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[tuple[Finding, str, str]]:
    """(finding, plate, unit name), newest first."""
    query = _scoped(
        select(Finding, Vehicle.plate, OrgUnit.name)
        .join(Vehicle, Vehicle.id == Finding.vehicle_id)
        .join(OrgUnit, OrgUnit.id == Finding.unit_id),
        principal,
    )
    if status is not None:
        if status not in STATUSES:
            raise InvalidInput(
                f"status is one of {', '.join(STATUSES)}.",
                code="supervision.bad_status",
                message_zh=f"状态须为 {', '.join(STATUSES)} 之一。",
            )
        query = query.where(Finding.status == status)
    if rule is not None:
        query = query.where(Finding.rule == rule)
    if vehicle_id is not None:
        query = query.where(Finding.vehicle_id == vehicle_id)
    if unit_id is not None:
        query = query.where(Finding.unit_id == unit_id)
    if start is not None:
        query = query.where(Finding.starts_at >= start)
    if end is not None:
        query = query.where(Finding.starts_at < end)
    query = query.order_by(Finding.starts_at.desc(), Finding.id.desc()).limit(min(limit, 2000))
    return [(f, p, u) for f, p, u in (await session.execute(query)).all()]


async def get_finding(session: AsyncSession, principal: Principal | None, finding_id: int) -> tuple[Finding, str, str]:
    query = _scoped(
        select(Finding, Vehicle.plate, OrgUnit.name)
        .join(Vehicle, Vehicle.id == Finding.vehicle_id)
        .join(OrgUnit, OrgUnit.id == Finding.unit_id)
        .where(Finding.id == finding_id),
        principal,
    )
    row = (await session.execute(query)).first()
    if row is None:
        raise NotFound(
            f"Finding {finding_id} not found.",
            code="supervision.finding_not_found",
            message_zh=f"未找到疑点 {finding_id}。",
        )
    return row[0], row[1], row[2]


async def decide(
    session: AsyncSession, principal: Principal, finding_id: int, status: str, reason: str | None
) -> Finding:
    """A supervisor's decision: confirmed (a violation), explained (a legitimate reason), dismissed (a false
    alarm) — always with the reason; a decided finding may be decided again (re-opened with ``open``)."""
    if status not in (*DECISIONS, "open"):
        raise InvalidInput(
            "A finding is confirmed, explained, dismissed or open.",
            code="supervision.bad_status",
            message_zh="核查结论须为已确认违规（confirmed）、已说明（explained）、已排除（dismissed）或待核查（open）。",
        )
    text = (reason or "").strip()
    if len(text) < 2:
        raise InvalidInput(
            "Say why (请填写核查意见).", code="supervision.reason_required", message_zh="请填写核查意见。"
        )
    finding, _, _ = await get_finding(session, principal, finding_id)
    if finding.status == status:
        raise Conflict(
            f"The finding is {status} already.",
            code="supervision.same_status",
            message_zh=f"该疑点已是“{STATUSES[status][0]}”状态。",
        )
    set_actor(session, Actor(principal.user_id, principal.username), context=f"supervision.finding.{status}")
    finding.status = status
    finding.reason = text[:400]
    finding.decided_by_id = principal.user_id
    finding.decided_by_name = principal.full_name or principal.username
    finding.decided_at = utcnow()
    await session.flush()
    return finding


async def dashboard(session: AsyncSession, principal: Principal | None, year: int, timezone: str) -> dict[str, Any]:
    """Findings of the year by month, by rule, by unit and by status (the cost side comes from costs)."""
    zone = ZoneInfo(timezone)
    lo = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    hi = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    rows = (
        await session.execute(
            _scoped(
                select(Finding.starts_at, Finding.rule, Finding.unit_id, Finding.status).where(
                    Finding.starts_at >= lo, Finding.starts_at < hi
                ),
                principal,
            )
        )
    ).all()
    by_month: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    by_unit: dict[int, dict[str, int]] = {}
    by_status: dict[str, int] = {}
    for at, rule, unit_id, status in rows:
        month = at.astimezone(zone).strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + 1
        by_rule[rule] = by_rule.get(rule, 0) + 1
        by_status[status] = by_status.get(status, 0) + 1
        counts = by_unit.setdefault(unit_id, {})
        counts[status] = counts.get(status, 0) + 1
    names = {u: n for u, n in await session.execute(select(OrgUnit.id, OrgUnit.name))}
    last = await session.scalar(select(func.max(AuditRun.day)).where(AuditRun.kind == "nightly"))
    return {
        "year": year,
        "by_month": [{"month": m, "findings": by_month[m]} for m in sorted(by_month)],
        "by_rule": [
            {"rule": r, "name": {"zh": RULES[r][0], "en": RULES[r][1]}, "findings": n}
            for r, n in sorted(by_rule.items(), key=lambda x: -x[1])
        ],
        "by_unit": [
            {"unit_id": u, "unit_name": names.get(u, "?"), "statuses": c, "findings": sum(c.values())}
            for u, c in sorted(by_unit.items(), key=lambda x: -sum(x[1].values()))
        ],
        "by_status": by_status,
        "last_nightly": last.isoformat() if last else None,
    }


async def recent_runs(session: AsyncSession, limit: int = 20) -> Sequence[AuditRun]:
    return (await session.scalars(select(AuditRun).order_by(AuditRun.id.desc()).limit(limit))).all()
