"""The background sender: publishes outbox events a crash left unpublished, and posts every event to the
webhook of an SMS / IM gateway, with retries. A failing webhook never blocks a booking: the booking's
transaction committed long before.

Each call is ``POST <GONGWU_DISPATCH_WEBHOOK_URL>`` with a JSON body::

    {"id": 42, "event": "booking.approved", "topic": "dispatch.bookings", "created_at": "…",
     "booking": {booking_id, code, event, status, previous, unit_id, …},
     "recipients": [{"user_id": 7, "name": "黄科员", "phone": "139…", "text": {"zh": "…", "en": "…"}}]}

and the headers ``X-Gongwu-Event``, ``X-Gongwu-Delivery`` (the event id: the same on every retry, so the
receiver can drop duplicates), ``X-Gongwu-Timestamp`` (Unix seconds) and ``X-Gongwu-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with GONGWU_DISPATCH_WEBHOOK_SECRET>``. Any 2xx answer
delivers it; anything else (or no answer within the timeout) is retried after 2, 4, 8 … seconds
(``webhook_retry_s``), up to ``webhook_max_attempts`` calls, then marked ``failed``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta
from typing import Any, Protocol

import httpx
from sqlalchemy import select, update

from gongwu.core.db import Database, utcnow
from gongwu.core.events import EventBus
from gongwu.dispatch.notify.models import OutboxEvent
from gongwu.dispatch.notify.service import publish_outbox
from gongwu.dispatch.settings import DispatchSettings

__all__ = ["background_tasks", "deliver_due", "relay_once", "sign", "webhook_body"]

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
"""How long a sender holds the events it is posting before another sender may take them."""
LEFTOVER_AFTER = timedelta(seconds=5)
"""Unpublished events older than this were left by a crash between commit and publish."""


class HasDbAndBus(Protocol):
    db: Database
    bus: EventBus


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Gongwu-Signature`` value of a body sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_body(row: OutboxEvent) -> dict[str, Any]:
    notice = row.notice or {}
    return {
        "id": row.id,
        "event": f"booking.{row.payload.get('event', 'changed')}",
        "topic": row.topic,
        "created_at": row.created_at.isoformat(),
        "booking": row.payload,
        "recipients": notice.get("recipients", []),
    }


async def _claim(db: Database, settings: DispatchSettings, batch: int) -> list[OutboxEvent]:
    """Take due events for posting (a lease, so parallel senders do not post the same event)."""
    now = utcnow()
    async with db.session() as session:
        query = (
            select(OutboxEvent)
            .where(OutboxEvent.webhook_state == "pending", OutboxEvent.webhook_next_at <= now)
            .order_by(OutboxEvent.id)
            .limit(batch)
        )
        if db.is_postgres:
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.scalars(query)).all())
        if rows:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_([r.id for r in rows]))
                .values(webhook_next_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
        await session.commit()
        return rows


async def _post(client: httpx.AsyncClient, settings: DispatchSettings, row: OutboxEvent) -> str | None:
    """Post one event; None when delivered, else what went wrong."""
    body = json.dumps(webhook_body(row), ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Gongwu-Event": f"booking.{row.payload.get('event', 'changed')}",
        "X-Gongwu-Delivery": str(row.id),
        "X-Gongwu-Timestamp": timestamp,
        "X-Gongwu-Signature": sign(settings.webhook_secret.get_secret_value(), timestamp, body),
    }
    try:
        response = await client.post(
            str(settings.webhook_url), content=body, headers=headers, timeout=settings.webhook_timeout_s
        )
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:255]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def deliver_due(
    db: Database, settings: DispatchSettings, client: httpx.AsyncClient, *, batch: int = 50
) -> tuple[int, int]:
    """Post the events that are due; returns (delivered, failed attempts)."""
    if not settings.webhook_url:
        async with db.session() as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.webhook_state == "pending")
                .values(webhook_state="skipped")
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        return 0, 0
    rows = await _claim(db, settings, batch)
    delivered = failed = 0
    for row in rows:
        error = await _post(client, settings, row)
        attempts = row.webhook_attempts + 1
        values: dict[str, Any] = {"webhook_attempts": attempts, "webhook_error": error}
        if error is None:
            values |= {"webhook_state": "sent", "webhook_next_at": None}
            delivered += 1
        else:
            failed += 1
            if attempts >= settings.webhook_max_attempts:
                values |= {"webhook_state": "failed", "webhook_next_at": None}
                log.warning("webhook gave up on event %s after %d attempts: %s", row.id, attempts, error)
            else:
                wait = settings.webhook_retry_s * 2 ** (attempts - 1)
                values["webhook_next_at"] = utcnow() + timedelta(seconds=wait)
        async with db.session() as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == row.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
    return delivered, failed


async def relay_once(db: Database, bus: EventBus, settings: DispatchSettings, client: httpx.AsyncClient) -> None:
    """One round of the sender: publish leftovers, post due events."""
    async with db.session() as session:
        await publish_outbox(session, bus, older_than=LEFTOVER_AFTER)
    await deliver_due(db, settings, client)


def background_tasks(settings: DispatchSettings) -> list[Any]:
    """The sender as a task ``(platform, stop) -> None`` of the composition root."""

    async def dispatch_outbox(platform: HasDbAndBus, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as client:
            while not stop.is_set():
                try:
                    await relay_once(platform.db, platform.bus, settings, client)
                except Exception:  # the database restarting: wait and go on
                    log.exception("dispatch outbox: round failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=settings.outbox_poll_s)

    return [dispatch_outbox]
