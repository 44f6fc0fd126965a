"""``/api/notifications``: the caller's in-page inbox (any logged-in user has one)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from gongwu.core.http import CurrentPrincipal, DbSession
from gongwu.dispatch.notify import service

__all__ = ["router"]

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    booking_id: int | None
    text_zh: str
    text_en: str
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    unread: int
    items: list[NotificationOut]


class ReadIn(BaseModel):
    ids: list[int] | None = Field(None, description="Which to mark read; omitted: all")


@router.get("", response_model=Inbox)
async def inbox(
    principal: CurrentPrincipal,
    session: DbSession,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Inbox:
    """The newest notifications of the caller, and how many are unread."""
    items = await service.inbox(session, principal.user_id, unread_only=unread, limit=limit)
    return Inbox(
        unread=await service.unread_count(session, principal.user_id),
        items=[NotificationOut.model_validate(n) for n in items],
    )


@router.post("/read")
async def mark_read(body: ReadIn, principal: CurrentPrincipal, session: DbSession) -> dict[str, int]:
    """Mark notifications read (the listed ones, or all)."""
    changed = await service.mark_read(session, principal.user_id, body.ids)
    await session.commit()
    return {"marked": changed, "unread": await service.unread_count(session, principal.user_id)}
