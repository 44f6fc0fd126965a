"""The JT/T 808 gateway over real TCP: sessions by the standard, acks only for what is stored, exactly once."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gongwu.core.db import Database
from gongwu.devices import jt808 as j
from gongwu.devices.sim import Faults, Jt808Terminal, ring_path
from gongwu.telematics.gateway.jt808 import Jt808Session
from gongwu.telematics.models import PositionRow, Terminal
from gongwu.telematics.pipeline.store import PositionStore

from .clients import Jt808Client, location
from .conftest import HOST, GatewayFactory, provision_car, stored

PATH = ring_path(39.9087, 116.3975, 800)


async def test_register_authenticate_report_ack_with_the_simulator(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db, identifier="13800000001")
    service = await gateways()
    terminal = Jt808Terminal(
        "13800000001",
        host=HOST,
        port=service.ports["jt808"],
        path=PATH,
        interval_s=0.05,
        reports=12,
        plate=car.vehicle.plate,
        edition="2019",
    )
    stats = await asyncio.wait_for(terminal.run(), 30)
    assert (stats.reports, stats.acked, stats.resent) == (12, 12, 0)
    assert await stored(db, car.vehicle.id) == 12
    async with db.session() as session:
        row = await session.get(Terminal, car.terminal_id)
        assert row is not None and row.auth_code == terminal.auth_code and len(row.auth_code) == 16
        assert row.imei.startswith("86") and row.software_version == "gongwu-sim 1.0"
        points = (await session.scalars(select(PositionRow).order_by(PositionRow.device_time))).all()
    assert all(p.ignition and p.fix_valid and p.speed_kmh == 40 for p in points)
    assert points[-1].odometer_km is not None and points[-1].odometer_km >= 1000.0
    assert sum(p.distance_m for p in points[1:]) > 0


class GatedStore:
    """A store whose writes wait until the test opens the gate: proves the ack waits for the commit."""

    def __init__(self, inner: PositionStore) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.writes = 0

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, records: Sequence[tuple[Any, ...]]) -> None:
        await self.gate.wait()
        await self.inner.write(records)
        self.writes += 1

    async def close(self) -> None:
        await self.inner.close()


async def test_no_ack_before_the_position_is_durable(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db)
    service = await gateways()
    gated = GatedStore(service.writer.store)
    service.writer.store = gated
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    serial = client.send(j.LocationReport(location()))
    assert [m for m in await client.silent(0.5) if m.msg_id == 0x8001] == []
    assert await stored(db) == 0
    gated.gate.set()
    ack = (await client.expect(0x8001, serial)).body
    assert isinstance(ack, j.PlatformResponse) and (ack.result, ack.reply_msg_id) == (0, 0x0200)
    assert await stored(db) == 1
    await client.close()


class PoisonStore:
    """Spoils the row of one device time on its way into the real store (past a SMALLINT): the database refuses it."""

    def __init__(self, inner: PositionStore, poisoned: datetime) -> None:
        self.inner = inner
        self.poisoned = poisoned

    async def open(self) -> None:
        await self.inner.open()

    async def write(self, records: Sequence[tuple[Any, ...]]) -> None:
        await self.inner.write([(*r[:-1], 1 << 70) if r[1] == self.poisoned else r for r in records])

    async def close(self) -> None:
        await self.inner.close()


async def test_a_report_the_database_refuses_is_answered_failed_and_the_others_acked(
    db: Database, gateways: GatewayFactory
) -> None:
    """The one report whose row the database refuses is answered 0x8001 result 1 (失败: not stored); the reports
    around it, in the same batch, are stored and acked, and the session goes on."""
    car = await provision_car(db)
    service = await gateways()
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=60)
    service.writer.store = PoisonStore(service.writer.store, base + timedelta(seconds=2))
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    serials = [client.send(j.LocationReport(location(time=base + timedelta(seconds=i)))) for i in range(5)]
    results = []
    for serial in serials:
        ack = (await client.expect(0x8001, serial)).body
        assert isinstance(ack, j.PlatformResponse) and ack.reply_msg_id == 0x0200
        results.append(ack.result)
    assert results == [0, 0, j.ResponseResult.FAILED, 0, 0]
    # re-sent, it is no duplicate of a stored report (the session forgot it): refused again, not acked as stored
    assert await client.report(location(time=base + timedelta(seconds=2))) == j.ResponseResult.FAILED
    assert await client.report(location(time=base + timedelta(seconds=10))) == 0
    await client.close()
    assert await stored(db, car.vehicle.id) == 5
    assert service.writer.refused == 2


async def test_a_report_sent_twice_is_acked_twice_and_stored_once(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db)
    service = await gateways()
    terminal = Jt808Terminal(
        car.identifier,
        host=HOST,
        port=service.ports["jt808"],
        path=PATH,
        interval_s=0.05,
        reports=10,
        faults=Faults(duplicate_every=1),
        plate=car.vehicle.plate,
    )
    stats = await asyncio.wait_for(terminal.run(), 30)
    assert stats.acked == 10
    assert await stored(db, car.vehicle.id) == 10

    # the same report again on a new connection (the ack was lost on the way): acked, still stored once
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    loc = location(time=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30))
    assert await client.report(loc) == 0
    await client.close()
    again = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await again.login()
    assert await again.report(loc) == 0
    assert await again.report(loc, serial=77) == 0
    await again.close()
    assert await stored(db, car.vehicle.id) == 11


async def test_a_connection_that_never_authenticated_stores_nothing(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db)
    service = await gateways()
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    assert (await client.register()).result == 0
    for _ in range(3):
        assert await client.report(location()) == j.ResponseResult.FAILED
    batch = client.send(j.BatchLocationUpload(1, (location(), location(lat=39.91))))
    assert (await client.expect(0x8001, batch)).body.result == j.ResponseResult.FAILED  # type: ignore[attr-defined]
    heartbeat = client.send(j.Heartbeat())
    assert (await client.expect(0x8001, heartbeat)).body.result == j.ResponseResult.FAILED  # type: ignore[attr-defined]
    assert await client.authenticate("not-the-code") == j.ResponseResult.FAILED
    assert await client.report(location()) == j.ResponseResult.FAILED
    await client.close()

    sim = Jt808Terminal(
        car.identifier,
        host=HOST,
        port=service.ports["jt808"],
        path=PATH,
        interval_s=0.01,
        reports=40,
        faults=Faults(never_authenticate=True),
        plate=car.vehicle.plate,
    )
    task = asyncio.create_task(sim.run())
    await asyncio.sleep(1.5)
    sim.stop()
    await asyncio.wait_for(task, 10)
    # every report was answered 0x8001 result 1 (the simulator counts any answer as an ack), never stored; after
    # 20 refusals the platform closed the connection and the simulator had to connect again
    assert sim.stats.connects >= 2
    assert await stored(db) == 0


async def test_a_multimedia_upload_before_authentication_is_refused(db: Database, gateways: GatewayFactory) -> None:
    """0x0801 before authentication is data like any other: 0x8001 result 1 (never the 0x8800 that tells the
    terminal it was received), whole or in sub-packages, counted with the other refusals (20 close the
    connection), never stored; after authentication it is answered 0x8800."""
    car = await provision_car(db)
    service = await gateways()
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    media = j.MultimediaUpload(7, 0, 0, 0, 1, location(mileage=None), b"\xff\xd8" + bytes(500) + b"\xff\xd9")
    serial = client.send(media)
    answers = await client.silent(0.5)
    assert [m.msg_id for m in answers] == [0x8001]
    ack = answers[0].body
    assert isinstance(ack, j.PlatformResponse)
    assert (ack.reply_serial, ack.reply_msg_id, ack.result) == (serial, 0x0801, j.ResponseResult.FAILED)
    assert client.writer is not None
    for part in j.encode_packets(j.message(media, phone=client.phone, serial=100), max_body=200):
        client.writer.write(part)
    answers = await client.silent(0.5)
    assert [(m.msg_id, m.body.result) for m in answers] == [(0x8001, j.ResponseResult.FAILED)] * 3  # type: ignore[attr-defined]
    for _ in range(16):  # 1 + 3 refused so far: the 20th closes the connection
        client.send(media)
    assert await client.closed_by_platform()
    assert await stored(db) == 0

    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    serial = client.send(media)
    answer = (await client.expect(0x8800)).body
    assert isinstance(answer, j.MultimediaUploadResponse) and answer.media_id == 7
    await client.close()


async def test_an_incomplete_sub_package_set_is_dropped_after_its_timeout(
    db: Database, gateways: GatewayFactory
) -> None:
    """Parts of a message whose other parts never come are held for ``jt808_subpackage_timeout_s``, then dropped
    (the session holds nothing any more), and the connection goes on: a complete set and a report are handled."""
    car = await provision_car(db)
    service = await gateways(jt808_subpackage_timeout_s=0.5)
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    (session,) = service.gateways["jt808"].sessions
    assert isinstance(session, Jt808Session)
    media = j.MultimediaUpload(7, 0, 0, 0, 1, location(mileage=None), bytes(540))
    parts = j.encode_packets(j.message(media, phone=client.phone, serial=100), max_body=200)
    assert client.writer is not None and len(parts) == 3
    client.writer.write(parts[0] + parts[2])  # part 2 never comes
    assert await client.silent(0.3) == []  # the parts of a 0x0801 are not acked: its 0x8800 answers the whole
    assert len(session._reassembler) == 1
    for _ in range(40):
        if not len(session._reassembler):
            break
        await asyncio.sleep(0.1)
    assert len(session._reassembler) == 0
    assert not session.closed
    media = j.MultimediaUpload(8, 0, 0, 0, 1, location(mileage=None), bytes(540))
    for part in j.encode_packets(j.message(media, phone=client.phone, serial=200), max_body=200):
        client.writer.write(part)
    answer = (await client.expect(0x8800)).body
    assert isinstance(answer, j.MultimediaUploadResponse) and answer.media_id == 8
    assert await client.report(location()) == 0
    assert len(session._reassembler) == 0
    await client.close()
    assert await stored(db, car.vehicle.id) == 1


async def test_a_flood_of_garbage_closes_that_connection_and_no_other(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db)
    service = await gateways()
    healthy = Jt808Terminal(
        car.identifier,
        host=HOST,
        port=service.ports["jt808"],
        path=PATH,
        interval_s=0.05,
        plate=car.vehicle.plate,
        faults=Faults(garbage_every=3),
    )
    running = asyncio.create_task(healthy.run())
    await asyncio.sleep(0.5)
    flooder = await Jt808Client("13999999999", service.ports["jt808"]).connect()
    for _ in range(64):
        flooder.raw(os.urandom(1024).replace(b"\x7e", b"\x00"))
    assert await flooder.closed_by_platform()
    bad_frames = await Jt808Client("13999999998", service.ports["jt808"]).connect()
    for _ in range(25):
        bad_frames.raw(b"\x7e" + os.urandom(30).replace(b"\x7e", b"\x01") + b"\x7e")
    assert await bad_frames.closed_by_platform()
    acked = healthy.stats.acked
    await asyncio.sleep(0.6)
    healthy.stop()
    await asyncio.wait_for(running, 10)
    assert healthy.stats.acked > acked > 0
    assert healthy.stats.connects == 1
    assert await stored(db, car.vehicle.id) == healthy.stats.acked


async def test_register_answers_with_the_standard_result_codes(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db, identifier="13800000001")
    other = await provision_car(db, identifier="13800000002")
    service = await gateways()
    port = service.ports["jt808"]

    unknown = await Jt808Client("13700000000", port).connect()
    assert (await unknown.register()).result == j.RegisterResult.NO_SUCH_TERMINAL

    wrong_car = await Jt808Client("13800000001", port).connect()
    assert (await wrong_car.register(other.vehicle.plate)).result == j.RegisterResult.VEHICLE_REGISTERED
    assert (await wrong_car.register("京A99999")).result == j.RegisterResult.NO_SUCH_VEHICLE

    first = await Jt808Client("13800000001", port).connect()
    code = await first.login(car.vehicle.plate)
    clone = await Jt808Client("013800000001", port).connect()
    assert (await clone.register()).result == j.RegisterResult.TERMINAL_REGISTERED
    assert await first.report(location()) == 0

    # logout (0x0003) drops the registration: the old code no longer authenticates
    serial = first.send(j.TerminalLogout())
    assert (await first.expect(0x8001, serial)).body.result == 0  # type: ignore[attr-defined]
    assert await first.report(location(lat=39.92)) == j.ResponseResult.FAILED
    late = await Jt808Client("13800000001", port).connect()
    assert await late.authenticate(code) == j.ResponseResult.FAILED
    for client in (unknown, wrong_car, first, clone, late):
        await client.close()
    assert await stored(db) == 1


async def test_heartbeats_keep_a_session_and_silence_ends_it(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db)
    service = await gateways(idle_timeout_s=0.6, auth_timeout_s=0.6)
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    for _ in range(4):
        await asyncio.sleep(0.3)
        serial = client.send(j.Heartbeat())
        assert (await client.expect(0x8001, serial)).body.result == 0  # type: ignore[attr-defined]
    assert await client.closed_by_platform(within=3)
    idle = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    assert await idle.closed_by_platform(within=3)


async def test_auto_provisioning_binds_a_terminal_to_the_car_it_names(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db, identifier="13800000001")
    async with db.session() as session:
        unbound = await session.get(Terminal, car.terminal_id)
        assert unbound is not None
        await session.delete(unbound)
        await session.commit()
    service = await gateways(auto_provision=True)
    named = await Jt808Client("13811112222", service.ports["jt808"]).connect()
    await named.login(car.vehicle.plate)
    assert await named.report(location()) == 0
    stranger = await Jt808Client("13811113333", service.ports["jt808"]).connect()
    await stranger.login("")
    assert await stranger.report(location(lat=31.2, lon=121.5)) == 0
    async with db.session() as session:
        rows = (await session.scalars(select(Terminal).order_by(Terminal.identifier))).all()
    assert [(t.identifier, t.auto_provisioned) for t in rows] == [("13811112222", True), ("13811113333", True)]
    assert rows[0].vehicle_id == car.vehicle.id and rows[1].vehicle_id != car.vehicle.id
    await named.close()
    await stranger.close()


@pytest.mark.parametrize("edition", ["2013", "2019"])
async def test_a_blind_area_batch_is_stored_once_and_acked_once(
    db: Database, gateways: GatewayFactory, edition: j.Edition
) -> None:
    car = await provision_car(db)
    service = await gateways()
    client = await Jt808Client(car.identifier, service.ports["jt808"], edition=edition).connect()
    await client.login()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    locations = tuple(location(39.9 + i / 1000, time=start + timedelta(seconds=10 * i)) for i in range(12))
    serial = client.send(j.BatchLocationUpload(1, locations))
    assert (await client.expect(0x8001, serial)).body.result == 0  # type: ignore[attr-defined]
    serial = client.send(j.BatchLocationUpload(1, locations[6:]))
    assert (await client.expect(0x8001, serial)).body.result == 0  # type: ignore[attr-defined]
    await client.close()
    assert await stored(db, car.vehicle.id) == 12
    async with db.session() as session:
        flags = set((await session.scalars(select(PositionRow.flags))).all())
    assert flags == {32}  # BLIND_AREA


@pytest.mark.parametrize("phone", ["013800000001", "017e7d000000"])
def test_the_fast_location_ack_is_the_codecs_0x8001(phone: str) -> None:
    from gongwu.telematics.gateway.jt808 import location_ack

    for serial, reply in ((1, 0x7E7D), (0xFFFF, 7), (0x7E, 0x7D)):
        key = j.AckKey(phone, "2013", 1, reply, 0x0200)
        assert location_ack(bytes.fromhex(phone), serial, reply, 0x0200) == j.general_response(key, serial=serial)


async def test_a_driver_card_puts_the_driver_on_the_live_map(db: Database, gateways: GatewayFactory) -> None:
    from gongwu.core.events import MemoryBus
    from gongwu.telematics.consumers import ConsumerService
    from gongwu.telematics.state import shared_state

    from .conftest import gateway_settings

    car = await provision_car(db)
    bus = MemoryBus()
    service = await gateways(bus=bus)
    stop = asyncio.Event()
    consumers = asyncio.create_task(
        ConsumerService(db, bus, gateway_settings(), timezone="Asia/Shanghai", kinds=("live",)).run(stop)
    )
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    assert await client.report(location()) == 0
    card = j.DriverIdentity(
        1, datetime.now(UTC).replace(microsecond=0), 0, "马师傅", "110101199001011234", "北京交通委", "20300101"
    )
    serial = client.send(card)
    assert (await client.expect(0x8001, serial)).body.result == 0  # type: ignore[attr-defined]
    live = shared_state(bus).live
    for _ in range(50):
        record = (await live.get([car.vehicle.id])).get(car.vehicle.id, {})
        if record.get("driver") == "马师傅" and record.get("lat"):
            break
        await asyncio.sleep(0.1)
    assert record["driver"] == "马师傅" and record["lat"] == pytest.approx(39.9087)
    await client.close()
    stop.set()
    await asyncio.wait_for(consumers, 10)
