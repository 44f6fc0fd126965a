"""A simulated new-energy car speaking GB/T 32960 (2016 ``##`` or 2025 ``$$``) over real TCP.

It logs in (0x01), sends real-time reports (0x02: whole vehicle with SOC, drive motor, position, alarms,
pack extremes in 2016) every ``interval_s`` and waits for the platform's response to each; reports left
unanswered are re-sent as 0x03 (补发) after a reconnect. Heartbeats keep an idle link alive; on
:meth:`stop` it logs out (0x04).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gongwu.devices import gb32960 as gb
from gongwu.devices.errors import DecodeError
from gongwu.devices.sim.path import PathWalker


@dataclass(slots=True)
class VehicleStats:
    reports: int = 0
    acked: int = 0
    resent: int = 0
    connects: int = 0
    errors: int = 0
    logged_out: bool = False


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Gb32960Vehicle:
    """One car. ``await vehicle.run()`` until :meth:`stop` or ``reports`` are sent and answered."""

    def __init__(
        self,
        vin: str,
        *,
        host: str,
        port: int,
        path: Sequence[tuple[float, float]],
        edition: gb.GbEdition = "2016",
        interval_s: float = 10.0,
        speed_kmh: float = 40.0,
        soc_pct: float = 80.0,
        reports: int | None = None,
        reply_timeout_s: float = 10.0,
        heartbeat_s: float = 30.0,
        reconnect_s: float = 1.0,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.vin, self.host, self.port, self.edition = vin, host, port, edition
        self.interval_s, self.speed_kmh, self.soc = interval_s, speed_kmh, soc_pct
        self.reports_target, self.reply_timeout_s = reports, reply_timeout_s
        self.heartbeat_s, self.reconnect_s, self.now = heartbeat_s, reconnect_s, now
        self.walker = PathWalker(path, odometer_km=5000.0)
        self.stats = VehicleStats()
        self._serial = 0
        self._unanswered: list[gb.RealtimeReport] = []
        self._stopping = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._framer = gb.Gb32960Framer()
        self._last_move = 0.0

    def stop(self) -> None:
        self._stopping = True

    def _target_reached(self) -> bool:
        t = self.reports_target
        return t is not None and self.stats.reports >= t and not self._unanswered

    async def run(self) -> VehicleStats:
        self._last_move = asyncio.get_running_loop().time()
        while not (self._stopping or self._target_reached()):
            try:
                await self._session()
            except (OSError, EOFError, TimeoutError, DecodeError):
                self.stats.errors += 1
                await asyncio.sleep(self.reconnect_s)
            finally:
                if self._writer is not None:
                    self._writer.close()
                self._reader = self._writer = None
                self._framer = gb.Gb32960Framer()
        return self.stats

    async def _session(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self.stats.connects += 1
        self._serial = (self._serial + 1) & 0xFFFF
        login = gb.VehicleLogin(self.now(), self._serial, "89860000000000000001", ("PACK-A01",), 8)
        if self.edition == "2025":
            login = gb.VehicleLogin(self.now(), self._serial, "89860000000000000001", ("PACK-A01",), 24, (1,))
        await self._call(gb.LOGIN, login)
        for report in self._unanswered:  # 补发: what was never answered before the outage
            await self._call(gb.RESEND, gb.RealtimeReport(report.time, report.units, resend=True))
            self.stats.resent += 1
        self._unanswered.clear()
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not (self._stopping or self._target_reached()):
            if self.reports_target is None or self.stats.reports < self.reports_target:
                report = self._report()
                self.stats.reports += 1
                self._unanswered.append(report)
                await self._call(gb.REALTIME, report)
                self._unanswered.remove(report)
                self.stats.acked += 1
            elapsed = loop.time() - last
            await asyncio.sleep(max(0.0, self.interval_s - elapsed))
            last = loop.time()
        if self._stopping:
            self._serial = (self._serial + 1) & 0xFFFF
            await self._call(gb.LOGOUT, gb.VehicleLogout(self.now(), self._serial))
            self.stats.logged_out = True

    def _report(self) -> gb.RealtimeReport:
        loop = asyncio.get_running_loop()
        now = loop.time()
        metres = self.speed_kmh / 3.6 * (now - self._last_move)
        self._last_move = now
        self.walker.advance(metres)
        self.soc = max(5.0, self.soc - metres / 1000 * 0.15)
        lat, lon, _ = self.walker.where()
        e16 = self.edition == "2016"
        vehicle = gb.VehicleData(
            1,
            3,
            1,
            round(self.speed_kmh, 1),
            round(self.walker.odometer_km, 1),
            650.0,
            12.5,
            round(self.soc),
            1,
            0x2E,
            5000,
            20 if e16 else None,
            0 if e16 else None,
        )
        motor = gb.DriveMotor(1, 1, 45, 3000, 120.5, 60, 648.0 if e16 else None, 10.0 if e16 else None)
        position = gb.VehiclePosition(0, round(lat, 6), round(lon, 6), None if e16 else 1)
        units: tuple[gb.Unit, ...] = (vehicle, gb.DriveMotors((motor,)), position, gb.Alarms(0, 0))
        signature = None if e16 else gb.Signature(1, bytes(32), bytes(32))
        return gb.RealtimeReport(self.now(), units, False, signature)

    async def _call(self, command: int, payload: gb.Payload) -> gb.Gb32960Message:
        """Send one command and wait for its response frame (heartbeats while waiting long)."""
        msg = gb.Gb32960Message(self.edition, command, gb.COMMAND, self.vin, payload)
        if self._writer is None or self._reader is None:
            raise OSError("not connected")
        self._writer.write(gb.encode(msg))
        await self._writer.drain()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reply_timeout_s
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"no response to command 0x{command:02x}")
            try:
                async with asyncio.timeout(left):
                    data = await self._reader.read(4096)
            except TimeoutError:
                continue
            if not data:
                raise EOFError("connection closed by the platform")
            for frame in self._framer.feed(data):
                reply = gb.decode(frame)
                if reply.command == command and reply.response != gb.COMMAND:
                    if reply.response != gb.OK:
                        raise EOFError(f"platform refused command 0x{command:02x} ({reply.response})")
                    return reply
