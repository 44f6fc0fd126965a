"""In-page notifications and the outbox of events. Never commits, except :func:`commit`, which is the
caller's commit followed by the announcement of what that commit made true.

A use case calls :func:`notify` (rows in the recipients' inboxes) and :func:`enqueue` (an outbox row: the bus
event and, for the webhook, who to tell and what) in its own transaction. The caller then ends the unit of
work with ``await commit(session, bus)``: the transaction commits, then the events it queued are published on
the bus. Events a crash left unpublished are published by the background sender
(:func:`gongwu.dispatch.notify.webhook.relay_once`), which also posts them to the webhook with retries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import utcnow
from gongwu.core.events import EventBus
from gongwu.core.identity.models import User
from gongwu.dispatch.notify.models import Notification, OutboxEvent

__all__ = [
    "commit",
    "contacts",
    "enqueue",
    "inbox",
    "mark_read",
    "notify",
    "publish_outbox",
    "unread_count",
]

_QUEUED = "dispatch.outbox"


async def notify(
    session: AsyncSession,
    user_ids: Iterable[int],
    *,
    kind: str,
    text_zh: str,
    text_en: str,
    booking_id: int | None = None,
) -> list[Notification]:
    """Put one message in the inbox of each user (each user once)."""
    rows = [
        Notification(
            user_id=uid,
            kind=kind,
            booking_id=booking_id,
            text_zh=text_zh[:255],
            text_en=text_en[:255],
            created_at=utcnow(),
        )
        for uid in dict.fromkeys(user_ids)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def inbox(
    session: AsyncSession, user_id: int, *, unread_only: bool = False, limit: int = 50
) -> Sequence[Notification]:
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return (await session.scalars(query.order_by(Notification.id.desc()).limit(limit))).all()


async def unread_count(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def mark_read(session: AsyncSession, user_id: int, ids: Sequence[int] | None = None) -> int:
    """Mark the user's notifications read (the listed ones, or all); returns how many changed."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    result = await session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def contacts(session: AsyncSession, user_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Who to tell, as an SMS / IM gateway needs it: id, name, phone."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return []
    users = (await session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))).all()
    return [{"user_id": u.id, "name": u.full_name, "phone": u.phone} for u in users]


async def enqueue(
    session: AsyncSession, topic: str, payload: dict[str, Any], *, notice: dict[str, Any] | None = None
) -> OutboxEvent:
    """Queue an event for after the commit: ``payload`` goes on the bus topic; the webhook gets the payload
    and ``notice`` (the recipients and texts)."""
    row = OutboxEvent(
        topic=topic,
        payload=payload,
        notice=notice,
        created_at=utcnow(),
        webhook_state="pending",
        webhook_attempts=0,
        webhook_next_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    session.info.setdefault(_QUEUED, []).append(row.id)
    return row


async def commit(session: AsyncSession, bus: EventBus | None) -> None:
    """Commit the unit of work, then publish the events it queued (those a crash leaves behind are published
    by the background sender)."""
    queued: list[int] = session.info.pop(_QUEUED, [])
    await session.commit()
    if queued and bus is not None:
        await publish_outbox(session, bus, ids=queued)


async def publish_outbox(
    session: AsyncSession,
    bus: EventBus,
    *,
    ids: Sequence[int] | None = None,
    older_than: timedelta | None = None,
    limit: int = 500,
) -> int:
    """Publish unpublished outbox events (the listed ones, or those older than ``older_than``) in order, mark
    them published and commit. Returns how many were published."""
    query = select(OutboxEvent).where(OutboxEvent.published_at.is_(None)).order_by(OutboxEvent.id).limit(limit)
    if ids is not None:
        query = query.where(OutboxEvent.id.in_(ids))
    if older_than is not None:
        cutoff: datetime = utcnow() - older_than
        query = query.where(OutboxEvent.created_at <= cutoff)
    rows = (await session.scalars(query)).all()
    if not rows:
        await session.commit()
        return 0
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_topic.setdefault(row.topic, []).append(row.payload)
    for topic, payloads in by_topic.items():
        await bus.publish_many(topic, payloads)
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_([r.id for r in rows]))
        .values(published_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return len(rows)
