"""The terminal simulators against a tiny platform written here with our codecs (acks via ``reply``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from gongwu.devices import DecodeError, Extra, Position
from gongwu.devices import gb32960 as gb
from gongwu.devices import jt808 as j
from gongwu.devices.sim import Faults, FleetSimulator, Gb32960Vehicle, Jt808Terminal, haversine_m, ring_path

PATH = [(39.9042, 116.4074), (39.9142, 116.4074), (39.9142, 116.4274)]


async def until(cond: Callable[[], object], limit_s: float = 10.0) -> None:
    """Poll a condition the platform's handlers change (they set no event we could await)."""
    async with asyncio.timeout(limit_s):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


class Platform:
    """A minimal JT/T 808 + GB/T 32960 platform: decodes, records, acks with the codecs' ``reply``."""

    def __init__(self, *, drop_first_ack: bool = False) -> None:
        self.messages: list[j.Jt808Message] = []
        self.gb_messages: list[gb.Gb32960Message] = []
        self.positions: list[Position] = []
        self.errors = 0
        self.writers: dict[str, asyncio.StreamWriter] = {}
        self.drop_first_ack = drop_first_ack
        self._dropped: set[tuple[str, int]] = set()
        self._serial = 0
        self.port = 0

    async def __aenter__(self) -> Platform:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for w in self.writers.values():
            w.close()

    def next_serial(self) -> int:
        self._serial += 1
        return self._serial

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (asyncio.CancelledError, ConnectionError):
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = await reader.read(4096)
        if first[:2] in (b"##", b"$$"):
            await self._gb(first, reader, writer)
            return
        framer = j.Jt808Framer()
        data = first
        while data:
            for frame in framer.feed(data):
                try:
                    msg = j.decode(frame)
                except DecodeError:
                    self.errors += 1
                    continue
                self.messages.append(msg)
                self.writers[msg.terminal_id] = writer
                self.positions += j.positions(msg)
                key = (msg.terminal_id, msg.header.serial)
                if self.drop_first_ack and msg.msg_id == 0x0200 and key not in self._dropped:
                    self._dropped.add(key)
                    continue
                answer = j.reply(msg, serial=self.next_serial(), auth_code=f"AUTH-{msg.terminal_id}")
                if answer:
                    writer.write(answer)
            data = await reader.read(4096)
        writer.close()

    async def _gb(self, first: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer = gb.Gb32960Framer()
        data = first
        while data:
            for frame in framer.feed(data):
                msg = gb.decode(frame)
                self.gb_messages.append(msg)
                self.positions += gb.positions(msg)
                answer = gb.reply(msg, now=datetime.now(UTC).replace(microsecond=0))
                if answer:
                    writer.write(answer)
            data = await reader.read(4096)

    def command(self, terminal_id: str, body: j.Body, edition: j.Edition = "2013") -> int:
        serial = self.next_serial()
        phone = terminal_id.rjust(20 if edition == "2019" else 12, "0")
        self.writers[terminal_id].write(j.encode(j.message(body, phone=phone, serial=serial, edition=edition)))
        return serial

    def of(self, terminal_id: str, msg_id: int) -> list[j.Jt808Message]:
        return [m for m in self.messages if m.terminal_id == terminal_id and m.msg_id == msg_id]


def terminal(platform: Platform, phone: str, **kw: object) -> Jt808Terminal:
    kw.setdefault("interval_s", 0.05)
    kw.setdefault("speed_kmh", 3600.0)  # 1 km per second: visible movement in a short test
    return Jt808Terminal(phone, host="127.0.0.1", port=platform.port, path=PATH, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("edition", ["2013", "2019"])
async def test_terminal_registers_authenticates_and_reports_along_its_path(edition: j.Edition) -> None:
    async with Platform() as platform:
        car = terminal(platform, "13800000001", edition=edition, reports=6)
        stats = await asyncio.wait_for(car.run(), 15)
        (register,) = platform.of("13800000001", 0x0100)
        assert register.header.edition == edition
        (auth,) = platform.of("13800000001", 0x0102)
        assert isinstance(auth.body, j.TerminalAuth) and auth.body.auth_code == "AUTH-13800000001"
        reports = platform.of("13800000001", 0x0200)
        assert len({m.header.serial for m in reports}) == 6 and stats.acked == 6
        track = [p for p in platform.positions if p.terminal_id == "13800000001"]
        assert all(p.fix_valid and p.ignition for p in track)
        assert haversine_m((track[0].lat, track[0].lon), (track[-1].lat, track[-1].lon)) > 50  # type: ignore[arg-type]
        assert all(p.odometer_km is not None for p in track)


async def test_unacked_reports_are_resent_until_acked() -> None:
    async with Platform(drop_first_ack=True) as platform:
        car = terminal(platform, "13800000002", reports=4, ack_timeout_s=0.2)
        stats = await asyncio.wait_for(car.run(), 15)
        reports = platform.of("13800000002", 0x0200)
        serials = [m.header.serial for m in reports]
        assert len(set(serials)) == 4 and len(serials) >= 8  # every report came twice
        assert stats.resent >= 4 and stats.acked == 4


async def test_an_outage_ends_with_a_blind_area_batch_and_nothing_lost() -> None:
    async with Platform() as platform:
        faults = Faults(drop_after=3, offline_s=0.3)
        car = terminal(platform, "13800000003", reports=9, faults=faults)
        stats = await asyncio.wait_for(car.run(), 20)
        assert stats.connects >= 2
        batches = platform.of("13800000003", 0x0704)
        assert batches and all(isinstance(b.body, j.BatchLocationUpload) and b.body.kind == 1 for b in batches)
        assert any(p.extras.get(Extra.BLIND_AREA) for p in platform.positions)
        assert stats.reports == 9
        # every report the terminal made reached the platform, acked directly or in a batch
        direct = {m.header.serial for m in platform.of("13800000003", 0x0200)}
        batched = sum(len(b.body.locations) for b in batches if isinstance(b.body, j.BatchLocationUpload))
        assert len(direct) + batched >= 9


async def test_terminal_answers_commands() -> None:
    async with Platform() as platform:
        car = terminal(platform, "13800000004", interval_s=0.2)
        task = asyncio.ensure_future(car.run())
        await until(lambda: bool(platform.of("13800000004", 0x0200)))
        tid = "13800000004"
        s1 = platform.command(tid, j.QueryLocation())
        s2 = platform.command(tid, j.TextMessage(0x08, "请到东门"))
        s3 = platform.command(tid, j.SetParameters((j.TerminalParameter(0x0029, 1),)))
        s4 = platform.command(tid, j.QueryParameters())
        area = j.CircleArea(7, 0, 39.9, 116.4, 500)
        s5 = platform.command(tid, j.SetCircleAreas(0, (area,)))
        s6 = platform.command(tid, j.DeleteCircleAreas((7,)))
        await until(
            lambda: len(platform.of(tid, 0x0001)) >= 4 and platform.of(tid, 0x0201) and platform.of(tid, 0x0104)
        )
        car.stop()
        await asyncio.wait_for(task, 5)
        (located,) = platform.of(tid, 0x0201)
        assert isinstance(located.body, j.LocationQueryResponse) and located.body.reply_serial == s1
        (params,) = platform.of(tid, 0x0104)
        assert isinstance(params.body, j.ParameterQueryResponse) and params.body.reply_serial == s4
        answers = [m.body for m in platform.of(tid, 0x0001)]
        answered = {(b.reply_serial, b.reply_msg_id, b.result) for b in answers if isinstance(b, j.TerminalResponse)}
        assert {(s2, 0x8300, 0), (s3, 0x8103, 0), (s5, 0x8600, 0), (s6, 0x8601, 0)} <= answered
        assert car.interval_s == 1.0  # 0x0029 applied
        assert j.TextMessage(0x08, "请到东门") in car.stats.received


async def test_faults_duplicates_garbage_and_no_authentication() -> None:
    async with Platform() as platform:
        noisy = terminal(platform, "13800000005", reports=6, faults=Faults(duplicate_every=2, garbage_every=1))
        await asyncio.wait_for(noisy.run(), 15)
        serials = [m.header.serial for m in platform.of("13800000005", 0x0200)]
        assert len(serials) == 9 and len(set(serials)) == 6  # reports 2, 4, 6 twice
        assert platform.errors == 6  # each junk frame rejected, the stream went on
        mute = terminal(platform, "13800000006", reports=2, faults=Faults(never_authenticate=True))
        await asyncio.wait_for(mute.run(), 15)
        assert platform.of("13800000006", 0x0100) and not platform.of("13800000006", 0x0102)


@pytest.mark.parametrize("edition", ["2016", "2025"])
async def test_gb32960_vehicle_logs_in_reports_and_logs_out(edition: gb.GbEdition) -> None:
    async with Platform() as platform:
        vin = "LGWEF4A52NF12345" + ("6" if edition == "2016" else "7")
        car = Gb32960Vehicle(vin, host="127.0.0.1", port=platform.port, path=PATH, edition=edition, interval_s=0.05)
        task = asyncio.ensure_future(car.run())
        await until(lambda: car.stats.acked >= 3)
        car.stop()
        stats = await asyncio.wait_for(task, 5)
        commands = [m.command for m in platform.gb_messages]
        assert commands[0] == gb.LOGIN and commands[-1] == gb.LOGOUT and stats.logged_out
        assert {m.edition for m in platform.gb_messages} == {edition}
        reports = [m for m in platform.gb_messages if m.command == gb.REALTIME]
        assert len(reports) == stats.reports >= 3
        pos = [p for p in platform.positions if p.terminal_id == vin]
        assert pos and all(p.soc_pct is not None and p.fix_valid for p in pos)
        if edition == "2025":
            assert all(m.payload.signature is not None for m in reports)  # type: ignore[union-attr]


async def test_fleet_simulator_drives_many_cars_at_once() -> None:
    async with Platform() as platform:
        cars: list[Jt808Terminal | Gb32960Vehicle] = []
        for i in range(24):
            path = ring_path(39.9 + i * 0.01, 116.4, 800)
            cars.append(
                Jt808Terminal(
                    f"1390000{i:04d}",
                    host="127.0.0.1",
                    port=platform.port,
                    path=path,
                    edition="2019" if i % 2 else "2013",
                    interval_s=0.05,
                    reports=3,
                )
            )
        for i in range(6):
            vin = f"LGWEF4A52NF1{i:05d}"
            cars.append(
                Gb32960Vehicle(vin, host="127.0.0.1", port=platform.port, path=PATH, interval_s=0.05, reports=3)
            )
        stats = await FleetSimulator(cars, connect_rate=200).run(duration_s=30)
        assert stats.terminals == 30 and stats.reports == 90 and stats.acked == 90 and stats.errors == 0
        assert len({p.terminal_id for p in platform.positions}) == 30
