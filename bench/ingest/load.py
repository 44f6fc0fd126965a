"""The load generator of the ingest benchmark: N simulated JT/T 808 terminals over loopback, in one process.

Each terminal authenticates (0x0102) and then sends 0x0200 reports; the generator spreads the offered rate evenly
over the terminals, records when each report left and when its 0x8001 came back, and prints one JSON line per
phase. Frames are built with struct and the codec's framing (escape + check code) — not the general encoder —
so that the generator, which shares the machine with the gateway, costs as little CPU as possible.

    python bench/ingest/load.py --port 6808 --terminals 10000 --first 13900000000 --code benchcode \
        --phases '[{"name": "latency", "rate": 5000, "seconds": 30}]'
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import struct
import sys
import time
from datetime import UTC, datetime, timedelta

from gongwu.devices.jt808.framing import Jt808Framer, frame, unescape

_HEAD = struct.Struct(">HH6sH")
_LOC = struct.Struct(">IIIIHHH6s")
_MILEAGE = struct.Struct(">BBI")
_ACK = struct.Struct(">HHB")
BEIJING = timedelta(hours=8)
STATUS = 0b11 | (1 << 18) | (1 << 19)


def bcd(digits: str) -> bytes:
    return bytes.fromhex(digits)


class Clock:
    """BCD wall-clock time of the current second (cached: one string per second)."""

    def __init__(self) -> None:
        self.second = -1
        self.value = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self.second:
            self.second = second
            local = datetime.fromtimestamp(second, UTC) + BEIJING
            self.value = bcd(local.strftime("%y%m%d%H%M%S"))
        return self.value


class Terminal(asyncio.Protocol):
    __slots__ = ("authed", "framer", "gen", "index", "lat", "lon", "pending", "phone", "sent", "serial", "transport")

    def __init__(self, gen: Generator, index: int, phone: str) -> None:
        self.gen = gen
        self.index = index
        self.phone = bcd(phone.rjust(12, "0"))
        self.serial = 0
        self.transport: asyncio.Transport | None = None
        self.framer = Jt808Framer()
        self.authed = asyncio.get_running_loop().create_future()
        self.pending: dict[int, float] = {}
        self.sent = 0
        self.lat = 39.80 + (index % 400) / 2000
        self.lon = 116.20 + (index // 400) / 2000

    def packet(self, msg_id: int, body: bytes) -> bytes:
        self.serial = (self.serial + 1) & 0xFFFF
        return frame(_HEAD.pack(msg_id, len(body), self.phone, self.serial) + body)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self.packet(0x0102, self.gen.code))  # type: ignore[union-attr]

    def report(self) -> None:
        self.sent += 1
        lat = self.lat + (self.sent % 1000) * 1e-5
        body = _LOC.pack(0, STATUS, round(lat * 1e6), round(self.lon * 1e6), 50, 400, 90, self.gen.clock.now())
        body += _MILEAGE.pack(0x01, 4, 10_000 + self.sent)
        data = self.packet(0x0200, body)
        self.pending[self.serial] = time.perf_counter()
        assert self.transport is not None
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        n = len(data)
        if n % 20 == 0 and not self.framer.pending and data.count(b"\x7e") == n // 10 and b"\x7d" not in data:
            # the common case: whole 2013 0x8001 frames (20 bytes, nothing escaped) — read them in place
            for at in range(0, n, 20):
                if data[at + 1 : at + 3] == b"\x80\x01":
                    reply_serial, reply_id, result = _ACK.unpack_from(data, at + 13)
                    self.on_ack(reply_serial, reply_id, result, now)
            return
        for raw in self.framer.feed(data):
            content = unescape(raw)
            if len(content) < 18 or content[0:2] != b"\x80\x01":
                continue
            reply_serial, reply_id, result = _ACK.unpack_from(content, 12)
            self.on_ack(reply_serial, reply_id, result, now)

    def on_ack(self, reply_serial: int, reply_id: int, result: int, now: float) -> None:
        if reply_id == 0x0200:
            sent_at = self.pending.pop(reply_serial, None)
            if sent_at is not None and result == 0:
                self.gen.acked(now - sent_at, sent_at)
                if self.gen.closed_loop:
                    self.report()  # closed loop: the next report as soon as one is acked
        elif reply_id == 0x0102 and not self.authed.done():
            self.authed.set_result(result == 0)

    def connection_lost(self, exc: Exception | None) -> None:
        self.gen.lost += 1
        if not self.authed.done():
            self.authed.set_result(False)


class Generator:
    def __init__(self, code: str) -> None:
        self.code = code.encode()
        self.clock = Clock()
        self.terminals: list[Terminal] = []
        self.latencies: list[float] = []
        self.acks = 0
        self.lost = 0
        self.closed_loop = False
        self.last_ack = 0.0
        self.steady: list[float] = []
        self.steady_from = 0.0

    def acked(self, latency: float, sent_at: float) -> None:
        self.acks += 1
        self.latencies.append(latency)
        if sent_at >= self.steady_from:
            self.steady.append(latency)
        self.last_ack = time.perf_counter()

    async def connect(self, host: str, port: int, first: int, count: int, rate: float) -> dict[str, object]:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        failed = 0
        for i in range(count):
            target = start + i / rate
            if (wait := target - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            try:
                _, proto = await loop.create_connection(lambda i=i: Terminal(self, i, str(first + i)), host, port)
            except OSError:
                failed += 1
                continue
            self.terminals.append(proto)
        results = await asyncio.gather(*(t.authed for t in self.terminals))
        authed = sum(1 for r in results if r)
        return {"phase": "connect", "terminals": count, "authenticated": authed, "failed": failed,
                "seconds": round(time.perf_counter() - start, 2)}  # fmt: skip

    async def run(self, name: str, rate: float, seconds: float, window: int = 0) -> dict[str, object]:
        """Open loop at ``rate`` per second; or, with ``window``, closed loop: each terminal keeps ``window``
        reports in flight and sends the next when one is acked (the sustained rate is what the acks allow)."""
        self.latencies = []
        self.steady = []
        self.acks = 0
        live = [t for t in self.terminals if t.authed.done() and t.authed.result()]
        self.steady_from = time.perf_counter() + seconds / 2
        n = len(live)
        start = time.perf_counter()
        wall_start = time.time()
        sent_before = sum(t.sent for t in live)
        sent = 0
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        if window:
            self.closed_loop = True
            for _ in range(window):
                for t in live:
                    t.report()
            await asyncio.sleep(seconds)
            self.closed_loop = False
            sent = sum(t.sent for t in live) - sent_before
        else:
            while (elapsed := time.perf_counter() - start) < seconds:
                due = min(int(elapsed * rate), int(seconds * rate))
                while sent < due:
                    live[sent % n].report()
                    sent += 1
                await asyncio.sleep(0.005)
        acks_in_window = self.acks
        drain_deadline = time.perf_counter() + 20
        while self.acks < sent and time.perf_counter() < drain_deadline:  # noqa: ASYNC110  (a counter callbacks bump)
            await asyncio.sleep(0.05)
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        lat = sorted(self.latencies)
        steady = sorted(self.steady)

        def q(p: float, values: list[float] = lat) -> float | None:
            return round(values[min(len(values) - 1, math.ceil(p * len(values)) - 1)] * 1000, 1) if values else None

        return {
            "phase": name,
            "offered_per_s": rate,
            "seconds": seconds,
            "connections": n,
            "sent": sent,
            "acked": self.acks,
            "acked_in_window": acks_in_window,
            "acked_per_s": round(acks_in_window / seconds),
            "window": window,
            "p50_ms": q(0.50),
            "p99_ms": q(0.99),
            "max_ms": q(1.0),
            "p50_second_half_ms": q(0.50, steady),
            "p99_second_half_ms": q(0.99, steady),
            "lost_connections": self.lost,
            "generator_cpu_s": round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1),
            "start": wall_start,
            "end": wall_start + seconds,
        }


async def main(args: argparse.Namespace) -> None:
    gen = Generator(args.code)
    print(
        json.dumps(await gen.connect(args.host, args.port, args.first, args.terminals, args.connect_rate)), flush=True
    )
    for phase in json.loads(args.phases):
        result = await gen.run(
            phase["name"], float(phase.get("rate", 0)), float(phase["seconds"]), int(phase.get("window", 0))
        )
        print(json.dumps(result), flush=True)
    for t in gen.terminals:
        if t.transport is not None:
            t.transport.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--terminals", type=int, default=10_000)
    parser.add_argument("--first", type=int, default=13_900_000_000)
    parser.add_argument("--code", default="benchcode")
    parser.add_argument("--connect-rate", type=float, default=2000.0)
    parser.add_argument("--phases", required=True)
    try:
        import uvloop

        uvloop.run(main(parser.parse_args()))
    except ImportError:
        asyncio.run(main(parser.parse_args()))
    sys.exit(0)
