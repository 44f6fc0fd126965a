"""HTTP routes of the audit chain: read records, verify the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from gongwu.core import audit
from gongwu.core.audit import AuditRecord
from gongwu.core.http import DbSession, require
from gongwu.core.identity.principal import Principal

router = APIRouter(prefix="/api/audit", tags=["audit"])


class RecordOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    context: str | None
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class VerifyOut(BaseModel):
    intact: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


@router.get("/records", response_model=list[RecordOut])
async def records(
    session: DbSession,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: int | None = None,
    before_id: int | None = None,
    limit: int = Query(100, ge=1, le=1000),
    _: Principal = require("audit.read"),
) -> list[RecordOut]:
    """Newest first; page with ``before_id``."""
    query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
    for column, value in (
        (AuditRecord.entity_type, entity_type),
        (AuditRecord.entity_id, entity_id),
        (AuditRecord.actor_id, actor_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if before_id is not None:
        query = query.where(AuditRecord.id < before_id)
    return [RecordOut.model_validate(r) for r in await session.scalars(query)]


@router.get("/verify", response_model=VerifyOut)
async def verify(session: DbSession, _: Principal = require("audit.read")) -> VerifyOut:
    checked, broken = await audit.verify(session)
    if broken is None:
        return VerifyOut(intact=True, checked=checked)
    return VerifyOut(intact=False, checked=checked, first_broken_id=broken.record_id, reason=broken.reason)
