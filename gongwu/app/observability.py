"""What operators see of a process: ``/metrics`` (Prometheus), a request id and one log line per request, the
HTTP latency histogram, and — for processes without the HTTP API (``gongwu gateway``, ``gongwu consumers``) — a
small server of ``/metrics``, ``/health`` and ``/ready`` on ``GONGWU_METRICS_PORT``.

Every process serves its own metrics (Prometheus scrapes each gateway, consumer and API process and adds them
up); nothing is shared between processes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongwu.core import logs

__all__ = ["HTTP_SECONDS", "RequestMiddleware", "metrics_router", "serve_ops"]

log = logging.getLogger("gongwu.http")

HTTP_SECONDS = Histogram(
    "gongwu_http_request_seconds",
    "HTTP request latency by route template and status class",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestMiddleware:
    """A request id (the client's ``X-Request-ID`` when sane, else a new one; echoed back), one log line per
    request, and the latency histogram by route template (never by raw path: ids would explode the series)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            HTTP_SECONDS.labels(method, template, f"{status // 100}xx").observe(elapsed)
            level = logging.WARNING if status >= 500 else logging.INFO
            log.log(level, "%s %s %d %.1f ms", method, scope.get("path", ""), status, elapsed * 1000,
                    extra={"status": status, "duration_ms": round(elapsed * 1000, 1)})  # fmt: skip
            logs.request_id.reset(token)


metrics_router = APIRouter(tags=["health"])


@metrics_router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Prometheus text format. With ``GONGWU_METRICS_TOKEN`` set, only for ``Authorization: Bearer <token>``."""
    token = request.app.state.platform.settings.core.metrics_token
    if token is not None:
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {token.get_secret_value()}".encode()):
            return Response("metrics need the scraper's token\n", status_code=401, media_type="text/plain")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


Readiness = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


async def serve_ops(host: str, port: int, ready: Readiness, stop: asyncio.Event) -> None:
    """``/metrics``, ``/health`` and ``/ready`` over plain HTTP/1.0 for a process without the API."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass  # headers
            parts = line.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else "/"
            if path == "/metrics":
                status, body, kind = 200, generate_latest(), CONTENT_TYPE_LATEST
            elif path == "/health":
                status, body, kind = 200, b'{"status":"ok"}', "application/json"
            elif path == "/ready":
                ok, checks = await ready()
                answer = {"status": "ready" if ok else "not ready", "checks": checks}
                status, body, kind = (200 if ok else 503), json.dumps(answer).encode(), "application/json"
            else:
                status, body, kind = 404, b"not found\n", "text/plain"
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            head = f"HTTP/1.0 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n"
            writer.write(head.encode() + body)
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    log.info("metrics, health and readiness on http://%s:%d/", host, server.sockets[0].getsockname()[1])
    try:
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
