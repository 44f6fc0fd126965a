"""Notifications: in-page inboxes, and the signed webhook posted after the commit with retries — against a
small HTTP server of the test's own. A webhook that fails never blocks a booking."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from gongwu.app.platform import Platform
from gongwu.core.db import Database
from gongwu.dispatch.bookings.flows import TOPIC
from gongwu.dispatch.notify import webhook
from gongwu.dispatch.notify.models import OutboxEvent
from gongwu.dispatch.notify.service import publish_outbox
from gongwu.dispatch.settings import DispatchSettings
from tests import factories as f
from tests.browser import free_port
from tests.dispatch.bookings.conftest import Bureau, booking_body

SECRET = "a-shared-secret-with-the-sms-gateway"


class Receiver:
    """A local HTTP endpoint that records every POST and answers with the next queued status (200 when none)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _with_webhook(platform: Platform, url: str) -> DispatchSettings:
    settings = platform.settings.dispatch.model_copy(
        update={
            "webhook_url": url,
            "webhook_secret": SecretStr(SECRET),
            "webhook_retry_s": 0.05,
            "webhook_max_attempts": 3,
        }
    )
    platform.settings = dataclasses.replace(platform.settings, dispatch=settings)
    return settings


async def _states(db: Database) -> list[tuple[str, int]]:
    async with db.session() as s:
        rows = (await s.scalars(select(OutboxEvent).order_by(OutboxEvent.id))).all()
        return [(r.webhook_state, r.webhook_attempts) for r in rows]


async def test_webhook_is_signed_retried_and_never_blocks_a_booking(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform, receiver: Receiver
) -> None:
    settings = _with_webhook(platform, receiver.url)
    receiver.answers = [500, 503]  # the gateway is down for two calls
    staff = await f.login(api, bureau.staff)
    r = await api.post("/api/bookings", json=booking_body(), headers=staff)
    assert r.status_code == 201  # the booking never waits for the webhook
    assert receiver.calls == []  # nothing is posted inside the request

    async with httpx.AsyncClient() as client:
        assert await webhook.deliver_due(db, settings, client) == (0, 1)
        assert await _states(db) == [("pending", 1)]
        await asyncio.sleep(0.06)
        assert await webhook.deliver_due(db, settings, client) == (0, 1)
        await asyncio.sleep(0.11)  # the wait doubled
        assert await webhook.deliver_due(db, settings, client) == (1, 0)
    assert await _states(db) == [("sent", 3)]

    call = receiver.calls[-1]
    headers, body = call["headers"], call["body"]
    assert headers["X-Gongwu-Event"] == "booking.submitted"
    assert headers["X-Gongwu-Signature"] == webhook.sign(SECRET, headers["X-Gongwu-Timestamp"], body)
    assert [c["headers"]["X-Gongwu-Delivery"] for c in receiver.calls] == [headers["X-Gongwu-Delivery"]] * 3
    sent = json.loads(body)
    assert sent["booking"]["code"] == r.json()["code"] and sent["booking"]["status"] == "submitted"
    (recipient,) = sent["recipients"]
    assert recipient["user_id"] == bureau.leader.id and "待您审批" in recipient["text"]["zh"]


async def test_a_webhook_that_keeps_failing_is_given_up(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform, receiver: Receiver
) -> None:
    settings = _with_webhook(platform, receiver.url)
    receiver.answers = [500] * 10
    await api.post("/api/bookings", json=booking_body(), headers=await f.login(api, bureau.staff))
    async with httpx.AsyncClient() as client:
        for _ in range(3):
            await webhook.deliver_due(db, settings, client)
            await asyncio.sleep(0.25)
    assert await _states(db) == [("failed", 3)]


async def test_no_webhook_configured_and_leftovers_are_published(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform
) -> None:
    await platform.bus.ensure_group(TOPIC, "late")
    await api.post("/api/bookings", json=booking_body(), headers=await f.login(api, bureau.staff))
    async with httpx.AsyncClient() as client:
        assert await webhook.deliver_due(db, platform.settings.dispatch, client) == (0, 0)
    assert await _states(db) == [("skipped", 0)]
    # an event whose publication a crash prevented is published by the sender later
    async with db.session() as s:
        row = await s.scalar(select(OutboxEvent))
        assert row is not None
        row.published_at = None
        await s.commit()
        assert await publish_outbox(s, platform.bus, older_than=timedelta(0)) == 1
        assert await publish_outbox(s, platform.bus, older_than=timedelta(0)) == 0
    events = await platform.bus.read(TOPIC, "late", "t", count=10, block_ms=10)
    assert [e.payload["event"] for e in events] == ["submitted", "submitted"]  # at least once


async def test_the_sender_runs_in_the_background(
    api: httpx.AsyncClient, db: Database, bureau: Bureau, platform: Platform, receiver: Receiver
) -> None:
    settings = _with_webhook(platform, receiver.url)
    settings = settings.model_copy(update={"outbox_poll_s": 0.05})
    stop = asyncio.Event()
    (task,) = webhook.background_tasks(settings)
    running = asyncio.create_task(task(platform, stop))
    try:
        await api.post("/api/bookings", json=booking_body(), headers=await f.login(api, bureau.staff))
        for _ in range(100):
            if receiver.calls:
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
    assert len(receiver.calls) == 1
