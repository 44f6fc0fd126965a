"""The NMEA 0183 session: a plain GNSS module says who it is with one proprietary line first,
``$PGWID,<terminal id>*hh`` (the checksum is optional), then streams RMC/GGA/VTG sentences. NMEA has no acks;
positions are stored exactly once all the same. Sentences before the hello are dropped (and counted)."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from gongwu.devices import NmeaDecodeError
from gongwu.devices import nmea as n
from gongwu.telematics import commands, terminals
from gongwu.telematics.gateway.base import BaseSession, Gateway

__all__ = ["HELLO", "NmeaSession", "hello_line"]

HELLO = b"$PGWID,"

log = logging.getLogger(__name__)


def hello_line(terminal_id: str) -> bytes:
    """The line an NMEA terminal sends first (with its checksum)."""
    body = f"PGWID,{terminal_id}"
    checksum = 0
    for c in body.encode():
        checksum ^= c
    return f"${body}*{checksum:02X}\r\n".encode()


class NmeaSession(BaseSession):
    protocol = "nmea"

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(gateway)
        self._framer = n.NmeaFramer()
        self._sentences: n.NmeaSession | None = None

    def frames(self, data: bytes) -> list[bytes]:
        return self._framer.feed(data)

    @property
    def discarded(self) -> int:
        return self._framer.discarded

    def handle(self, frame: bytes) -> Coroutine[Any, Any, None] | None:
        if frame.startswith(HELLO):
            self.good_frame()
            return self._hello(frame[len(HELLO) :].split(b"*")[0].decode("ascii", "replace").strip())
        if self._sentences is None or self.binding is None:
            self.refused()
            return None
        try:
            sentence = n.decode(frame)
        except NmeaDecodeError as exc:
            self.bad_frame(exc)
            return None
        self.good_frame()
        position = self._sentences.add(sentence)
        if position is not None:
            self.submit([position], None)
        return None

    async def _hello(self, identifier: str) -> None:
        settings = self.ctx.settings
        arrival = None
        async with self.ctx.db.session() as session:
            binding = await terminals.log_in(
                session, "nmea", identifier, auto=settings.auto_provision, auto_unit=settings.auto_provision_unit
            )
            if binding is not None:
                self._sentences = n.NmeaSession(binding.identifier)
                arrival = await self.arrive(session, binding)
            await session.commit()
        if arrival is None:
            log.info("nmea session %s: unknown terminal %r", self.peer, identifier[:40])
            self.close("unknown terminal")
            return
        await self.hold(arrival)

    async def send_command(self, command: dict[str, Any]) -> None:
        if not await commands.claim(self.ctx.db, int(command["command_id"]), self.ctx.gateway_id):
            return
        await commands.mark(self.ctx.db, int(command["command_id"]), "failed", answer={"error": "NMEA has no commands"})
