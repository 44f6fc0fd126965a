"""Scale-out on PostgreSQL + Redis: two gateway processes and two consumer processes side by side. One of each is
killed (SIGKILL) mid-stream; the terminals of the dead gateway reconnect to the other (as behind a TCP balancer)
and re-send what was not acked. Every position acked is stored exactly once, nothing sent is lost, and the
surviving consumer claims the dead one's pending events, so every car's derived state reaches its last point."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gongwu.core.db import Database
from gongwu.core.events import RedisBus
from gongwu.devices.sim import FleetSimulator
from gongwu.telematics import commands
from gongwu.telematics.models import PositionRow, Terminal, TerminalCommand, TrackState
from gongwu.telematics.state import shared_state
from tests.browser import free_port
from tests.conftest import REDIS_URL

from .conftest import HOST, pending_positions, provision_car, ring_fleet

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CARS = 16
REPORTS = 60


def make_url_redis(url: str, db: int) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{db}" if base.startswith("redis://") and base.count("/") == 2 else url


# the telematics topics and hashes have fixed names: a Redis database of this test run's own keeps parallel runs
# (and the other tests on the shared test database) apart
SCALEOUT_REDIS = make_url_redis(REDIS_URL, 1 + os.getpid() % 13)


async def connect_redis_bus() -> RedisBus:
    bus = RedisBus(SCALEOUT_REDIS)
    await bus.ping()
    return bus


def _env(pg_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWU_")}
    return (
        env
        | {
            "GONGWU_DATABASE_URL": pg_url,
            "GONGWU_REDIS_URL": SCALEOUT_REDIS,
            "GONGWU_DATA_DIR": str(tmp),
            "GONGWU_GB32960_ENABLED": "0",
            "GONGWU_NMEA_ENABLED": "0",
            "GONGWU_CONSUMER_CLAIM_IDLE_MS": "1500",
            "GONGWU_BATCH_MAX_MS": "30",
        }
        | extra
    )


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gongwu.app", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"process died:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on {port}:\n{log.read_text()[-3000:]}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _clean_redis() -> None:
    bus = await connect_redis_bus()
    client = bus.client
    keys = [k async for k in client.scan_iter(match="telematics*")]
    if keys:
        await client.delete(*keys)
    await bus.close()


async def test_killed_gateway_and_consumer_lose_nothing_acked(
    pg_db: Database, pg_url: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    await _clean_redis()
    cars = [await provision_car(pg_db, identifier=f"1390000{i:04d}") for i in range(CARS)]
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"{name}.log" for name in ("gw-a", "gw-b", "consumer-1", "consumer-2")]
    for i, port in enumerate(ports):
        env = _env(pg_url, tmp_path, GONGWU_JT808_PORT=str(port), GONGWU_GATEWAY_ID=f"gw-{'ab'[i]}")
        processes.append(_start(["gateway"], env, logs[i]))
    for i in (2, 3):
        processes.append(_start(["consumers"], _env(pg_url, tmp_path), logs[i]))
    for i, port in enumerate(ports):
        _listening(port, processes[i], logs[i])

    terminals = ring_fleet(cars, ports, interval_s=0.1, reports=REPORTS, ack_timeout_s=2.0)
    fleet = asyncio.create_task(FleetSimulator(terminals, connect_rate=200).run())
    await asyncio.sleep(2.5)  # positions are flowing through both gateways and both consumers
    gateway_a, consumer_1 = processes[0], processes[2]
    gateway_a.send_signal(signal.SIGKILL)
    consumer_1.send_signal(signal.SIGKILL)
    for terminal in terminals[0::2]:
        terminal.port = ports[1]  # the balancer now sends them to the surviving gateway
    # a command from "another process" reaches the terminal through Redis, whichever gateway holds it
    async with pg_db.session() as session:
        held = await session.get(Terminal, cars[1].terminal_id)
        assert held is not None
        command = await commands.create_command(session, held, "location_query", {}, None)
        await session.commit()
    bus = await connect_redis_bus()
    await commands.publish_command(bus, command, held)
    await bus.close()
    stats = await asyncio.wait_for(fleet, 120)
    assert stats.reports == CARS * REPORTS and stats.connects > CARS  # the terminals of the dead gateway came back
    assert all(t.stats.reports == REPORTS for t in terminals)

    deadline = time.monotonic() + 10
    answers = 0
    while True:  # the answer is recorded, and stored as a position by the writer's next batch
        async with pg_db.session() as session:
            answered = await session.get(TerminalCommand, command.id)
            assert answered is not None
            where = (answered.answer or {}).get("location")
            if where:
                answers = await session.scalar(
                    select(func.count())
                    .select_from(PositionRow)
                    .where(
                        (PositionRow.vehicle_id == cars[1].vehicle.id)
                        & (PositionRow.device_time == datetime.fromisoformat(where["time"]))
                        & (PositionRow.lat == where["lat"])
                        & (PositionRow.lon == where["lon"])
                    )
                )
        if answers or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    assert (answered.status, answered.gateway_id) == ("answered", "gw-b")
    assert answers == 1, "the location query's answer is not stored as a position"

    async with pg_db.session() as session:
        per_car = dict(
            (await session.execute(select(PositionRow.vehicle_id, func.count()).group_by(PositionRow.vehicle_id))).all()
        )
        last = dict(
            (
                await session.execute(
                    select(PositionRow.vehicle_id, func.max(PositionRow.device_time)).group_by(PositionRow.vehicle_id)
                )
            ).all()
        )
    # every report was acked in the end (the simulator stops only then), and each is stored exactly once; the car
    # that answered the query has its answer too, unless it repeated a report of the same second and place (the
    # same fix, which de-duplication stores once)
    assert per_car.pop(cars[1].vehicle.id) in (REPORTS, REPORTS + 1)
    assert per_car == {car.vehicle.id: REPORTS for car in cars if car is not cars[1]}

    bus = await connect_redis_bus()
    try:
        deadline = time.monotonic() + 30
        while True:
            async with pg_db.session() as session:
                marks = dict(
                    (
                        await session.execute(
                            select(TrackState.vehicle_id, TrackState.watermark).where(TrackState.consumer == "trips")
                        )
                    ).all()
                )
            live = await shared_state(bus).live.get([c.vehicle.id for c in cars])
            pending = await pending_positions(bus)
            caught_up = marks == last and len(live) == CARS and pending == [0, 0]
            if caught_up or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert marks == last, "the trips consumers did not reach every car's last point"
        assert pending == [0, 0] and len(live) == CARS
    finally:
        await bus.close()
        await _clean_redis()
