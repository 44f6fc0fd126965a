"""The GB/T 32960 and NMEA gateways over real TCP: log in first, answers by the standard, stored once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from gongwu.core.db import Database
from gongwu.devices import gb32960 as g
from gongwu.devices import nmea as n
from gongwu.devices.gb32960.messages import VIN_UNKNOWN
from gongwu.devices.sim import Gb32960Vehicle, ring_path
from gongwu.telematics.gateway import hello_line
from gongwu.telematics.models import PositionRow

from .clients import HOST, Gb32960Client, gb_login, gb_report
from .conftest import GatewayFactory, provision_car, stored


async def test_a_new_energy_car_logs_in_and_its_reports_with_soc_are_stored(
    db: Database, gateways: GatewayFactory
) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    service = await gateways()
    vehicle = Gb32960Vehicle(
        car.identifier,
        host=HOST,
        port=service.ports["gb32960"],
        path=ring_path(39.9, 116.4, 500),
        interval_s=0.05,
        reports=8,
        soc_pct=64,
    )
    stats = await asyncio.wait_for(vehicle.run(), 30)
    assert (stats.reports, stats.acked) == (8, 8)
    assert await stored(db, car.vehicle.id) == 8
    async with db.session() as session:
        socs = set((await session.scalars(select(PositionRow.soc_pct))).all())
    assert socs and all(60 <= s <= 64 for s in socs)


async def test_reports_before_login_and_unknown_vins_are_refused(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    service = await gateways()
    port = service.ports["gb32960"]
    client = await Gb32960Client(car.identifier, port).connect()
    assert (await client.call(g.REALTIME, gb_report())).response == g.ERROR
    assert (await client.call(g.LOGIN, gb_login())).response == g.OK
    assert (await client.call(g.REALTIME, gb_report())).response == g.OK
    assert (await client.call(g.HEARTBEAT, g.Heartbeat())).response == g.OK
    synced = await client.call(g.TIME_SYNC, g.TimeSync())
    assert synced.response == g.OK and isinstance(synced.payload, g.Response) and synced.payload.time is not None
    assert abs((synced.payload.time - datetime.now(UTC)).total_seconds()) < 5
    logout = g.VehicleLogout(datetime.now(UTC).replace(microsecond=0), 2)
    assert (await client.call(g.LOGOUT, logout)).response == g.OK
    assert (await client.call(g.REALTIME, gb_report(lat=39.95))).response == g.ERROR
    await client.close()
    stranger = await Gb32960Client("LSVAB2BM0TN999999", port).connect()
    assert (await stranger.call(g.LOGIN, gb_login())).response == VIN_UNKNOWN
    await stranger.close()
    assert await stored(db) == 1


async def test_an_nmea_module_says_who_it_is_then_streams_sentences(db: Database, gateways: GatewayFactory) -> None:
    car = await provision_car(db, protocol="nmea", identifier="gps-7")
    service = await gateways()
    reader, writer = await asyncio.open_connection(HOST, service.ports["nmea"])
    when = datetime(2026, 3, 2, 1, 2, 3, tzinfo=UTC)
    early = n.encode(n.Rmc("GP", when, True, 39.9, 116.39, 36.0, 80.0))
    writer.write(early + b"\r\n" + hello_line("gps-7"))
    fixes = []
    for i in range(3):
        t = when.replace(second=10 + i)
        gga = n.Gga("GN", t.time().replace(tzinfo=None), 39.9 + i / 1000, 116.4, 1, 9, 0.9, 55.0)
        rmc = n.Rmc("GN", t, True, 39.9 + i / 1000, 116.4, 36.0, 80.0)
        fixes.append(n.encode(gga) + b"\r\n" + n.encode(rmc) + b"\r\n")
    writer.write(b"".join(fixes) + fixes[0])  # the first fix again: stored once
    await writer.drain()
    for _ in range(50):
        if await stored(db, car.vehicle.id) == 3:
            break
        await asyncio.sleep(0.1)
    writer.close()
    async with db.session() as session:
        rows = (await session.scalars(select(PositionRow).order_by(PositionRow.device_time))).all()
    assert [(r.device_time.second, r.altitude_m, round(r.speed_kmh or 0)) for r in rows] == [
        (10, 55.0, 36),
        (11, 55.0, 36),
        (12, 55.0, 36),
    ]
    del reader
