"""Hand-driven terminal clients built on the codecs, for the cases the simulator does not play (a frame at a time,
an exact serial, a refusal awaited)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from gongwu.devices import gb32960 as g
from gongwu.devices import jt808 as j

HOST = "127.0.0.1"


def location(
    lat: float = 39.9087,
    lon: float = 116.3975,
    *,
    speed: float = 36.0,
    time: datetime | None = None,
    alarm: int = 0,
    acc: bool = True,
    mileage: float | None = 1000.0,
) -> j.Location:
    items: tuple[j.Item, ...] = (j.Mileage(mileage),) if mileage is not None else ()
    return j.Location(
        alarm,
        (1 if acc else 0) | 0b10,
        lat,
        lon,
        50,
        speed,
        90,
        time or datetime.now(UTC).replace(microsecond=0),
        items,
    )


class Jt808Client:
    """One raw JT/T 808 connection: ``send`` a body (returns its serial), ``expect`` the platform's answers."""

    def __init__(self, phone: str, port: int, edition: j.Edition = "2013") -> None:
        self.phone = phone.rjust(20 if edition == "2019" else 12, "0")
        self.port = port
        self.edition = edition
        self.serial = 0
        self.framer = j.Jt808Framer()
        self.inbox: list[j.Jt808Message] = []
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> Jt808Client:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        return self

    def send(self, body: j.Body, serial: int | None = None) -> int:
        if serial is None:
            self.serial += 1
            serial = self.serial
        assert self.writer is not None
        self.writer.write(j.encode(j.message(body, phone=self.phone, serial=serial, edition=self.edition)))
        return serial

    def raw(self, data: bytes) -> None:
        assert self.writer is not None
        self.writer.write(data)

    async def _read(self, within: float) -> bool:
        assert self.reader is not None
        data = await asyncio.wait_for(self.reader.read(65536), within)
        if not data:
            return False
        self.inbox += [j.decode(f) for f in self.framer.feed(data)]
        return True

    async def expect(self, msg_id: int, reply_serial: int | None = None, within: float = 5.0) -> j.Jt808Message:
        """The next answer of this kind (0x8001 / 0x8100 for ``reply_serial``, or a command)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for i, msg in enumerate(self.inbox):
                serial = getattr(msg.body, "reply_serial", None)
                if msg.msg_id == msg_id and (reply_serial is None or serial == reply_serial):
                    return self.inbox.pop(i)
            if not await self._read(max(0.01, deadline - loop.time())):
                raise EOFError("closed by the platform")

    async def silent(self, seconds: float) -> list[j.Jt808Message]:
        """Everything the platform sends within ``seconds`` (to prove an ack did not come)."""
        try:
            while True:
                if not await self._read(seconds):
                    break
        except TimeoutError:
            pass
        out, self.inbox = self.inbox, []
        return out

    async def closed_by_platform(self, within: float = 5.0) -> bool:
        assert self.reader is not None
        try:
            while True:
                data = await asyncio.wait_for(self.reader.read(65536), within)
                if not data:
                    return True
        except ConnectionError:  # closed with our bytes unread: the kernel answers with a reset
            return True
        except TimeoutError:
            return False

    async def register(self, plate: str = "") -> j.RegisterResponse:
        body = j.TerminalRegister(
            11, 100, "GWTST", "T1", "0000001", 1, plate, "2019" if self.edition == "2019" else "2013"
        )
        serial = self.send(body)
        answer = (await self.expect(0x8100, serial)).body
        assert isinstance(answer, j.RegisterResponse)
        return answer

    async def authenticate(self, code: str) -> int:
        serial = self.send(j.TerminalAuth(code))
        answer = (await self.expect(0x8001, serial)).body
        assert isinstance(answer, j.PlatformResponse)
        return answer.result

    async def login(self, plate: str = "") -> str:
        registered = await self.register(plate)
        assert registered.result == 0, registered
        assert await self.authenticate(registered.auth_code) == 0
        return registered.auth_code

    async def report(self, loc: j.Location, serial: int | None = None) -> int:
        """Send a 0x0200 and wait for its 0x8001; returns the result."""
        serial = self.send(j.LocationReport(loc), serial)
        answer = (await self.expect(0x8001, serial)).body
        assert isinstance(answer, j.PlatformResponse)
        return answer.result

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()


class Gb32960Client:
    def __init__(self, vin: str, port: int) -> None:
        self.vin = vin
        self.port = port
        self.framer = g.Gb32960Framer()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> Gb32960Client:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        return self

    async def call(self, command: int, payload: g.Payload, within: float = 5.0) -> g.Gb32960Message:
        assert self.writer is not None and self.reader is not None
        self.writer.write(g.encode(g.Gb32960Message("2016", command, g.COMMAND, self.vin, payload)))
        while True:
            data = await asyncio.wait_for(self.reader.read(65536), within)
            if not data:
                raise EOFError("closed by the platform")
            for frame in self.framer.feed(data):
                msg = g.decode(frame)
                if msg.command == command and msg.response != g.COMMAND:
                    return msg

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def gb_report(lat: float = 39.9, lon: float = 116.4, soc: int = 55, speed: float = 30.0) -> g.RealtimeReport:
    vehicle = g.VehicleData(1, 3, 1, speed, 5000.0, 650.0, 12.5, soc, 1, 0x2E, 5000, 20, 0)
    position = g.VehiclePosition(0, lat, lon, None)
    return g.RealtimeReport(datetime.now(UTC).replace(microsecond=0), (vehicle, position, g.Alarms(0, 0)))


def gb_login() -> g.VehicleLogin:
    return g.VehicleLogin(datetime.now(UTC).replace(microsecond=0), 1, "89860000000000000001", ("PACK-A01",), 8)
