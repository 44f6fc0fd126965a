"""Liveness and readiness: readiness says exactly what is wrong.

``/ready`` answers 503 with the failing check named when the database does not answer or is not migrated to the
code's heads, when the bus does not answer, or when this process's ingest pipeline has been unable to store or
publish for more than ``STUCK_S`` (its acks are held; terminals keep their data). The pipeline's queue and lag
and the consumer groups' backlog are reported too. ``gongwu gateway`` and ``gongwu consumers`` answer the same
on ``GONGWU_METRICS_PORT``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from gongwu.core.db import Database
from gongwu.core.events import EventBus

router = APIRouter(tags=["health"])

STUCK_S = 10.0
"""The pipeline failing to store or publish for longer than this makes the process not ready."""
BACKLOG_WARN = 100_000
"""A consumer group further behind than this many events is reported as a problem (it stays ready)."""
GROUPS = ("telematics.live", "telematics.trips", "telematics.geofences", "telematics.alarms")


@cache
def _scripts() -> Any:
    from alembic.script import ScriptDirectory

    from gongwu.app.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def missing_heads(versions: set[str]) -> set[str]:
    """The migration heads of this code that the database's revisions do not reach (a head that another branch
    depends on is not stored in ``alembic_version``: it is reached through its dependant)."""
    scripts = _scripts()
    reached: set[str] = set()
    for version in versions:
        try:
            reached |= {r.revision for r in scripts.iterate_revisions(version, "base")}
        except Exception:  # a revision this code does not know: the database is ahead of it
            continue
    return set(scripts.get_heads()) - reached


async def _database(db: Database) -> dict[str, Any]:
    try:
        async with db.session() as session:
            versions = set((await session.scalars(text("SELECT version_num FROM alembic_version"))).all())
    except Exception as exc:
        return {"ok": False, "problem": f"{type(exc).__name__}: {exc}"[:300]}
    check: dict[str, Any] = {"ok": True, "schema": sorted(versions) or None}
    missing = missing_heads(versions)
    if not versions:
        check |= {"ok": False, "problem": "not migrated: run `gongwu db upgrade`"}
    elif missing:
        check |= {
            "ok": False,
            "problem": f"schema behind the code (missing {sorted(missing)}): run `gongwu db upgrade`",
        }
    return check


async def _bus(bus: EventBus) -> tuple[dict[str, Any], dict[str, Any] | None]:
    try:
        await bus.ping()
    except Exception as exc:
        return {"ok": False, "problem": f"{type(exc).__name__}: {exc}"[:300]}, None
    backlog: dict[str, Any] = {}
    for group in GROUPS:
        try:
            backlog[group] = {
                "lag": await bus.lag("telematics.positions", group),
                "pending": await bus.pending_count("telematics.positions", group),
            }
        except LookupError:  # the group does not exist (no consumer ever ran against this bus)
            continue
    consumers: dict[str, Any] | None = None
    if backlog:
        behind = [g for g, b in backlog.items() if (b["lag"] or 0) > BACKLOG_WARN]
        consumers = {"ok": True, "groups": backlog}
        if behind:
            consumers["problem"] = f"{', '.join(behind)} more than {BACKLOG_WARN} events behind: start consumers"
    return {"ok": True, "kind": type(bus).__name__}, consumers


def _pipeline(writers: list[Any]) -> dict[str, Any] | None:
    if not writers:
        return None
    failing = max(w.failing_for for w in writers)
    check: dict[str, Any] = {
        "ok": failing <= STUCK_S,
        "pending": sum(w.pending for w in writers),
        "lag_s": round(max(w.lag_s for w in writers), 3),
        "failing_s": round(failing, 1),
        "reading": not any(w.saturated for w in writers),
    }
    if failing:
        problems = "; ".join(w.failing_what for w in writers if w.failing_what)
        check["problem"] = f"acks held for {failing:.0f} s: {problems}"
    return check


async def readiness(db: Database, bus: EventBus, writers: list[Any]) -> tuple[bool, dict[str, Any]]:
    """(ready, the checks) for a process with this database, bus and pipeline writers."""
    checks: dict[str, Any] = {"database": await _database(db)}
    checks["bus"], consumers = await _bus(bus)
    pipeline = _pipeline(writers)
    if pipeline is not None:
        checks["pipeline"] = pipeline
    if consumers is not None:
        checks["consumers"] = consumers
    return all(c["ok"] for c in checks.values()), checks


@router.get("/health")
async def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """The database answers and is migrated, the bus answers, the pipeline (if this process runs gateways)
    stores and publishes; what is wrong is named."""
    platform = request.app.state.platform
    writers = [service.writer for service in getattr(request.app.state, "gateway_services", [])]
    ok, checks = await readiness(platform.db, platform.bus, writers)
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)
