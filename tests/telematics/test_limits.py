"""Per-connection limits of the gateways: auth-code guessing locked out (across gateways through Redis), a frame
flood read no faster than its allowance while other terminals go on, oversized frames dropped, a terminal that
does not read its acks cut off, and a Redis that lost its data: the gateway binds its terminals again."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import pytest

from gongwu.core.db import Database
from gongwu.core.events import MemoryBus, RedisBus
from gongwu.devices import gb32960 as g
from gongwu.devices import jt808 as j
from gongwu.devices.gb32960.messages import VIN_UNKNOWN
from gongwu.telematics import terminals
from gongwu.telematics.gateway.base import STEP_SLOTS, BaseSession
from gongwu.telematics.state import shared_state

from .clients import Gb32960Client, Jt808Client, gb_login, location
from .conftest import HOST, GatewayFactory, provision_car, stored


async def test_guessing_an_auth_code_locks_the_terminal_out_on_every_gateway(
    db: Database, gateways: GatewayFactory, redis_bus: RedisBus, unique: str
) -> None:
    car = await provision_car(db, identifier="13812345678")
    counters = redis_bus.client
    await counters.delete("ratelimit:telematics.auth:jt808:13812345678")
    one = await gateways(bus=redis_bus, auth_max_failures=4, gateway_id=f"gw-a-{unique}")
    two = await gateways(bus=redis_bus, auth_max_failures=4, gateway_id=f"gw-b-{unique}")
    good = await Jt808Client(car.identifier, one.ports["jt808"]).connect()
    code = (await good.register()).auth_code  # one registration counts
    await good.close()

    guesser = await Jt808Client(car.identifier, one.ports["jt808"]).connect()
    assert await guesser.authenticate("0000000000000000") == j.ResponseResult.FAILED
    assert await guesser.authenticate("1111111111111111") == j.ResponseResult.FAILED
    # a third failure on one connection closes it
    guesser.send(j.TerminalAuth("2222222222222222"))
    assert await guesser.closed_by_platform()
    # the count is shared: one more on the other gateway locks the terminal out there and here
    elsewhere = await Jt808Client(car.identifier, two.ports["jt808"]).connect()
    elsewhere.send(j.TerminalAuth("3333333333333333"))
    assert await elsewhere.closed_by_platform()
    late = await Jt808Client(car.identifier, one.ports["jt808"]).connect()
    assert await late.authenticate(code) == j.ResponseResult.FAILED  # even the right code, until the window ends
    assert await late.closed_by_platform()
    again = await Jt808Client(car.identifier, two.ports["jt808"]).connect()
    assert (await again.register()).result == j.RegisterResult.NO_SUCH_TERMINAL
    await counters.delete("ratelimit:telematics.auth:jt808:13812345678")  # the window ended (or an operator)
    honest = await Jt808Client(car.identifier, two.ports["jt808"]).connect()
    assert await honest.authenticate(code) == 0
    assert await honest.report(location()) == 0
    await honest.close()
    assert await stored(db, car.vehicle.id) == 1


async def test_a_reconnect_storm_is_accepted_at_once_and_logs_in_a_few_at_a_time(
    db: Database, gateways: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The soak test (``reliability/soak.py``) found a gateway under uvloop taking a few dozen connections a second
    (libuv accepts one per loop iteration): after another gateway died, its terminals' log-ins timed out in the
    accept queue and they reconnected, again and again. And the log-ins it did take all ran at once, exhausting the
    Redis connections the pipeline publishes with, so acks stopped. Now the queued connections are accepted in one
    go, and at most STEP_SLOTS log-ins run at a time (the others wait their turn)."""
    service = await gateways()
    gateway = service.gateways["jt808"]
    loop = asyncio.get_running_loop()
    listener = gateway._listeners[0]
    loop.remove_reader(listener.fileno())  # the loop is busy elsewhere: the kernel queues the connections
    queued = [socket.create_connection((HOST, gateway.port)) for _ in range(30)]
    gateway._accept(loop, listener)  # one readiness callback
    await asyncio.sleep(0.3)
    assert len(gateway.sessions) == 30
    gateway._listen(loop)
    for sock in queued:
        sock.close()

    cars = [await provision_car(db, identifier=f"1390000{i:04d}") for i in range(3 * STEP_SLOTS)]
    running = most = 0
    authenticate = terminals.authenticate_jt808

    async def slow_authenticate(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(0.05)
            return await authenticate(*args, **kwargs)
        finally:
            running -= 1

    monkeypatch.setattr(terminals, "authenticate_jt808", slow_authenticate)
    clients = [Jt808Client(car.identifier, service.ports["jt808"]) for car in cars]
    await asyncio.gather(*(client.connect() for client in clients))
    await asyncio.gather(*(client.login() for client in clients))
    assert 1 < most <= STEP_SLOTS
    for client in clients:
        await client.close()


async def test_unknown_vins_close_the_connection_after_three_tries(db: Database, gateways: GatewayFactory) -> None:
    service = await gateways()
    client = await Gb32960Client("LSVAB2BM0TN999999", service.ports["gb32960"]).connect()
    for vin in ("LSVAB2BM0TN999998", "LSVAB2BM0TN999997"):
        client.vin = vin
        assert (await client.call(g.LOGIN, gb_login())).response == VIN_UNKNOWN
    client.vin = "LSVAB2BM0TN999996"
    assert client.writer is not None and client.reader is not None
    client.writer.write(g.encode(g.Gb32960Message("2016", g.LOGIN, g.COMMAND, client.vin, gb_login())))
    rest = await asyncio.wait_for(client.reader.read(), 5)  # the answer, then the end of the connection
    assert g.Gb32960Framer().feed(rest) and await asyncio.wait_for(client.reader.read(), 5) == b""


async def test_a_frame_flood_is_read_at_its_allowance_and_others_go_on(db: Database, gateways: GatewayFactory) -> None:
    flooder_car = await provision_car(db, identifier="13800000011")
    calm_car = await provision_car(db, identifier="13800000012")
    service = await gateways(max_frames_per_s=200.0, frame_burst=100)
    port = service.ports["jt808"]
    flooder = await Jt808Client(flooder_car.identifier, port).connect()
    await flooder.login()
    calm = await Jt808Client(calm_car.identifier, port).connect()
    await calm.login()
    start = time.monotonic()
    for _ in range(1500):  # 1,500 heartbeats at once
        flooder.send(j.Heartbeat())
    latencies = []
    for i in range(5):
        sent = time.monotonic()
        assert await calm.report(location(lat=39.90 + i / 1000)) == 0
        latencies.append(time.monotonic() - sent)
        await asyncio.sleep(0.1)
    answered = len(await flooder.silent(0.05))
    elapsed = time.monotonic() - start
    # the burst and then ~200 a second: far fewer than 1,500 answered so far; the calm terminal never waited
    assert answered <= 100 + 200 * elapsed + 50, (answered, elapsed)
    assert max(latencies) < 0.5, latencies
    for client in (flooder, calm):
        await client.close()


async def test_an_oversized_frame_is_dropped_and_a_flood_of_them_closes_the_connection(
    db: Database, gateways: GatewayFactory
) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    service = await gateways(gb32960_max_frame_bytes=2048, garbage_limit_bytes=4096)
    client = await Gb32960Client(car.identifier, service.ports["gb32960"]).connect()
    assert (await client.call(g.LOGIN, gb_login())).response == g.OK
    header = b"##" + bytes((g.REALTIME, g.COMMAND)) + car.identifier.encode() + b"\x01"
    oversized = header + (3000).to_bytes(2, "big") + bytes(3000) + b"\x00"
    assert client.writer is not None
    client.writer.write(oversized)
    assert (await client.call(g.HEARTBEAT, g.Heartbeat())).response == g.OK  # skipped, and the link goes on
    for _ in range(3):
        client.writer.write(oversized)
    assert await Jt808Client.closed_by_platform(client)  # type: ignore[arg-type]


class _StuckTransport:
    """A transport whose peer reads nothing: every byte written stays in its buffer."""

    def __init__(self) -> None:
        self.buffered = 0
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.buffered += len(data)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None: ...


async def test_a_terminal_that_does_not_read_its_acks_is_cut_off(db: Database, gateways: GatewayFactory) -> None:
    service = await gateways(write_buffer_max_bytes=8192)
    session: BaseSession = service.gateways["jt808"].session_class(service.gateways["jt808"])
    transport = _StuckTransport()
    session.connection_made(transport)  # type: ignore[arg-type]
    ack = j.encode(j.message(j.PlatformResponse(1, 0x0002, 0), phone="013800000001", serial=1))
    for _ in range(8192 // len(ack) + 2):
        session.write(ack)
    assert session.closed and transport.aborted  # dropped with its unsent bytes, not kept until it reads
    assert transport.buffered <= 8192 + len(ack)
    session.connection_lost(None)


async def test_a_gateway_binds_its_terminals_again_when_redis_lost_them(
    db: Database, gateways: GatewayFactory, redis_bus: RedisBus, unique: str
) -> None:
    car = await provision_car(db, identifier="13800000021")
    service = await gateways(bus=redis_bus, gateway_id=f"gw-{unique}")
    service.heartbeat_every_s = 0.2
    client = await Jt808Client(car.identifier, service.ports["jt808"]).connect()
    await client.login()
    directory = shared_state(redis_bus).directory
    assert await directory.holder(car.terminal_id) == f"gw-{unique}"
    await redis_bus.client.hdel("telematics:sessions", str(car.terminal_id))
    await redis_bus.client.zrem("telematics:gateways", f"gw-{unique}")  # as after a Redis that lost its data
    assert await directory.holder(car.terminal_id) is None
    for _ in range(50):
        if await directory.holder(car.terminal_id) == f"gw-{unique}":
            break
        await asyncio.sleep(0.1)
    assert await directory.holder(car.terminal_id) == f"gw-{unique}"
    await client.close()


def test_memory_counters_forget_old_windows() -> None:
    from gongwu.core.ratelimit import FailureLimit, MemoryCounters

    async def main() -> None:
        limit = FailureLimit(MemoryCounters(max_keys=3), "t", limit=2, window_s=0.2)
        assert await limit.failed("a") is None
        assert await limit.failed("a") is not None and await limit.blocked("a") is not None
        for key in ("b", "c", "d", "e"):  # bounded: a flood of keys forgets the oldest
            await limit.failed(key)
        await asyncio.sleep(0.25)
        assert await limit.blocked("a") is None

    asyncio.run(main())
    assert MemoryBus  # the in-process bus gets in-process counters
