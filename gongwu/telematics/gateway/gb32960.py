"""The GB/T 32960 session: vehicle login (车辆登入, 0x01) first — an unknown VIN is answered 0x04 (VIN 不存在);
then real-time and re-sent reports (0x02/0x03) answered 0x01 once stored, heartbeats, time sync, logout (0x04).
Reports before login, or for another VIN than the one logged in, are answered 0x02 (错误) and never stored.
The answers to platform queries (0x80) are recorded on their commands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Coroutine
from datetime import datetime
from typing import Any

from gongwu.devices import Gb32960DecodeError
from gongwu.devices import gb32960 as g
from gongwu.devices.gb32960.messages import VIN_UNKNOWN
from gongwu.telematics import commands, terminals
from gongwu.telematics.gateway.base import BaseSession, Gateway

__all__ = ["Gb32960Session"]

_QUERY_COMMANDS = frozenset({0x80, 0x81, 0x82})


class Gb32960Session(BaseSession):
    protocol = "gb32960"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self._framer = g.Gb32960Framer(self.ctx.settings.gb32960_max_frame_bytes)
        self.vin = ""
        self.edition: g.GbEdition = "2016"
        self._pending: deque[tuple[int, int]] = deque()
        """(command byte, command id) sent and not yet answered, oldest first."""

    def frames(self, data: bytes) -> list[bytes]:
        return self._framer.feed(data)

    @property
    def discarded(self) -> int:
        return self._framer.discarded

    def respond(self, msg: g.Gb32960Message, result: int) -> bytes | None:
        return g.reply(msg, result=result, now=self.now().replace(microsecond=0))

    def handle(self, frame: bytes) -> Coroutine[Any, Any, None] | None:
        try:
            msg = g.decode(frame, utc_offset=self.ctx.utc_offset)
        except Gb32960DecodeError as exc:
            self.bad_frame(exc)
            return None
        self.good_frame()
        self.edition = msg.edition
        if msg.response != g.COMMAND:
            self._answered(msg)
            return None
        command = msg.command
        if command == g.LOGIN:
            return self._login(msg)
        if command == g.TIME_SYNC:
            self._send(self.respond(msg, g.OK))
            return None
        if self.binding is None or msg.vin != self.vin:
            self._send(self.respond(msg, g.ERROR))
            self.refused()
            return None
        if command in (g.REALTIME, g.RESEND):
            reply = self.respond(msg, g.OK)
            self.submit(g.positions(msg), None if reply is None else self._later(reply), self._refuse_later(msg))
        elif command == g.LOGOUT:
            return self._logout(msg)
        elif command == g.HEARTBEAT:
            self._send(self.respond(msg, g.OK))
        else:
            self._send(self.respond(msg, g.ERROR))
        return None

    def _send(self, frame: bytes | None) -> None:
        if frame is not None:
            self.write(frame)

    def _later(self, frame: bytes) -> Any:
        def done() -> None:
            self.write(frame)

        return done

    def _refuse_later(self, msg: g.Gb32960Message) -> Any:
        """0x02 (错误) for a report the database refused a row of: the terminal knows it is not stored."""

        def refuse() -> None:
            self._send(self.respond(msg, g.ERROR))

        return refuse

    async def _login(self, msg: g.Gb32960Message) -> None:
        settings = self.ctx.settings
        key = f"gb32960:{msg.vin}"
        if self.closed:  # gone while it waited for its turn (a reconnect storm)
            return
        if not await self.auth_allowed(key):
            self._send(self.respond(msg, VIN_UNKNOWN))
            self.close("locked out")
            return
        arrival = None
        async with self.ctx.db.session() as session:
            binding = await terminals.log_in(
                session, "gb32960", msg.vin, auto=settings.auto_provision, auto_unit=settings.auto_provision_unit
            )
            if binding is not None:
                self.vin = msg.vin
                arrival = await self.arrive(session, binding)
            await session.commit()
        if arrival is None:
            self._send(self.respond(msg, VIN_UNKNOWN))
            self.refused()
            await self.auth_failed(key, "unknown_vin")
            return
        await self.hold(arrival)
        self._send(self.respond(msg, g.OK))
        await self.send_queued(arrival.queued)

    async def _logout(self, msg: g.Gb32960Message) -> None:
        binding = self.binding
        self._send(self.respond(msg, g.OK))
        if binding is not None:
            await self.session_event("logout")
            self._unhold(binding)
        self.binding = None
        self.track = None

    async def send_command(self, command: dict[str, Any]) -> None:
        command_id = int(command["command_id"])
        if not await commands.claim(self.ctx.db, command_id, self.ctx.gateway_id):
            return
        if command["kind"] != "gb_query":
            await commands.mark(self.ctx.db, command_id, "failed", answer={"error": "not a GB/T 32960 command"})
            return
        ids = [int(i) & 0xFF for i in command["args"].get("params", [])]
        data = _time_bytes(self.now(), self.ctx.utc_offset) + bytes((len(ids), *ids))
        frame = g.encode(g.Gb32960Message(self.edition, commands.GB_QUERY, g.COMMAND, self.vin, g.RawPayload(data)))
        self._pending.append((commands.GB_QUERY, command_id))
        self.write(frame)

    def _answered(self, msg: g.Gb32960Message) -> None:
        if msg.command not in _QUERY_COMMANDS:
            return
        for i, (command, command_id) in enumerate(self._pending):
            if command == msg.command:
                del self._pending[i]
                payload = msg.payload
                raw = payload.data.hex() if isinstance(payload, g.RawPayload) else ""
                status = "answered" if msg.response == g.OK else "failed"
                answer = {"response": msg.response, "data": raw}
                self.ctx.spawn(commands.mark(self.ctx.db, command_id, status, answer=answer), "command-answer")
                return


def _time_bytes(now: datetime, offset: Any) -> bytes:
    local = now + offset
    return bytes((local.year - 2000, local.month, local.day, local.hour, local.minute, local.second))
