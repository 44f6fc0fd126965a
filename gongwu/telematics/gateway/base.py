"""What every gateway shares: the context of the process, a terminal session as an asyncio protocol, the server.

A session handles its connection's frames strictly one after the other: a frame that needs the database
(register, authenticate, log in) suspends the session and the frames behind it wait in order. Position
messages take the synchronous path into the pipeline; their ack is written when the writer says the batch is
durable. A connection is closed when it floods garbage (``garbage_limit_bytes`` of non-frames since the last
good frame, or 20 undecodable frames in a row), keeps sending data without authenticating, stays silent longer
than ``idle_timeout_s``, or does not authenticate within ``auth_timeout_s``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database
from gongwu.core.events import EventBus
from gongwu.devices import Position
from gongwu.telematics import commands, topics
from gongwu.telematics.models import PositionRow
from gongwu.telematics.pipeline import Fix, Pipeline, Track
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import SharedState
from gongwu.telematics.terminals import Binding

__all__ = ["BaseSession", "Gateway", "GatewayContext"]

log = logging.getLogger(__name__)

MAX_BAD_FRAMES = 20
MAX_REFUSED = 20


@dataclass
class GatewayContext:
    """The process-wide things a session needs."""

    db: Database
    bus: EventBus
    settings: TelematicsSettings
    pipeline: Pipeline
    state: SharedState
    gateway_id: str
    held: dict[int, BaseSession] = field(default_factory=dict)
    """Authenticated sessions of this process by terminal id (commands go to them)."""
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    bus_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(32))
    """Bounds the bus calls of sessions (a connection storm must not exhaust the Redis connection pool)."""

    def __post_init__(self) -> None:
        self.utc_offset = timedelta(hours=self.settings.gnss_utc_offset_hours)
        """The wall-clock offset of the terminals' times (Beijing: +8 h)."""

    def spawn(self, work: Coroutine[Any, Any, Any], name: str = "telematics") -> None:
        """Run a side job (a database update, an event) without holding up the session."""
        task = asyncio.create_task(work, name=name)
        self.background.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self.background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background job %s failed", task.get_name(), exc_info=task.exception())


@dataclass(frozen=True)
class Arrival:
    """What a log-in found: who the terminal is, where its car was last, the commands waiting for it."""

    binding: Binding
    last: Fix | None
    queued: list[dict[str, Any]]


class BaseSession(asyncio.Protocol):
    """One terminal connection. Subclasses say how frames are cut and what each message means."""

    protocol: ClassVar[str] = ""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.ctx = gateway.ctx
        self.transport: asyncio.Transport | None = None
        self.binding: Binding | None = None
        self.track: Track | None = None
        self.opened = self.last_rx = time.monotonic()
        self.peer = ""
        self._waiting: deque[bytes] = deque()
        self._busy = False
        self._paused = False
        self._closed = False
        self._garbage = 0
        self._bad_frames = 0
        self._refused = 0

    # -- what subclasses provide

    def frames(self, data: bytes) -> list[bytes]:
        raise NotImplementedError

    @property
    def discarded(self) -> int:
        """Bytes the framer threw away so far."""
        raise NotImplementedError

    def handle(self, frame: bytes) -> Coroutine[Any, Any, None] | None:
        """Handle one frame; return a coroutine when the database must be asked first."""
        raise NotImplementedError

    async def send_command(self, command: dict[str, Any]) -> None:
        raise NotImplementedError

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes
        peer = self.transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.gateway.sessions.add(self)

    def data_received(self, data: bytes) -> None:
        self.last_rx = time.monotonic()
        before = self.discarded
        frames = self.frames(data)
        self._garbage += self.discarded - before
        if self._garbage > self.ctx.settings.garbage_limit_bytes:
            self.close("garbage flood")
            return
        for frame in frames:
            if self._closed:
                return
            if self._busy:
                self._waiting.append(frame)
            else:
                self._run(frame)
        if not self._paused and self.ctx.pipeline.saturated:
            self._paused = True
            if self.transport is not None:
                self.transport.pause_reading()
            self.ctx.pipeline.writer.when_drained(self._resume)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self.gateway.sessions.discard(self)
        binding = self.binding
        if binding is not None:
            self._unhold(binding)

    # -- helpers for subclasses

    def _run(self, frame: bytes) -> None:
        try:
            pending = self.handle(frame)
        except Exception:
            log.exception("%s session %s: handling a frame failed", self.protocol, self.peer)
            return
        if pending is not None:
            self._busy = True
            task = asyncio.create_task(self._finish(pending))
            self.ctx.background.add(task)
            task.add_done_callback(self.ctx.background.discard)

    async def _finish(self, pending: Awaitable[None]) -> None:
        try:
            await pending
        except Exception:
            log.exception("%s session %s: a database step failed", self.protocol, self.peer)
        self._busy = False
        while self._waiting and not self._busy and not self._closed:
            self._run(self._waiting.popleft())

    def _resume(self) -> None:
        self._paused = False
        if self.transport is not None and not self._closed:
            self.transport.resume_reading()

    def good_frame(self) -> None:
        self._garbage = 0
        self._bad_frames = 0

    def bad_frame(self, reason: object) -> None:
        self._bad_frames += 1
        log.info("%s session %s: undecodable frame: %s", self.protocol, self.peer, reason)
        if self._bad_frames >= MAX_BAD_FRAMES:
            self.close("undecodable frames")

    def refused(self) -> None:
        """Data from a connection that has not authenticated: answered with a refusal, never stored."""
        self._refused += 1
        if self._refused >= MAX_REFUSED:
            self.close("data without authentication")

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self._closed:
            self.transport.write(data)

    def close(self, reason: str) -> None:
        if self._closed:
            return
        log.info("%s session %s closed: %s", self.protocol, self.peer, reason)
        self._closed = True
        if self.transport is not None:
            self.transport.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def now(self) -> datetime:
        return datetime.now(UTC)

    def submit(self, positions: list[Position], done: Callable[[], None] | None) -> None:
        assert self.track is not None
        self.ctx.pipeline.submit(self.track, positions, self.now(), done)

    async def arrive(self, session: AsyncSession, binding: Binding) -> Arrival:
        """In the log-in transaction: the car's last stored point (its track continues from there) and the
        commands queued for the terminal while it was away. ``hold`` it once the transaction is over."""
        last = await last_fix(session, binding)
        queued = await commands.queued_for(session, binding.terminal_id)
        envelopes = [{"command_id": c.id, "terminal_id": c.terminal_id, "kind": c.kind, "args": c.args} for c in queued]
        return Arrival(binding, last, envelopes)

    async def send_queued(self, envelopes: list[dict[str, Any]]) -> None:
        for envelope in envelopes:
            await self.send_command(envelope)

    async def hold(self, arrival: Arrival) -> None:
        """The connection is now this terminal's: its track, the directory and the bus are told."""
        binding, last = arrival.binding, arrival.last
        previous = self.ctx.held.get(binding.terminal_id)
        if previous is not None and previous is not self:
            previous.close("the terminal connected again")
        self.binding = binding
        self.track = Track(binding.terminal_id, binding.vehicle_id, last)
        self.ctx.held[binding.terminal_id] = self
        async with self.ctx.bus_slots:
            await self.ctx.state.directory.bind(binding.terminal_id, self.ctx.gateway_id)
        await self.session_event("online")

    def _unhold(self, binding: Binding) -> None:
        if self.ctx.held.get(binding.terminal_id) is self:
            del self.ctx.held[binding.terminal_id]
            self.ctx.spawn(self._gone(binding))

    async def _gone(self, binding: Binding) -> None:
        async with self.ctx.bus_slots:
            await self.ctx.state.directory.unbind(binding.terminal_id, self.ctx.gateway_id)
        await self.session_event("offline", binding=binding)

    async def session_event(self, kind: str, binding: Binding | None = None, **extra: Any) -> None:
        binding = binding or self.binding
        if binding is None:
            return
        payload = {
            "kind": kind,
            "terminal_id": binding.terminal_id,
            "vehicle_id": binding.vehicle_id,
            "protocol": self.protocol,
            "gateway": self.ctx.gateway_id,
            "time": self.now().isoformat(),
        } | extra
        try:
            async with self.ctx.bus_slots:
                await self.ctx.bus.publish(topics.SESSIONS, payload)
        except Exception:
            log.exception("publishing a session event failed")

    def expired(self, now: float) -> str | None:
        """Why the gateway should close this connection now, if it should."""
        settings = self.ctx.settings
        if now - self.last_rx > settings.idle_timeout_s:
            return "idle time-out"
        if self.binding is None and now - self.opened > settings.auth_timeout_s:
            return "no authentication"
        return None


async def last_fix(session: AsyncSession, binding: Binding) -> Fix | None:
    """The car's last stored position with coordinates, to continue its track from."""
    row = await session.scalar(
        select(PositionRow)
        .where(PositionRow.vehicle_id == binding.vehicle_id, PositionRow.lat.is_not(None))
        .order_by(PositionRow.device_time.desc())
        .limit(1)
    )
    if row is None:
        return None
    position = Position(
        terminal_id=binding.identifier,
        time=row.device_time,
        lat=row.lat,
        lon=row.lon,
        fix_valid=row.fix_valid,
        speed_kmh=row.speed_kmh,
        odometer_km=row.odometer_km,
    )
    fix = Fix(position, binding.terminal_id, binding.vehicle_id, row.received_at)
    fix.flags = row.flags
    return fix


class Gateway:
    """One asyncio TCP server for one protocol; ``port`` is the bound port once started."""

    def __init__(self, ctx: GatewayContext, session_class: type[BaseSession], host: str, port: int) -> None:
        self.ctx = ctx
        self.session_class = session_class
        self.host = host
        self.port = port
        self.sessions: set[BaseSession] = set()
        self._server: asyncio.Server | None = None

    @property
    def protocol(self) -> str:
        return self.session_class.protocol

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: self.session_class(self),
            self.host,
            self.port,
            backlog=4096,
            reuse_address=True,
            reuse_port=self.ctx.settings.gateway_reuse_port or None,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("%s gateway listening on %s:%d", self.protocol, self.host, self.port)

    def sweep(self, now: float) -> None:
        """Close what has expired (called every second)."""
        for session in list(self.sessions):
            reason = session.expired(now)
            if reason is not None:
                session.close(reason)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            session.close("gateway stopping")
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
