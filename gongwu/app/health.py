"""Liveness and readiness: readiness says exactly what is wrong."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    """The database and the bus answer, and the schema is migrated."""
    platform = request.app.state.platform
    checks: dict[str, Any] = {}
    try:
        async with platform.db.session() as session:
            version = await session.scalar(text("SELECT version_num FROM alembic_version"))
        checks["database"] = {"ok": version is not None, "schema": version}
        if version is None:
            checks["database"]["problem"] = "not migrated: run `gongwu db upgrade`"
    except Exception as exc:
        checks["database"] = {"ok": False, "problem": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        await platform.bus.ping()
        checks["bus"] = {"ok": True, "kind": type(platform.bus).__name__}
    except Exception as exc:
        checks["bus"] = {"ok": False, "problem": f"{type(exc).__name__}: {exc}"[:300]}
    ok = all(c["ok"] for c in checks.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503)
