"""What every gateway shares: the context of the process, a terminal session as an asyncio protocol, the server.

A session handles its connection's frames strictly one after the other: a frame that needs the database
(register, authenticate, log in) suspends the session and the frames behind it wait in order. Position
messages take the synchronous path into the pipeline; their ack is written when the writer says the batch is
durable. A connection is closed when it floods garbage (``garbage_limit_bytes`` of non-frames since the last
good frame, or 20 undecodable frames in a row), keeps sending data without authenticating, fails to
authenticate 3 times (its terminal is locked out after ``auth_max_failures``), stays silent longer than
``idle_timeout_s``, does not authenticate within ``auth_timeout_s``, or does not read what it is sent (more than
``write_buffer_max_bytes`` waiting). A connection sending more than ``max_frames_per_s`` (after a burst of
``frame_burst``) is handled more slowly: its frames wait for their allowance, and it is not read while more than
MAX_QUEUED_FRAMES wait, so a flood costs the gateway a bounded amount. While the writer is saturated (the
database or the bus is away) no connection is read.
"""

from __future__ import annotations

import asyncio
import logging
import socket
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
from gongwu.core.ratelimit import FailureLimit, counters_for
from gongwu.devices import Position
from gongwu.telematics import commands, metrics, topics
from gongwu.telematics.models import PositionRow
from gongwu.telematics.pipeline import Fix, Pipeline, Track
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import SharedState
from gongwu.telematics.terminals import Binding

__all__ = ["BaseSession", "Gateway", "GatewayContext"]

log = logging.getLogger(__name__)

MAX_BAD_FRAMES = 20
MAX_REFUSED = 20
MAX_AUTH_FAILURES_PER_CONNECTION = 3
MAX_QUEUED_FRAMES = 64
"""Frames that may wait behind a database step (a log-in) before the connection is no longer read."""
STEP_SLOTS = 16
"""Database steps of sessions (log-in, registration, log-out) running at once in one gateway process."""


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
    step_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(STEP_SLOTS))
    """Bounds the database steps (log-ins …) running at once: a reconnect storm waits its turn here instead of
    exhausting the database pool and the Redis connections the pipeline needs to publish (acks stopped)."""

    def __post_init__(self) -> None:
        self.utc_offset = timedelta(hours=self.settings.gnss_utc_offset_hours)
        """The wall-clock offset of the terminals' times (Beijing: +8 h)."""
        self.auth_failures = FailureLimit(
            counters_for(self.bus),
            "telematics.auth",
            limit=self.settings.auth_max_failures,
            window_s=self.settings.auth_lockout_s,
        )
        """Failed authentications per terminal (protocol:identifier), shared by every gateway through Redis."""

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
        self._holds: set[str] = set()
        """Why the connection is not read now: "saturated" (the writer is full), "queued" (frames wait behind a
        database step or for their allowance of the frame rate)."""
        self._closed = False
        self._garbage = 0
        self._bad_frames = 0
        self._refused = 0
        self._auth_failed = 0
        settings = self.ctx.settings
        self._rate = settings.max_frames_per_s
        self._burst = float(settings.frame_burst)
        self._allowance = self._burst
        self._allowance_at = self.opened
        self._drain_timer: asyncio.TimerHandle | None = None

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

    def housekeep(self, now: float) -> None:
        """Time-based upkeep of the protocol's own state (called every second with the monotonic time)."""

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes
        peer = self.transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.gateway.sessions.add(self)
        settings = self.ctx.settings
        self.transport.set_write_buffer_limits(high=min(65_536, settings.write_buffer_max_bytes))
        if settings.tcp_keepalive_s > 0:
            keepalive(self.transport.get_extra_info("socket"), settings.tcp_keepalive_s)
        metrics.connection_opened(self.protocol)

    def data_received(self, data: bytes) -> None:
        now = self.last_rx = time.monotonic()
        before = self.discarded
        frames = self.frames(data)
        self._garbage += self.discarded - before
        if self._garbage > self.ctx.settings.garbage_limit_bytes:
            self.close("garbage flood")
            return
        metrics.frames_in(self.protocol, len(frames), len(data))
        if frames:
            self._refill(now)
        for frame in frames:
            if self._closed:
                return
            if self._busy or self._waiting or self._allowance < 1:
                self._waiting.append(frame)
            else:
                self._allowance -= 1
                self._run(frame)
        if self._closed:
            return
        if self._waiting and not self._busy:
            self._throttle()
        if len(self._waiting) > MAX_QUEUED_FRAMES:
            self._hold("queued")
        if "saturated" not in self._holds and self.ctx.pipeline.saturated:
            self._hold("saturated")
            self.ctx.pipeline.writer.when_drained(lambda: self._release_hold("saturated"))

    def _hold(self, reason: str) -> None:
        if not self._holds and self.transport is not None:
            self.transport.pause_reading()
        self._holds.add(reason)

    def _release_hold(self, reason: str) -> None:
        self._holds.discard(reason)
        if not self._holds and self.transport is not None and not self._closed:
            self.transport.resume_reading()

    def _refill(self, now: float) -> None:
        """Token bucket: ``max_frames_per_s`` a second, at most ``frame_burst`` saved up."""
        self._allowance = min(self._burst, self._allowance + (now - self._allowance_at) * self._rate)
        self._allowance_at = now

    def _throttle(self) -> None:
        """Frames wait for their allowance: handle them when it has refilled (the connection is not read while
        more than MAX_QUEUED_FRAMES wait)."""
        if self._drain_timer is not None:
            return
        metrics.THROTTLED.labels(self.protocol).inc()
        wait = max(0.05, (1 - self._allowance) / self._rate)
        self._drain_timer = asyncio.get_running_loop().call_later(wait, self._drain)

    def _drain(self) -> None:
        self._drain_timer = None
        if self._closed:
            return
        self._refill(time.monotonic())
        while self._waiting and not self._busy and not self._closed and self._allowance >= 1:
            self._allowance -= 1
            self._run(self._waiting.popleft())
        if self._waiting and not self._busy and not self._closed:
            self._throttle()
        if "queued" in self._holds and len(self._waiting) <= MAX_QUEUED_FRAMES // 2:
            self._release_hold("queued")

    def connection_lost(self, exc: Exception | None) -> None:
        if self in self.gateway.sessions:
            metrics.connection_closed(self.protocol)
        self._closed = True
        self.gateway.sessions.discard(self)
        self._waiting.clear()
        if self._drain_timer is not None:
            self._drain_timer.cancel()
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
            async with self.ctx.step_slots:
                await pending
        except Exception:
            log.exception("%s session %s: a database step failed", self.protocol, self.peer)
        self._busy = False
        self._drain()

    def good_frame(self) -> None:
        self._garbage = 0
        self._bad_frames = 0

    def bad_frame(self, reason: object) -> None:
        self._bad_frames += 1
        log.info("%s session %s: undecodable frame: %s", self.protocol, self.peer, reason, extra=self.log_extra())
        if self._bad_frames >= MAX_BAD_FRAMES:
            self.close("undecodable frames")

    def refused(self) -> None:
        """Data from a connection that has not authenticated: answered with a refusal, never stored."""
        self._refused += 1
        if self._refused >= MAX_REFUSED:
            self.close("data without authentication")

    async def auth_allowed(self, key: str) -> bool:
        """May this terminal try to authenticate now? A locked-out one is told no and its connection closed."""
        wait = await self.ctx.auth_failures.blocked(key)
        if wait is None:
            return True
        metrics.AUTH_FAILURES.labels(self.protocol, "locked_out").inc()
        extra = self.log_extra()
        log.warning("%s session %s: %s is locked out for %.0f s more", self.protocol, self.peer, key, wait, extra=extra)
        return False

    async def auth_failed(self, key: str, reason: str) -> None:
        """Count a failed authentication of the terminal ``key``: 3 on one connection close it."""
        metrics.AUTH_FAILURES.labels(self.protocol, reason).inc()
        self._auth_failed += 1
        locked = await self.ctx.auth_failures.failed(key)
        if locked is not None:
            log.warning("%s session %s: %s locked out for %.0f s (%s)", self.protocol, self.peer, key, locked, reason,
                        extra=self.log_extra())  # fmt: skip
        if locked is not None or self._auth_failed >= MAX_AUTH_FAILURES_PER_CONNECTION:
            self.close("authentication failures")

    async def auth_succeeded(self, key: str) -> None:
        await self.ctx.auth_failures.succeeded(key)

    def write(self, data: bytes) -> None:
        transport = self.transport
        if transport is not None and not self._closed:
            transport.write(data)
            if transport.get_write_buffer_size() > self.ctx.settings.write_buffer_max_bytes:
                self.close("not reading what it is sent")

    def close(self, reason: str) -> None:
        if self._closed:
            return
        log.info("%s session %s closed: %s", self.protocol, self.peer, reason, extra=self.log_extra())
        metrics.CLOSED.labels(self.protocol, reason).inc()
        self._closed = True
        self._waiting.clear()
        if self.transport is not None:
            if self.transport.get_write_buffer_size() > self.ctx.settings.write_buffer_max_bytes:
                self.transport.abort()  # it does not read: do not keep its unsent bytes until it does
            else:
                self.transport.close()

    def log_extra(self) -> dict[str, Any]:
        """What a JSON log line of this connection carries besides the message."""
        extra: dict[str, Any] = {"protocol": self.protocol, "peer": self.peer}
        if self.binding is not None:
            extra["terminal_id"] = self.binding.terminal_id
            extra["vehicle_id"] = self.binding.vehicle_id
        return extra

    @property
    def closed(self) -> bool:
        return self._closed

    def now(self) -> datetime:
        return datetime.now(UTC)

    def submit(
        self, positions: list[Position], done: Callable[[], None] | None, refuse: Callable[[], None] | None = None
    ) -> None:
        """Queue a message's positions; ``done`` answers it once stored, ``refuse`` if the database refused one."""
        assert self.track is not None
        self.ctx.pipeline.submit(self.track, positions, self.now(), done, refuse)

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
        for delay in (0.5, 1, 2, 4, 8, 15, 30, 0):  # the bus may be away for a while: do not leave a stale entry
            if binding.terminal_id in self.ctx.held:
                break  # it came back meanwhile
            try:
                async with self.ctx.bus_slots:
                    await self.ctx.state.directory.unbind(binding.terminal_id, self.ctx.gateway_id)
                break
            except Exception as exc:
                if not delay:
                    raise
                log.warning("unbinding terminal %d failed (%s); retrying", binding.terminal_id, exc)
                await asyncio.sleep(delay)
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
        if self._holds:
            return None  # the gateway is not reading it: its silence is ours
        if now - self.last_rx > settings.idle_timeout_s:
            return "idle time-out"
        if self.binding is None and now - self.opened > settings.auth_timeout_s:
            return "no authentication"
        return None


def keepalive(sock: Any, idle_s: float) -> None:
    """Turn TCP keepalive on: first probe after ``idle_s``, then 3 probes 10 s apart (Linux options)."""
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if hasattr(socket, "TCP_KEEPIDLE"):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, max(1, int(idle_s)))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 10)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)
    except OSError:
        log.debug("TCP keepalive not set", exc_info=True)


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


ACCEPT_BATCH = 512
"""Connections accepted at once when the listening socket is readable (a reconnect storm)."""


class Gateway:
    """One TCP server for one protocol; ``port`` is the bound port once started.

    It accepts connections itself, up to ACCEPT_BATCH each time the listening socket is readable, and hands them to
    the loop (``connect_accepted_socket``): libuv — under uvloop — accepts one connection per loop iteration, so
    a busy gateway took a few dozen connections a second, and after another gateway died its terminals' log-ins
    timed out in the accept queue, reconnected, and queued again (a storm that never ended; found by the soak
    test, ``reliability/soak.py``)."""

    def __init__(self, ctx: GatewayContext, session_class: type[BaseSession], host: str, port: int) -> None:
        self.ctx = ctx
        self.session_class = session_class
        self.host = host
        self.port = port
        self.sessions: set[BaseSession] = set()
        self._listeners: list[socket.socket] = []
        self._paused: asyncio.TimerHandle | None = None

    @property
    def protocol(self) -> str:
        return self.session_class.protocol

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE | socket.AI_ADDRCONFIG
        )
        port = self.port
        try:
            for family, kind, proto, _, address in dict.fromkeys(infos):
                sock = socket.socket(family, kind, proto)
                self._listeners.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if self.ctx.settings.gateway_reuse_port:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind((address[0], port, *address[2:]))
                port = port or sock.getsockname()[1]  # port 0: every address on the port the first one got
                sock.listen(4096)
                sock.setblocking(False)
        except OSError:
            self._close_listeners()
            raise
        self.port = port
        self._listen(loop)
        log.info("%s gateway listening on %s:%d", self.protocol, self.host, self.port)

    def _listen(self, loop: asyncio.AbstractEventLoop) -> None:
        self._paused = None
        for sock in self._listeners:
            loop.add_reader(sock.fileno(), self._accept, loop, sock)

    def _accept(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:  # out of file descriptors or memory: retry in a second, keep the others going
                log.warning("%s gateway: accepting failed (%s); retrying in 1 s", self.protocol, exc)
                for listener in self._listeners:
                    loop.remove_reader(listener.fileno())
                self._paused = loop.call_later(1.0, self._listen, loop)
                return
            task = loop.create_task(self._connect(loop, conn))
            self.ctx.background.add(task)
            task.add_done_callback(self.ctx.background.discard)

    async def _connect(self, loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(lambda: self.session_class(self), conn)
        except OSError:  # the peer is gone already
            conn.close()

    def _close_listeners(self) -> None:
        if self._paused is not None:
            self._paused.cancel()
            self._paused = None
        loop = asyncio.get_running_loop()
        for sock in self._listeners:
            if sock.fileno() >= 0:
                loop.remove_reader(sock.fileno())
                sock.close()
        self._listeners = []

    def sweep(self, now: float) -> None:
        """Close what has expired and let the others do their upkeep (called every second)."""
        for session in list(self.sessions):
            reason = session.expired(now)
            if reason is not None:
                session.close(reason)
            else:
                session.housekeep(now)

    async def stop(self) -> None:
        self._close_listeners()
        for session in list(self.sessions):
            session.close("gateway stopping")
