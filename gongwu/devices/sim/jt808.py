"""A simulated JT/T 808 terminal (2013 or 2019) speaking to a platform over real TCP.

It registers (0x0100), authenticates (0x0102) with the auth code it got, reports 0x0200 along a path every
``interval_s``, waits for each report's 0x8001 and re-sends what stays unacked past ``ack_timeout_s``; after
an outage it batch-uploads what it recorded offline and what was never acked (0x0704, blind area), so nothing
is lost across reconnects. It answers the platform's commands and sends heartbeats when idle. One asyncio
task per terminal (no task per report); :class:`~gongwu.devices.sim.faults.Faults` injects misbehaviour.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gongwu.devices import jt808 as j
from gongwu.devices.errors import DecodeError
from gongwu.devices.sim.faults import Faults
from gongwu.devices.sim.path import PathWalker

STATUS_DRIVING = 0b11 | (1 << 18) | (1 << 19)  # ACC on, positioned, GPS + BeiDou
BATCH_MAX = 12  # locations per 0x0704 (keeps the body under 1023 bytes)


@dataclass(slots=True)
class TerminalStats:
    reports: int = 0
    acked: int = 0
    resent: int = 0
    batched: int = 0
    heartbeats: int = 0
    commands: int = 0
    connects: int = 0
    errors: int = 0
    received: list[j.Body] = field(default_factory=list)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Jt808Terminal:
    """One terminal. ``await terminal.run()`` drives it until :meth:`stop` or ``reports`` are sent and acked."""

    def __init__(
        self,
        phone: str,
        *,
        host: str,
        port: int,
        path: Sequence[tuple[float, float]],
        edition: j.Edition = "2013",
        interval_s: float = 5.0,
        speed_kmh: float = 40.0,
        reports: int | None = None,
        ack_timeout_s: float = 10.0,
        heartbeat_s: float = 60.0,
        reconnect_s: float = 1.0,
        reply_timeout_s: float = 10.0,
        faults: Faults | None = None,
        model: str = "GW-SIM1",
        plate: str = "京A00001",
        now: Callable[[], datetime] = _utc_now,
        seed: int | None = None,
    ) -> None:
        width = 20 if edition == "2019" else 12
        self.phone = phone.rjust(width, "0")
        self.host, self.port, self.edition = host, port, edition
        self.interval_s, self.speed_kmh = interval_s, speed_kmh
        self.reports_target = reports
        self.ack_timeout_s, self.heartbeat_s = ack_timeout_s, heartbeat_s
        self.reconnect_s, self.reply_timeout_s = reconnect_s, reply_timeout_s
        self.faults = faults or Faults()
        self.model, self.plate, self.now = model, plate, now
        self.walker = PathWalker(path, odometer_km=1000.0)
        self.auth_code: str | None = None
        self.stats = TerminalStats()
        self._serial = 0
        self._pending: dict[int, tuple[j.Location, float]] = {}
        self._batch_pending: dict[int, tuple[j.Location, ...]] = {}
        self._offline: list[j.Location] = []
        self._replies: list[j.Jt808Message] = []
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._framer = j.Jt808Framer()
        self._stopping = False
        self._last_sent = 0.0
        self._last_move = 0.0
        self._rng = random.Random(seed if seed is not None else phone)

    # ------------------------------------------------------------------ life cycle

    def stop(self) -> None:
        self._stopping = True

    def _done(self) -> bool:
        if self._stopping:
            return True
        target = self.reports_target
        return (
            target is not None
            and self.stats.reports >= target
            and not self._pending
            and not self._offline
            and not self._batch_pending
        )

    async def run(self) -> TerminalStats:
        loop = asyncio.get_running_loop()
        self._last_move = loop.time()
        while not self._done():
            try:
                await self._session()
            except (OSError, EOFError, TimeoutError, DecodeError):
                self.stats.errors += 1
            finally:
                self._close()
            if self._done():
                break
            await self._offline_period(max(self.reconnect_s, self.faults.offline_s))
        return self.stats

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._writer = self._reader = None
        self._framer = j.Jt808Framer()

    async def _offline_period(self, seconds: float) -> None:
        """Keep driving and recording while offline (these become the blind-area batch)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while not self._stopping and loop.time() < end:
            await asyncio.sleep(min(self.interval_s, max(0.0, end - loop.time())))
            if self.reports_target is None or self.stats.reports < self.reports_target:
                self._offline.append(self._location())
                self.stats.reports += 1

    # ------------------------------------------------------------------ one connection

    async def _session(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self.stats.connects += 1
        if self.auth_code is None:
            serial = self._send(self._register_body())
            reply = await self._await(
                lambda m: isinstance(m.body, j.RegisterResponse) and m.body.reply_serial == serial
            )
            assert isinstance(reply.body, j.RegisterResponse)
            if reply.body.result != 0:
                raise EOFError(f"registration refused ({reply.body.result})")
            self.auth_code = reply.body.auth_code
        if not self.faults.never_authenticate:
            serial = self._send(j.TerminalAuth(self.auth_code, *self._auth_extras()))
            reply = await self._await(_answer_to(serial, 0x0102))
            if reply.body.result != 0:  # type: ignore[attr-defined]
                self.auth_code = None
                raise EOFError("authentication refused")
        await self._upload_backlog()
        await self._drive()

    def _register_body(self) -> j.TerminalRegister:
        if self.edition == "2019":
            return j.TerminalRegister(11, 100, "GWSIM", self.model, self.phone[-7:], 1, self.plate, "2019")
        return j.TerminalRegister(11, 100, "GWSIM", self.model, self.phone[-7:], 1, self.plate, "2013")

    def _auth_extras(self) -> tuple[str, str]:
        return ("86" + self.phone[-13:], "gongwu-sim 1.0") if self.edition == "2019" else ("", "")

    async def _upload_backlog(self) -> None:
        """Blind-area re-send: everything recorded offline or never acked, in 0x0704 batches."""
        backlog = [loc for loc, _ in self._pending.values()] + self._offline
        backlog += [loc for batch in self._batch_pending.values() for loc in batch]
        self._pending.clear()
        self._offline = []
        self._batch_pending.clear()
        backlog.sort(key=lambda loc: loc.time or datetime.min.replace(tzinfo=UTC))
        for i in range(0, len(backlog), BATCH_MAX):
            chunk = tuple(backlog[i : i + BATCH_MAX])
            serial = self._send(j.BatchLocationUpload(1, chunk))
            self._batch_pending[serial] = chunk
            await self._await(_answer_to(serial, 0x0704))
            self.stats.batched += len(chunk)

    async def _drive(self) -> None:
        loop = asyncio.get_running_loop()
        next_report = loop.time()
        sent_here = 0
        while not self._done():
            now = loop.time()
            target = self.reports_target
            if now >= next_report and (target is None or self.stats.reports < target):
                self._report()
                sent_here += 1
                next_report = now + self.interval_s
                if self.faults.drop_after and sent_here >= self.faults.drop_after:
                    return  # the caller closes the socket: an outage
            for serial, (loc, sent_at) in list(self._pending.items()):
                if now - sent_at >= self.ack_timeout_s:
                    self._send(j.LocationReport(loc), serial=serial)
                    self._pending[serial] = (loc, now)
                    self.stats.resent += 1
            if now - self._last_sent >= self.heartbeat_s:
                self._send(j.Heartbeat())
                self.stats.heartbeats += 1
            deadlines = [next_report, self._last_sent + self.heartbeat_s]
            deadlines += [sent_at + self.ack_timeout_s for _, sent_at in self._pending.values()]
            await self._pump(max(0.0, min(deadlines) - loop.time()))
            if self._writer is not None:
                await self._writer.drain()

    def _location(self) -> j.Location:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.walker.advance(self.speed_kmh / 3.6 * (now - self._last_move))
        self._last_move = now
        lat, lon, course = self.walker.where()
        items: tuple[j.Item, ...] = (
            j.Mileage(round(self.walker.odometer_km, 1)),
            j.FuelGauge(round(40 - self.walker.odometer_km % 40, 1)),
            j.GnssSatellites(12),
            j.SignalStrength(25),
        )
        return j.Location(
            0,
            STATUS_DRIVING,
            round(lat, 6),
            round(lon, 6),
            50,
            round(self.speed_kmh, 1),
            round(course),
            self.now(),
            items,
        )

    def _report(self) -> None:
        loc = self._location()
        self.stats.reports += 1
        serial = self._send(j.LocationReport(loc))
        self._pending[serial] = (loc, asyncio.get_running_loop().time())
        n = self.stats.reports
        if self.faults.duplicate_every and n % self.faults.duplicate_every == 0:
            self._send(j.LocationReport(loc), serial=serial)
        if self.faults.garbage_every and n % self.faults.garbage_every == 0 and self._writer is not None:
            junk = bytes(b for b in self._rng.randbytes(self._rng.randint(13, 40)) if b != 0x7E)
            self._writer.write(b"\x7e" + junk + b"\x7e")  # a bad frame: the platform must reject it and go on

    # ------------------------------------------------------------------ wire

    def _send(self, body: j.Body, serial: int | None = None) -> int:
        if serial is None:
            serial = self._serial
            self._serial = (self._serial + 1) & 0xFFFF
        msg = j.message(body, phone=self.phone, serial=serial, edition=self.edition)
        if self._writer is None:
            raise OSError("not connected")
        for frame in j.encode_packets(msg):
            self._writer.write(frame)
        self._last_sent = asyncio.get_running_loop().time()
        return serial

    async def _pump(self, wait_s: float) -> None:
        """Read and handle what arrives within ``wait_s`` seconds."""
        if self._reader is None:
            raise OSError("not connected")
        try:
            async with asyncio.timeout(wait_s):
                data = await self._reader.read(4096)
        except TimeoutError:
            return
        if not data:
            raise EOFError("connection closed by the platform")
        for frame in self._framer.feed(data):
            try:
                msg = j.decode(frame)
            except DecodeError:
                self.stats.errors += 1
                continue
            self._handle(msg)

    async def _await(self, match: Callable[[j.Jt808Message], bool]) -> j.Jt808Message:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout_s
        while True:
            for i, msg in enumerate(self._replies):
                if match(msg):
                    del self._replies[i]
                    return msg
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError("no reply from the platform")
            await self._pump(left)

    def _handle(self, msg: j.Jt808Message) -> None:
        body = msg.body
        if isinstance(body, j.PlatformResponse):
            if body.reply_msg_id == 0x0200 and self._pending.pop(body.reply_serial, None) is not None:
                self.stats.acked += 1
            elif body.reply_msg_id == 0x0704:
                self._batch_pending.pop(body.reply_serial, None)
            self._replies.append(msg)
            del self._replies[:-20]
            return
        if isinstance(body, j.RegisterResponse):
            self._replies.append(msg)
            return
        self.stats.commands += 1
        self.stats.received.append(body)
        del self.stats.received[:-50]
        if not self.faults.ignore_commands:
            self._answer(msg)

    def _answer(self, msg: j.Jt808Message) -> None:
        body, serial = msg.body, msg.header.serial
        reply: j.Body
        if isinstance(body, j.QueryLocation):
            reply = j.LocationQueryResponse(serial, self._location())
        elif isinstance(body, j.QueryParameters):
            reply = j.ParameterQueryResponse(serial, self.parameters())
        else:
            result = 0
            if isinstance(body, j.SetParameters):
                for p in body.params:
                    if p.param_id == j.params_ids.REPORT_INTERVAL_DEFAULT and isinstance(p.value, int) and p.value:
                        self.interval_s = float(p.value)
                    elif p.param_id == j.params_ids.HEARTBEAT_INTERVAL and isinstance(p.value, int) and p.value:
                        self.heartbeat_s = float(p.value)
            elif isinstance(body, j.TemporaryTracking) and body.interval_s:
                self.interval_s = float(body.interval_s)
            elif not isinstance(body, _ACKED_COMMANDS):
                result = 3  # not supported
            reply = j.TerminalResponse(serial, msg.header.msg_id, result)
        self._send(reply)

    def parameters(self) -> tuple[j.TerminalParameter, ...]:
        return (
            j.TerminalParameter(j.params_ids.HEARTBEAT_INTERVAL, int(self.heartbeat_s)),
            j.TerminalParameter(j.params_ids.REPORT_INTERVAL_DEFAULT, max(1, int(self.interval_s))),
            j.TerminalParameter(j.params_ids.PLATE, self.plate),
        )


_ACKED_COMMANDS = (
    j.SetParameters,
    j.TemporaryTracking,
    j.TextMessage,
    j.TerminalControl,
    j.ConfirmAlarm,
    j.SetCircleAreas,
    j.SetRectangleAreas,
    j.SetPolygonArea,
    j.DeleteCircleAreas,
    j.DeleteRectangleAreas,
    j.DeletePolygonAreas,
)


def _answers(msg: j.Jt808Message, serial: int, msg_id: int) -> bool:
    body = msg.body
    return isinstance(body, j.PlatformResponse) and body.reply_serial == serial and body.reply_msg_id == msg_id


def _answer_to(serial: int, msg_id: int) -> Callable[[j.Jt808Message], bool]:
    return lambda msg: _answers(msg, serial, msg_id)


def _registered(msg: j.Jt808Message, serial: int) -> bool:
    return isinstance(msg.body, j.RegisterResponse) and msg.body.reply_serial == serial
