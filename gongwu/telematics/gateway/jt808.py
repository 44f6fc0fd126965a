"""The JT/T 808 session: register (0x0100 → 0x8100 with a random auth code), authenticate (0x0102), then
heartbeats, location reports (0x0200, batches 0x0704) acked with 0x8001 once stored, logout (0x0003), driver
identity (0x0702), the answers to commands (0x0001, 0x0201, 0x0104), and sub-packages reassembled.

Before authentication every message but register, authenticate and logout is refused with 0x8001 result 1
(失败) and nothing is stored.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Coroutine
from typing import Any

from gongwu.devices import EncodeError, Jt808DecodeError, Position
from gongwu.devices import jt808 as j
from gongwu.devices.jt808.framing import frame
from gongwu.devices.jt808.reply import NO_ACK
from gongwu.telematics import commands, terminals
from gongwu.telematics.gateway.base import BaseSession, Gateway

__all__ = ["Jt808Session"]

log = logging.getLogger(__name__)

_LOCATIONS = frozenset({0x0200, 0x0704})
_PUBLIC = frozenset({0x0100, 0x0102, 0x0003})
FAILED = j.ResponseResult.FAILED


class Jt808Session(BaseSession):
    protocol = "jt808"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self._framer = j.Jt808Framer()
        self._reassembler = j.Reassembler(
            timeout=self.ctx.settings.jt808_subpackage_timeout_s, utc_offset=self.ctx.utc_offset
        )
        self._serial = 0
        self.phone = ""
        self.edition: j.Edition = "2013"
        self.protocol_version = 1
        self._pending: dict[int, int] = {}
        """Our serial of a command → its command id (until the terminal answers)."""

    def frames(self, data: bytes) -> list[bytes]:
        return self._framer.feed(data)

    @property
    def discarded(self) -> int:
        return self._framer.discarded

    def next_serial(self) -> int:
        self._serial = (self._serial + 1) & 0xFFFF
        return self._serial

    def answer(self, msg: j.Jt808Message, result: int = 0, auth_code: str | None = None) -> None:
        try:
            frame = j.reply(msg, serial=self.next_serial(), result=result, auth_code=auth_code)
        except EncodeError:
            log.exception("jt808 %s: cannot answer 0x%04x", self.peer, msg.msg_id)
            return
        if frame is not None:
            self.write(frame)

    def ack_later(self, key: j.AckKey) -> Any:
        if key.edition == "2013":
            phone = bytes.fromhex(key.phone)

            def fast() -> None:
                if not self.closed:
                    self.write(location_ack(phone, self.next_serial(), key.serial, key.msg_id))

            return fast

        def done() -> None:
            if not self.closed:
                self.write(j.general_response(key, serial=self.next_serial()))

        return done

    def refuse_later(self, key: j.AckKey) -> Any:
        """0x8001 result 1 (失败) for a message the database refused a row of: the terminal knows it is not stored."""

        def refuse() -> None:
            if not self.closed:
                self.write(j.general_response(key, serial=self.next_serial(), result=FAILED))

        return refuse

    # -- frames

    def handle(self, frame: bytes) -> Coroutine[Any, Any, None] | None:
        if frame[1:3] == b"\x02\x00" and self.binding is not None:
            return self._location(frame)
        try:
            msg = j.decode(frame, utc_offset=self.ctx.utc_offset)
        except Jt808DecodeError as exc:
            self.bad_frame(exc)
            return None
        self.good_frame()
        header = msg.header
        self.phone, self.edition, self.protocol_version = header.phone, header.edition, header.protocol_version
        if header.subpackage is not None:
            return self._fragment(msg)
        return self.dispatch(msg)

    def _location(self, frame: bytes) -> Coroutine[Any, Any, None] | None:
        """The hot path: an authenticated terminal's 0x0200, straight to positions (devices' fast path)."""
        try:
            found = j.decode_positions(frame, utc_offset=self.ctx.utc_offset)
        except Jt808DecodeError as exc:
            self.bad_frame(exc)
            return None
        header = found.header
        if header.subpackage is not None:  # a location in sub-packages (rare): the general path reassembles it
            return self._fragment(j.decode(frame, utc_offset=self.ctx.utc_offset))
        self.good_frame()
        self.phone, self.edition, self.protocol_version = header.phone, header.edition, header.protocol_version
        key = j.AckKey(header.phone, header.edition, header.protocol_version, header.serial, header.msg_id)
        self.submit(found.positions, self.ack_later(key), self.refuse_later(key))
        return None

    def _fragment(self, msg: j.Jt808Message) -> Coroutine[Any, Any, None] | None:
        if self.binding is None:
            self.refuse(msg)
            return None
        try:
            whole = self._reassembler.add(msg, time.monotonic())
        except Jt808DecodeError as exc:
            self.bad_frame(exc)
            return None
        if whole is None:
            self.answer(msg)  # a part received; the whole message is acked once stored
            return None
        return self.dispatch(whole)

    def dispatch(self, msg: j.Jt808Message) -> Coroutine[Any, Any, None] | None:
        mid = msg.msg_id
        body = msg.body
        if self.binding is None and mid not in _PUBLIC:
            self.refuse(msg)
            return None
        if mid in _LOCATIONS:
            positions = j.positions(msg, terminal_id=msg.terminal_id)
            key = j.ack_key(msg)
            self.submit(positions, self.ack_later(key), self.refuse_later(key))
            return None
        if mid == 0x0002:
            self.answer(msg)
            return None
        if isinstance(body, j.TerminalRegister):
            return self._register(msg, body)
        if isinstance(body, j.TerminalAuth):
            return self._authenticate(msg, body)
        if mid == 0x0003:
            return self._logout(msg)
        if isinstance(body, j.LocationQueryResponse):
            found = j.positions(msg, terminal_id=msg.terminal_id)
            self.submit(found, None)
            self._answered(body.reply_serial, {"location": _where(found[0]) if found else None})
            return None
        if isinstance(body, j.TerminalResponse):
            status = "answered" if body.result == 0 else "failed"
            self._answered(body.reply_serial, {"result": body.result}, status)
            return None
        if isinstance(body, j.ParameterQueryResponse):
            params = {f"0x{p.param_id:04x}": _jsonable(p.value) for p in body.params}
            self._answered(body.reply_serial, {"params": params})
            return None
        if isinstance(body, j.DriverIdentity):
            self.answer(msg)
            if body.state == 1 and body.ic_result in (0, None) and body.name:
                self.ctx.spawn(self.session_event("driver", driver=body.name))
            elif body.state == 2:
                self.ctx.spawn(self.session_event("driver", driver=None))
            return None
        self.answer(msg)
        return None

    def housekeep(self, now: float) -> None:
        """Drop the sub-package sets that waited longer than ``jt808_subpackage_timeout_s``.

        No 0x8003 re-send request is sent: the reassembler drops the parts it held when it gives up, so the parts
        re-sent on request would start a new set that could never complete (and expire asking for the others).
        """
        if not len(self._reassembler):
            return
        for dropped in self._reassembler.expire(now):
            log.info("jt808 %s: an incomplete 0x%04x in sub-packages dropped after %.0f s (%d of %d parts)", self.peer,
                     dropped.msg_id, self._reassembler.timeout, len(dropped.received), dropped.total,
                     extra=self.log_extra())  # fmt: skip

    def refuse(self, msg: j.Jt808Message) -> None:
        """Data before authentication: 0x8001 result 1 (失败), whatever the message — never its own answer (the
        0x8800 of a multimedia upload tells the terminal it was received) — counted, never stored."""
        if msg.msg_id < 0x8000 and msg.msg_id not in NO_ACK:
            self.write(j.general_response(j.ack_key(msg), serial=self.next_serial(), result=FAILED))
        self.refused()

    # -- the steps that need the database

    async def _register(self, msg: j.Jt808Message, body: j.TerminalRegister) -> None:
        ident = msg.terminal_id
        settings = self.ctx.settings
        key = f"jt808:{ident.lstrip('0') or '0'}"
        if self.closed:  # gone while it waited for its turn
            return
        if not await self.auth_allowed(key):
            self.answer(msg, j.RegisterResult.NO_SUCH_TERMINAL)
            self.close("locked out")
            return
        existing = await self._terminal_id(ident)
        elsewhere = existing is not None and await self._connected_elsewhere(existing)
        async with self.ctx.db.session() as session:
            outcome = await terminals.register_jt808(
                session,
                ident,
                plate=body.plate,
                maker=body.maker,
                model=body.model,
                connected_elsewhere=elsewhere,
                auto=settings.auto_provision,
                auto_unit=settings.auto_provision_unit,
            )
            await session.commit()
        self.answer(msg, outcome.result, outcome.auth_code)
        # every registration counts (a stolen phone number must not buy fresh codes): authenticating resets it
        await self.auth_failed(key, "register" if outcome.result == 0 else "register_refused")

    async def _connected_elsewhere(self, terminal_id: int) -> bool:
        """Is this terminal authenticated on another live connection (a clone, or a second SIM)?"""
        holder = await self.ctx.state.directory.holder(terminal_id)
        if holder is None:
            return False
        if holder != self.ctx.gateway_id:
            return True
        other = self.ctx.held.get(terminal_id)
        return other is not None and other is not self and not other.closed

    async def _terminal_id(self, ident: str) -> int | None:
        async with self.ctx.db.session() as session:
            terminal = await terminals.find_terminal(session, "jt808", ident.lstrip("0") or "0")
            return terminal.id if terminal is not None else None

    async def _authenticate(self, msg: j.Jt808Message, body: j.TerminalAuth) -> None:
        key = f"jt808:{msg.terminal_id.lstrip('0') or '0'}"
        if self.closed:  # the terminal gave up waiting (a reconnect storm): its log-in is not worth a transaction
            return
        if not await self.auth_allowed(key):
            self.answer(msg, FAILED)
            self.close("locked out")
            return
        arrival = None
        async with self.ctx.db.session() as session:  # one transaction for the whole log-in (a reconnect storm)
            binding = await terminals.authenticate_jt808(
                session, msg.terminal_id, body.auth_code, imei=body.imei, software_version=body.software_version
            )
            if binding is not None:
                arrival = await self.arrive(session, binding)
            await session.commit()
        if arrival is None:
            self.answer(msg, FAILED)
            self.refused()
            await self.auth_failed(key, "wrong_code")
            return
        await self.auth_succeeded(key)
        await self.hold(arrival)
        self.answer(msg)
        await self.send_queued(arrival.queued)

    async def _logout(self, msg: j.Jt808Message) -> None:
        binding = self.binding
        if binding is None:
            self.answer(msg, FAILED)
            return
        async with self.ctx.db.session() as session:
            await terminals.logout_jt808(session, binding.terminal_id)
            await session.commit()
        await self.session_event("logout")
        self.answer(msg)
        self._unhold(binding)
        self.binding = None
        self.track = None

    # -- commands

    async def send_command(self, command: dict[str, Any]) -> None:
        command_id = int(command["command_id"])
        if not await commands.claim(self.ctx.db, command_id, self.ctx.gateway_id):
            return
        try:
            body = commands.jt808_body(command["kind"], command["args"], self.edition)
            serial = self.next_serial()
            frame = j.encode(
                j.message(
                    body, phone=self.phone, serial=serial, edition=self.edition, protocol_version=self.protocol_version
                )
            )
        except (EncodeError, KeyError, ValueError) as exc:
            await commands.mark(self.ctx.db, command_id, "failed", answer={"error": str(exc)})
            return
        self._pending[serial] = command_id
        self.write(frame)
        await commands.set_serial(self.ctx.db, command_id, serial)

    def _answered(self, serial: int, answer: dict[str, Any], status: str = "answered") -> None:
        command_id = self._pending.pop(serial, None)
        if command_id is not None:
            self.ctx.spawn(commands.mark(self.ctx.db, command_id, status, answer=answer), "command-answer")


def _where(position: Position) -> dict[str, Any]:
    """What a location query's answer shows the dispatcher: when and where the terminal said the car was."""
    return {
        "time": position.time.isoformat() if position.time else None,
        "lat": position.lat,
        "lon": position.lon,
        "speed_kmh": position.speed_kmh,
        "fix_valid": position.fix_valid,
    }


_ACK_HEAD = struct.Struct(">HH6sH")
_ACK_BODY = struct.Struct(">HHB")


def location_ack(phone_bcd: bytes, serial: int, reply_serial: int, reply_id: int) -> bytes:
    """0x8001 result 0 with a 2013 header, built directly (the hot path: one per stored report); the same bytes
    as ``jt808.general_response`` (a test checks it), at a third of the cost."""
    content = _ACK_HEAD.pack(0x8001, 5, phone_bcd, serial) + _ACK_BODY.pack(reply_serial, reply_id, 0)
    return frame(content)


def _jsonable(value: int | str | bytes) -> int | str:
    return value.hex() if isinstance(value, bytes) else value
