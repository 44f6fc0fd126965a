"""Soak test: a simulated fleet over real TCP through two `gongwu gateway` processes and a `gongwu consumers`
process on PostgreSQL + Redis for a bounded time, with faults injected on a schedule; at the end every report a
terminal was told is stored (0x8001 result 0) is looked up in the database: stored exactly once, nothing lost.

    .venv/bin/python scripts/testenv.py -- .venv/bin/python reliability/soak.py            # ~10 min + ~2 min
    .venv/bin/python scripts/testenv.py -- .venv/bin/python reliability/soak.py --minutes 2 --terminals 500

Defaults: 2,000 terminals, 400 positions/s together (each every 5 s), 10 minutes. On the 2-core machine, shared
with PostgreSQL, Redis, the simulated fleet and other jobs, that is what one consumers process keeps up with (it
applies every position four times: live state, trips, geofences, alarms); the gateways alone take far more (see
bench/ingest).

What one run does:

* a fresh database of its own (``gongwu_soak`` on the server of ``GONGWU_TEST_DATABASE_URL``), migrated, with
  ``--terminals`` cars and JT/T 808 terminals provisioned in bulk; a Redis database of its own (``--redis-db`` on
  the server of ``GONGWU_TEST_REDIS_URL``; only its ``telematics*`` keys are touched);
* two gateway processes sharing one port (SO_REUSEPORT: the kernel spreads new connections over the live ones,
  as a TCP balancer would) and one consumers process, each serving ``/metrics`` on a port of its own;
* the fleet (``gongwu.devices.sim.Jt808Terminal``, one asyncio task each, in this process): each terminal
  authenticates and reports every ``terminals / rate`` seconds, re-sends what stays unacked, records what it
  drives through while offline and uploads it as blind-area batches (0x0704) when back, and remembers the device
  time of every report acked with result 0 (device times are unique per terminal: one second apart);
* the faults (at fixed fractions of the run): SIGKILL of one gateway (its terminals reconnect to the other and
  re-send; the gateway is restarted after ``--restart-after`` seconds), SIGKILL of the consumers process (its
  unacked events wait in the groups; restarted likewise), a burst of garbage connections, a hundred idle and
  half-open connections (never authenticated), SIGKILL of the other gateway;
* a sample every ``--sample-s`` seconds: terminals online, acks/s, each process's RSS and CPU (from /proc),
  PostgreSQL's and Redis' CPU, rows in ``vehicle_position``, the consumer groups' backlog;
* at the end: no new reports; the terminals wait for their last acks, the consumers for an empty backlog; then
  the check against the database: every acked (car, device time) present, no (car, device time) stored twice.

Writes ``reliability/results/soak.json`` and ``soak.svg`` (acks/s, terminals online and RSS over time) and prints
a summary. Exits 1 if anything acked is missing or stored twice, or the pipeline did not drain.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from gongwu.app.migrate import upgrade
from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.devices import jt808 as j
from gongwu.devices.sim import FleetSimulator, Jt808Terminal, ring_path
from gongwu.telematics.maintenance import ensure_partitions
from gongwu.telematics.models import Terminal

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
HOST = "127.0.0.1"
CODE = "soakcode"
FIRST_PHONE = 13_700_000_000
TICK = os.sysconf("SC_CLK_TCK")
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
GROUPS = ("telematics.live", "telematics.trips", "telematics.geofences", "telematics.alarms")


def monotonic() -> float:
    return time.monotonic()


# -- where -----------------------------------------------------------------------------------------------------


def database_url(database: str) -> str:
    base = os.environ.get("GONGWU_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gongwu_test")
    return make_url(base).set(database=database).render_as_string(hide_password=False)


def redis_url(db: int) -> str:
    base = os.environ.get("GONGWU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    root, _, last = base.rpartition("/")
    return f"{root}/{db}" if last.isdigit() and root.count("/") == 2 else f"{base.rstrip('/')}/{db}"


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def recreate_database(url: str, drop_only: bool = False) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(dsn(parsed.set(database="postgres").render_as_string(hide_password=False)))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if not drop_only:
            await conn.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await conn.close()


async def clean_redis(url: str) -> None:
    client = aioredis.Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match="telematics*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def plate(i: int) -> str:
    chars = []
    for _ in range(5):
        i, r = divmod(i, len(PLATE_CHARS))
        chars.append(PLATE_CHARS[r])
    return "京S" + "".join(chars)


async def provision(url: str, count: int) -> list[int]:
    """``count`` cars of one unit, each with a JT/T 808 terminal (auth code ``CODE``); their ids in order."""
    db = Database(url)
    try:
        await ensure_partitions(db, datetime.now(UTC).date(), 3)
        async with db.engine.begin() as conn:
            now = datetime.now(UTC)
            unit = insert(OrgUnit).values(code="SOAK", name="耐久测试单位", kind="bureau", path="", created_at=now)
            unit_id = (await conn.execute(unit)).inserted_primary_key[0]  # type: ignore[index]
            await conn.execute(text("UPDATE org_unit SET path = '/' || id || '/' WHERE id = :u"), {"u": unit_id})
            cars = [
                {"plate": plate(i), "category": "other", "dedicated": False, "energy_type": "fuel",
                 "make_model": "soak", "seats": 5, "unit_id": unit_id, "odometer_km": 0.0, "status": "available",
                 "created_at": now}
                for i in range(count)
            ]  # fmt: skip
            await conn.execute(insert(Vehicle), cars)
            ids = [int(r[0]) for r in await conn.execute(text("SELECT id FROM vehicle ORDER BY id"))]
            terminals = [
                {"protocol": "jt808", "identifier": str(FIRST_PHONE + i), "vehicle_id": vid, "auth_code": CODE,
                 "registered_at": now, "maker": "", "model": "", "imei": "", "software_version": "",
                 "disabled": False, "auto_provisioned": False, "created_at": now}
                for i, vid in enumerate(ids)
            ]  # fmt: skip
            await conn.execute(insert(Terminal), terminals)
        return ids
    finally:
        await db.dispose()


# -- /proc -----------------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError):
        return 0.0


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def pids_named(name: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def http_get(port: int, path: str, wait_s: float = 2.0) -> tuple[int, str]:
    """A plain HTTP/1.0 GET on loopback: (status, body); (0, "") when nothing answers."""
    try:
        async with asyncio.timeout(wait_s):
            reader, writer = await asyncio.open_connection(HOST, port)
            writer.write(f"GET {path} HTTP/1.0\r\nHost: {HOST}\r\n\r\n".encode())
            data = await reader.read()
            writer.close()
    except (OSError, TimeoutError):
        return 0, ""
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, ""
    return status, body.decode(errors="replace")


def metric(body: str, name: str) -> float | None:
    """The sum of a Prometheus metric's samples whose name and labels start with ``name``."""
    total, found = 0.0, False
    for line in body.splitlines():
        if line.startswith(name):
            try:
                total += float(line.rsplit(" ", 1)[1])
                found = True
            except (IndexError, ValueError):
                continue
    return total if found else None


# -- the platform's processes ----------------------------------------------------------------------------------


@dataclass
class Life:
    """One run of a process: from start to its end (SIGKILL or the final SIGTERM)."""

    pid: int
    started: float
    ready_after_s: float | None = None
    ended: float | None = None
    how: str = ""
    rss: list[float] = field(default_factory=list)
    cpu_s: float = 0.0

    def summary(self, t0: float) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "from_s": round(self.started - t0, 1),
            "to_s": round(self.ended - t0, 1) if self.ended is not None else None,
            "ended_by": self.how,
            "ready_after_s": self.ready_after_s,
            "rss_mb_start": round(self.rss[0], 1) if self.rss else None,
            "rss_mb_peak": round(max(self.rss), 1) if self.rss else None,
            "rss_mb_end": round(self.rss[-1], 1) if self.rss else None,
            "cpu_s": round(self.cpu_s, 1),
        }


class Service:
    """A `gongwu gateway` or `gongwu consumers` process that can be killed and started again."""

    def __init__(self, name: str, command: str, env: dict[str, str], log: Path) -> None:
        self.name, self.command, self.log = name, command, log
        self.metrics_port = free_port()
        self.env = env | {"GONGWU_METRICS_PORT": str(self.metrics_port)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.lives: list[Life] = []

    @property
    def life(self) -> Life | None:
        return self.lives[-1] if self.lives and self.lives[-1].ended is None else None

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log, "ab") as out:
            out.write(f"\n=== start {datetime.now(UTC).isoformat()} ===\n".encode())
            out.flush()
            return subprocess.Popen(
                [sys.executable, "-m", "gongwu.app", self.command], env=self.env, stdout=out, stderr=subprocess.STDOUT
            )

    async def start(self) -> None:
        self.proc = self._spawn()
        life = Life(self.proc.pid, monotonic())
        self.lives.append(life)
        deadline = monotonic() + 90
        while monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} died at start:\n{self.log.read_text()[-3000:]}")
            status, _ = await http_get(self.metrics_port, "/health", 1.0)
            if status == 200:
                life.ready_after_s = round(monotonic() - life.started, 2)
                life.rss.append(rss_mb(life.pid))
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.name} never answered /health:\n{self.log.read_text()[-3000:]}")

    def _end(self, how: str) -> None:
        life = self.life
        if life is not None:
            life.cpu_s = cpu_seconds(life.pid)
            rss = rss_mb(life.pid)
            if rss:
                life.rss.append(rss)
            life.ended, life.how = monotonic(), how

    async def kill(self) -> None:
        assert self.proc is not None
        self._end("SIGKILL")
        self.proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.proc.wait, 10)

    async def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self._end("SIGTERM")
        self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.proc.wait, 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def sample(self) -> tuple[float, float]:
        """(RSS MB, CPU seconds so far) of the running process; (0, 0) when it is down."""
        life = self.life
        if life is None:
            return 0.0, 0.0
        rss = rss_mb(life.pid)
        if rss:
            life.rss.append(rss)
        return rss, cpu_seconds(life.pid)

    async def metrics(self) -> str:
        if self.life is None:
            return ""
        status, body = await http_get(self.metrics_port, "/metrics")
        return body if status == 200 else ""


# -- the fleet -------------------------------------------------------------------------------------------------


class Fleet:
    """Tallies of every terminal: acks (result 0) with their latency, refusals, terminals online, when each
    went down and came back."""

    def __init__(self) -> None:
        self.online = 0
        self.acked = 0
        self.refused = 0
        self.latencies_ms = array("f")
        self.per_second: dict[int, int] = {}
        self.t0 = monotonic()
        self.downs: list[tuple[float, int]] = []
        self.errors: dict[str, int] = {}
        self.ups: list[tuple[float, int]] = []

    def ack(self, count: int) -> None:
        self.acked += count
        second = int(monotonic() - self.t0)
        self.per_second[second] = self.per_second.get(second, 0) + count

    def reconnects(self, since: float, until: float) -> list[float]:
        """For each terminal that went down in [since, until]: seconds from ``since`` until it was back."""
        went_down = {i for t, i in self.downs if since <= t <= until}
        back: dict[int, float] = {}
        for t, i in self.ups:
            if i in went_down and t >= since and i not in back:
                back[i] = t - since
        return [back.get(i, math.inf) for i in sorted(went_down)]


class SoakTerminal(Jt808Terminal):
    """The simulator's terminal, remembering the device time of each report acked with result 0."""

    def __init__(self, fleet: Fleet, index: int, first_time: datetime, **kwargs: Any) -> None:
        self._next_time = first_time
        super().__init__(now=self._device_time, **kwargs)
        self.fleet, self.index = fleet, index
        self.acked_times: list[int] = []
        self.is_online = False

    def _device_time(self) -> datetime:
        # one second apart: (car, device time) names each report, whatever the wall clock did
        when = self._next_time
        self._next_time = when + timedelta(seconds=1)
        return when

    def _handle(self, msg: j.Jt808Message) -> None:
        body = msg.body
        if isinstance(body, j.PlatformResponse) and body.reply_msg_id in (0x0200, 0x0704):
            locations: tuple[j.Location, ...] = ()
            if body.reply_msg_id == 0x0200 and (entry := self._pending.get(body.reply_serial)) is not None:
                locations = (entry[0],)
                if body.result == 0:
                    latency = asyncio.get_running_loop().time() - entry[1]
                    self.fleet.latencies_ms.append(latency * 1000)
            elif body.reply_msg_id == 0x0704:
                locations = self._batch_pending.get(body.reply_serial, ())
            if body.result == 0:
                self.acked_times.extend(int(loc.time.timestamp()) for loc in locations if loc.time is not None)
                self.fleet.ack(len(locations))
            else:
                self.fleet.refused += len(locations)
        super()._handle(msg)

    async def _session(self) -> None:
        try:
            await super()._session()
        except Exception as exc:  # the simulator counts it and reconnects; say why, in the results
            kind = f"{type(exc).__name__}: {exc}"[:80]
            self.fleet.errors[kind] = self.fleet.errors.get(kind, 0) + 1
            raise

    async def _upload_backlog(self) -> None:
        # called right after a successful authentication: the terminal is online again
        self.is_online = True
        self.fleet.online += 1
        self.fleet.ups.append((monotonic(), self.index))
        await super()._upload_backlog()

    def _close(self) -> None:
        if self.is_online:
            self.is_online = False
            self.fleet.online -= 1
            self.fleet.downs.append((monotonic(), self.index))
        super()._close()


# -- faults ----------------------------------------------------------------------------------------------------


async def settle(fleet: Fleet, terminals: int, within_s: float) -> float | None:
    """Seconds until every terminal is online (None: not within ``within_s``)."""
    start = monotonic()
    while monotonic() - start < within_s:
        if fleet.online >= terminals:
            return round(monotonic() - start, 2)
        await asyncio.sleep(0.1)
    return None


async def backlogs(client: aioredis.Redis) -> dict[str, int]:
    """Per consumer group: events of ``telematics.positions`` not yet read or not yet acked."""
    try:
        infos = await client.xinfo_groups("telematics.positions")
    except aioredis.ResponseError:
        return {}
    return {
        i["name"].decode().removeprefix("telematics."): int(i.get("lag") or 0) + int(i.get("pending") or 0)
        for i in infos
        if i["name"].decode() in GROUPS
    }


async def backlog(client: aioredis.Redis) -> int:
    """Events of ``telematics.positions`` not yet read or not yet acked, summed over the consumer groups."""
    return sum((await backlogs(client)).values())


class Faults:
    def __init__(self, run: Run) -> None:
        self.run = run
        self.done: list[dict[str, Any]] = []

    def _record(self, kind: str, at: float, **details: Any) -> dict[str, Any]:
        entry = {"fault": kind, "at_s": round(at - self.run.t0, 1)} | details
        self.done.append(entry)
        print(f"  fault {json.dumps(entry, ensure_ascii=False)}", flush=True)
        return entry

    async def kill_gateway(self, index: int) -> None:
        run, gateway = self.run, self.run.gateways[index]
        connections = metric(await gateway.metrics(), "gongwu_gateway_connections{")
        online_before = run.fleet.online
        at = monotonic()
        await gateway.kill()
        await asyncio.sleep(run.args.restart_after)
        restart = monotonic()
        await gateway.start()
        await settle(run.fleet, run.args.terminals, 120)
        delays = sorted(run.fleet.reconnects(at, at + 5))
        finite = [d for d in delays if d != math.inf]
        self._record(
            f"SIGKILL {gateway.name}",
            at,
            connections_on_it=int(connections) if connections is not None else None,
            online_before=online_before,
            terminals_dropped=len(delays),
            reconnected=len(finite),
            reconnect_p50_s=round(finite[len(finite) // 2], 2) if finite else None,
            reconnect_max_s=round(finite[-1], 2) if finite else None,
            restarted_after_s=round(restart - at, 1),
            ready_after_restart_s=gateway.lives[-1].ready_after_s,
        )

    async def kill_consumers(self) -> None:
        run, consumers = self.run, self.run.consumers
        before = await backlog(run.redis)
        at = monotonic()
        await consumers.kill()
        peak = before
        restart_at = at + run.args.restart_after
        recovered: float | None = None
        restarted = False
        while monotonic() - at < 180:
            if not restarted and monotonic() >= restart_at:
                await consumers.start()
                restarted = True
            current = await backlog(run.redis)
            peak = max(peak, current)
            # back to normal: the groups hold no more than a couple of seconds of positions
            if restarted and current <= max(2 * before, 2 * run.rate):
                recovered = monotonic() - at
                break
            await asyncio.sleep(0.5)
        self._record(
            f"SIGKILL {consumers.name}",
            at,
            backlog_before=before,
            backlog_peak=peak,
            restarted_after_s=run.args.restart_after,
            ready_after_restart_s=consumers.lives[-1].ready_after_s,
            caught_up_after_s=round(recovered, 1) if recovered is not None else None,
        )

    async def garbage(self, count: int = 50, size: int = 65_536) -> None:
        """``count`` connections writing random bytes: each must be closed, no terminal may notice."""
        at = monotonic()
        acked_before = self.run.fleet.acked
        rng = random.Random(808)

        async def one() -> float | None:
            try:
                reader, writer = await asyncio.open_connection(HOST, self.run.port)
            except OSError:
                return None
            start = monotonic()
            try:
                async with asyncio.timeout(30):
                    for _ in range(size // 4096):
                        writer.write(rng.randbytes(4096))
                        await writer.drain()
                    while await reader.read(4096):
                        pass
                return monotonic() - start
            except (OSError, TimeoutError):
                return monotonic() - start if writer.is_closing() or reader.at_eof() else None
            finally:
                writer.close()

        closed = [c for c in await asyncio.gather(*(one() for _ in range(count))) if c is not None]
        seconds = monotonic() - at
        self._record(
            "garbage connections",
            at,
            connections=count,
            bytes_each=size,
            closed_by_gateway=len(closed),
            closed_within_s=round(max(closed), 2) if closed else None,
            fleet_acks_per_s_meanwhile=round((self.run.fleet.acked - acked_before) / seconds) if seconds else None,
        )

    async def idle(self, count: int = 100) -> None:
        """``count`` connections that never authenticate: half silent, half stuck in the middle of a frame."""
        at = monotonic()

        async def one(i: int) -> float | None:
            try:
                reader, writer = await asyncio.open_connection(HOST, self.run.port)
            except OSError:
                return None
            start = monotonic()
            try:
                if i % 2:
                    writer.write(b"\x7e\x01\x02\x00\x08\x01\x37")  # half a 0x0102 frame, then silence
                    await writer.drain()
                async with asyncio.timeout(self.run.auth_timeout_s + 60):
                    while await reader.read(4096):
                        pass
                return monotonic() - start
            except (OSError, TimeoutError):
                return monotonic() - start if reader.at_eof() else None
            finally:
                writer.close()

        closed = sorted(c for c in await asyncio.gather(*(one(i) for i in range(count))) if c is not None)
        self._record(
            "idle and half-open connections",
            at,
            connections=count,
            closed_by_gateway=len(closed),
            closed_after_s_min=round(closed[0], 1) if closed else None,
            closed_after_s_max=round(closed[-1], 1) if closed else None,
            auth_timeout_s=self.run.auth_timeout_s,
        )


# -- the run ---------------------------------------------------------------------------------------------------


class Run:
    def __init__(self, args: argparse.Namespace, db_url: str, vehicle_ids: list[int], scratch: Path) -> None:
        self.args = args
        self.db_url = db_url
        self.vehicle_ids = vehicle_ids
        self.scratch = scratch
        self.rate = args.rate
        self.port = free_port()
        self.auth_timeout_s = 60.0
        self.fleet = Fleet()
        self.t0 = monotonic()
        self.samples: list[dict[str, Any]] = []
        self.load_from: float = 0.0
        self.load_to: float = 0.0
        env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWU_")} | {
            "GONGWU_DATABASE_URL": db_url,
            "GONGWU_REDIS_URL": args.redis_url,
            "GONGWU_JT808_PORT": str(self.port),
            "GONGWU_GB32960_ENABLED": "0",
            "GONGWU_NMEA_ENABLED": "0",
            "GONGWU_GATEWAY_REUSE_PORT": "1",
            "GONGWU_AUTH_TIMEOUT_S": str(self.auth_timeout_s),
            "GONGWU_DATA_DIR": str(scratch / "var"),
        }
        self.gateways = [
            Service(
                f"gateway {i + 1}", "gateway", env | {"GONGWU_GATEWAY_ID": f"soak-{i + 1}"}, scratch / f"gw{i + 1}.log"
            )
            for i in range(2)
        ]
        self.consumers = Service("consumers", "consumers", env, scratch / "consumers.log")
        self.redis = aioredis.Redis.from_url(args.redis_url)
        self.terminals: list[SoakTerminal] = []

    @property
    def services(self) -> list[Service]:
        return [*self.gateways, self.consumers]

    def make_fleet(self) -> list[SoakTerminal]:
        n = self.args.terminals
        interval = n / self.rate
        expected = self.args.minutes * 60 / interval
        # device times one second apart, all in the past of the wall clock (far enough for the whole run)
        first = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=math.ceil(expected * 1.3) + 120)
        rng = random.Random(32)
        terminals = []
        for i in range(n):
            t = SoakTerminal(
                self.fleet,
                i,
                first,
                phone=str(FIRST_PHONE + i),
                host=HOST,
                port=self.port,
                path=ring_path(39.80 + (i % 50) / 100, 116.20 + (i // 50) / 200, 800),
                interval_s=interval,
                ack_timeout_s=10.0,
                heartbeat_s=60.0,
                reconnect_s=1.0 + 2 * rng.random(),  # terminals back off 1–3 s before they reconnect
                plate=plate(i),
                seed=i,
            )
            t.auth_code = CODE  # provisioned: authenticate straight away
            terminals.append(t)
        return terminals

    async def sampler(self) -> None:
        conn = await asyncpg.connect(dsn(self.db_url))
        previous: dict[str, float] = {}
        last_t, last_acked = monotonic(), 0
        pg_redis = {"postgres": 0.0, "redis": 0.0}
        try:
            while True:
                now = monotonic()
                span = max(1e-3, now - last_t)
                sample: dict[str, Any] = {
                    "t": round(now - self.t0, 1),
                    "online": self.fleet.online,
                    "acked": self.fleet.acked,
                    "acks_per_s": round((self.fleet.acked - last_acked) / span),
                    "load1": round(os.getloadavg()[0], 2),
                }
                for service in self.services:
                    key = service.name.replace(" ", "")
                    rss, cpu = service.sample()
                    sample[f"{key}_rss_mb"] = round(rss, 1)
                    pid = service.life.pid if service.life else 0
                    prev = previous.get(f"{key}:{pid}")
                    sample[f"{key}_cores"] = round((cpu - prev) / span, 2) if prev is not None and pid else None
                    previous[f"{key}:{pid}"] = cpu
                    if service.command == "gateway":
                        body = await service.metrics()
                        connections = metric(body, "gongwu_gateway_connections{")
                        sample[f"{key}_connections"] = int(connections) if connections is not None else 0
                for name, comm in (("postgres", "postgres"), ("redis", "redis-server")):
                    total = sum(cpu_seconds(p) for p in pids_named(comm))
                    sample[f"{name}_cores"] = round((total - pg_redis[name]) / span, 2) if pg_redis[name] else None
                    pg_redis[name] = total
                sample["soak_cores"] = round((time.process_time() - previous.get("self", 0.0)) / span, 2)
                previous["self"] = time.process_time()
                sample["stored"] = int(await conn.fetchval("SELECT count(*) FROM vehicle_position"))
                groups = await backlogs(self.redis)
                sample["backlog"] = sum(groups.values())
                sample["backlog_by_group"] = groups
                self.samples.append(sample)
                last_t, last_acked = now, self.fleet.acked
                print(
                    f"  t={sample['t']:6.0f}s online {sample['online']:5d}  acks/s {sample['acks_per_s']:6d}  "
                    f"stored {sample['stored']:9,d}  backlog {sample['backlog']:7,d}  gateways "
                    + " / ".join(
                        f"{sample.get(f'gateway{i}_connections', 0)} conn {sample[f'gateway{i}_rss_mb']:.0f} MB"
                        for i in (1, 2)
                    )
                    + f"  consumers {sample['consumers_rss_mb']:.0f} MB  load {sample['load1']}",
                    flush=True,
                )
                await asyncio.sleep(max(0.0, self.args.sample_s - (monotonic() - now)))
        finally:
            await conn.close()

    async def main(self) -> dict[str, Any]:
        args = self.args
        for service in self.services:
            await service.start()
        print(f"gateways on :{self.port} (SO_REUSEPORT), consumers up; {args.terminals:,} terminals", flush=True)
        self.t0 = self.fleet.t0 = monotonic()
        sampler = asyncio.create_task(self.sampler())
        self.terminals = self.make_fleet()
        simulator = FleetSimulator(self.terminals, connect_rate=args.connect_rate)
        fleet_task = asyncio.create_task(simulator.run())
        connected = await settle(self.fleet, args.terminals, 300)
        print(f"all {args.terminals:,} terminals online after {connected} s", flush=True)
        self.load_from = monotonic()
        duration = args.minutes * 60
        faults = Faults(self)
        schedule: list[tuple[float, Callable[[], Coroutine[Any, Any, None]]]] = [
            (0.20, lambda: faults.kill_gateway(1)),
            (0.40, faults.kill_consumers),
            (0.55, faults.garbage),
            (0.60, faults.idle),
            (0.75, lambda: faults.kill_gateway(0)),
        ]
        running: list[asyncio.Task[None]] = []
        for fraction, fault in schedule if not args.no_faults else []:
            await asyncio.sleep(max(0.0, self.t0 + fraction * duration - monotonic()))
            running.append(asyncio.create_task(fault()))
        await asyncio.sleep(max(0.0, self.t0 + duration - monotonic()))
        self.load_to = monotonic()
        acked_at_end = self.fleet.acked
        print("load ends: no new reports; waiting for the last acks and the consumers", flush=True)
        for terminal in self.terminals:
            terminal.reports_target = terminal.stats.reports
        drained = True
        try:
            await asyncio.wait_for(asyncio.shield(fleet_task), 180)
        except TimeoutError:
            drained = False
            simulator.stop()
            await fleet_task
        fleet_drained_s = round(monotonic() - self.load_to, 1)
        await asyncio.gather(*running)
        deadline = monotonic() + 300
        while (left := await backlog(self.redis)) and monotonic() < deadline:  # noqa: ASYNC110  (polls Redis)
            await asyncio.sleep(0.5)
        consumers_drained_s = round(monotonic() - self.load_to, 1)
        await asyncio.sleep(args.sample_s)  # one more sample with everything at rest
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        for service in self.services:
            await service.stop()
        stats = simulator.stats()
        latencies = sorted(self.fleet.latencies_ms)
        load_s = self.load_to - self.load_from
        return {
            "faults": faults.done,
            "fleet": {
                "terminals": args.terminals,
                "online_after_s": connected,
                "reports": stats.reports,
                "acked_messages": self.fleet.acked,
                "refused": self.fleet.refused,
                "resent_after_ack_timeout": stats.resent,
                "blind_area_uploaded": sum(t.stats.batched for t in self.terminals),
                "connects": stats.connects,
                "errors": stats.errors,
                "errors_by_kind": self.fleet.errors,
                "drained": drained,
                "drained_after_s": fleet_drained_s,
            },
            "load": {
                "seconds": round(load_s, 1),
                "offered_per_s": self.rate,
                "acked_per_s": round((acked_at_end - self._acked_at(self.load_from)) / load_s) if load_s else None,
                "ack_p50_ms": quantile(latencies, 0.50),
                "ack_p99_ms": quantile(latencies, 0.99),
                "ack_max_ms": quantile(latencies, 1.0),
            },
            "consumers": {"backlog_left": left, "drained_after_s": consumers_drained_s},
            "processes": {s.name: [life.summary(self.t0) for life in s.lives] for s in self.services},
        }

    def _acked_at(self, when: float) -> int:
        second = int(when - self.fleet.t0)
        return sum(n for s, n in self.fleet.per_second.items() if s < second)

    def acked_keys(self) -> Iterator[tuple[int, datetime]]:
        for terminal, vehicle_id in zip(self.terminals, self.vehicle_ids, strict=True):
            for epoch in sorted(set(terminal.acked_times)):
                yield vehicle_id, datetime.fromtimestamp(epoch, UTC)

    async def verify(self) -> dict[str, Any]:
        """Every acked (car, device time) stored, none twice; the derived state at each car's last point."""
        conn = await asyncpg.connect(dsn(self.db_url))
        try:
            await conn.execute("CREATE TEMP TABLE acked (vehicle_id integer, device_time timestamptz)")
            await conn.copy_records_to_table("acked", records=self.acked_keys())
            await conn.execute("ANALYZE acked")
            acked = int(await conn.fetchval("SELECT count(*) FROM acked"))
            stored = int(await conn.fetchval("SELECT count(*) FROM vehicle_position"))
            distinct = int(
                await conn.fetchval(
                    "SELECT count(*) FROM (SELECT DISTINCT vehicle_id, device_time FROM vehicle_position) d"
                )
            )
            lost = int(
                await conn.fetchval(
                    "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM vehicle_position p "
                    "WHERE p.vehicle_id = a.vehicle_id AND p.device_time = a.device_time)"
                )
            )
            unacked = int(
                await conn.fetchval(
                    "SELECT count(*) FROM (SELECT DISTINCT vehicle_id, device_time FROM vehicle_position) p "
                    "WHERE NOT EXISTS (SELECT 1 FROM acked a WHERE a.vehicle_id = p.vehicle_id "
                    "AND a.device_time = p.device_time)"
                )
            )
            behind = int(
                await conn.fetchval(
                    "SELECT count(*) FROM (SELECT vehicle_id, max(device_time) AS last FROM vehicle_position "
                    "GROUP BY vehicle_id) l LEFT JOIN track_state s ON s.vehicle_id = l.vehicle_id "
                    "AND s.consumer = 'trips' WHERE s.watermark IS DISTINCT FROM l.last"
                )
            )
        finally:
            await conn.close()
        live = int(await self.redis.hlen("telematics:live"))
        return {
            "acked": acked,
            "stored": stored,
            "duplicates": stored - distinct,
            "lost": lost,
            "stored_never_acked": unacked,
            "cars_trips_behind_last_point": behind,
            "cars_on_live_map": live,
        }


def quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))], 1)


# -- the chart -------------------------------------------------------------------------------------------------


def svg_chart(result: dict[str, Any]) -> str:
    """Acks per second and terminals online (top), resident memory of each process (bottom), faults marked."""
    per_second = result["timeline"]["acks_per_second"]
    samples = result["samples"]
    end = max([len(per_second), *(s["t"] for s in samples)]) or 1
    width, left, right = 960, 60, 20
    top_h, bottom_h, gap, head = 220, 160, 50, 40

    def x(t: float) -> float:
        return left + (width - left - right) * t / end

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{head + top_h + gap + bottom_h + 40}" '
        'font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="18" font-size="14">Soak: {result["config"]["terminals"]:,} JT/T 808 terminals, '
        f"{result['config']['rate']:,.0f} positions/s offered, {result['config']['minutes']} min — acked "
        f"{result['verification']['acked']:,}, lost {result['verification']['lost']}, duplicates "
        f"{result['verification']['duplicates']}</text>",
    ]

    def panel(y0: float, h: float, series: list[tuple[str, str, list[tuple[float, float]]]], unit: str) -> None:
        top = max([v for _, _, pts in series for _, v in pts] + [1.0]) * 1.1
        step = 10 ** math.floor(math.log10(top / 2))
        ticks = [k * step for k in range(int(top / step) + 1)]
        if len(ticks) > 8:
            ticks = ticks[:: math.ceil(len(ticks) / 6)]

        def y(v: float) -> float:
            return y0 + h - h * v / top

        out.append(f'<rect x="{left}" y="{y0}" width="{width - left - right}" height="{h}" fill="none" stroke="#999"/>')
        for v in ticks:
            out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>')
            out.append(f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        out.append(f'<text x="{left}" y="{y0 - 6}" fill="#333">{unit}</text>')
        for i, (name, colour, pts) in enumerate(series):
            if pts:
                path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts)
                out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.2" points="{path}"/>')
            lx = width - right - 150
            out.append(f'<line x1="{lx}" x2="{lx + 16}" y1="{y0 + 12 + 14 * i}" y2="{y0 + 12 + 14 * i}" '
                       f'stroke="{colour}" stroke-width="2"/>')  # fmt: skip
            out.append(f'<text x="{lx + 20}" y="{y0 + 16 + 14 * i}">{name}</text>')

    acks = [(float(t), float(n)) for t, n in enumerate(per_second)]
    online = [(s["t"], float(s["online"])) for s in samples]
    panel(head, top_h, [("acks per second", "#1f77b4", acks), ("terminals online", "#2ca02c", online)], "per s / count")
    colours = {"gateway1": "#d62728", "gateway2": "#ff7f0e", "consumers": "#9467bd"}
    rss = [(name, colour, [(s["t"], s[f"{name}_rss_mb"]) for s in samples]) for name, colour in colours.items()]
    panel(head + top_h + gap, bottom_h, [(f"{n} RSS", c, p) for n, c, p in rss], "resident memory, MB")
    y_bottom = head + top_h + gap + bottom_h
    for i, fault in enumerate(result["faults"]):
        fx = x(fault["at_s"])
        out.append(f'<line x1="{fx:.1f}" x2="{fx:.1f}" y1="{head}" y2="{y_bottom}" stroke="#555" '
                   'stroke-dasharray="4,3"/>')  # fmt: skip
        label = fault["fault"].replace("SIGKILL ", "kill ")
        out.append(f'<text x="{fx + 3:.1f}" y="{head + 12 + 12 * (i % 3)}" fill="#555">{label}</text>')
    for k in range(0, int(end) + 1, max(60, int(end / 10) // 60 * 60)):
        out.append(f'<text x="{x(k):.1f}" y="{y_bottom + 16}" text-anchor="middle">{k // 60} min</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# -- entry -----------------------------------------------------------------------------------------------------


def summary_text(result: dict[str, Any]) -> str:
    v, load, fleet = result["verification"], result["load"], result["fleet"]
    lines = [
        f"soak: {fleet['terminals']:,} terminals, {load['seconds']:.0f} s under load, offered "
        f"{load['offered_per_s']:,.0f}/s, acked {load['acked_per_s']:,}/s sustained; ack p50 {load['ack_p50_ms']} ms, "
        f"p99 {load['ack_p99_ms']} ms",
        f"  acked {v['acked']:,}  stored {v['stored']:,}  duplicates {v['duplicates']}  lost {v['lost']}  "
        f"stored but never acked {v['stored_never_acked']}  refused {fleet['refused']}",
        f"  re-sent after ack time-out {fleet['resent_after_ack_timeout']:,}, uploaded as blind-area batches "
        f"{fleet['blind_area_uploaded']:,}, connections {fleet['connects']:,}",
        f"  consumers: trips behind the last point on {v['cars_trips_behind_last_point']} cars, "
        f"{v['cars_on_live_map']:,} cars on the live map",
    ]
    for fault in result["faults"]:
        lines.append("  " + json.dumps(fault, ensure_ascii=False))
    for name, lives in result["processes"].items():
        for life in lives:
            lines.append(
                f"  {name} pid {life['pid']} {life['from_s']}–{life['to_s']} s ({life['ended_by']}): RSS "
                f"{life['rss_mb_start']} → peak {life['rss_mb_peak']} → {life['rss_mb_end']} MB, CPU {life['cpu_s']} s"
            )
    lines.append(f"  {'PASSED' if result['passed'] else 'FAILED: ' + '; '.join(result['problems'])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Soak test (see the module docstring).")
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the fleet reports (bounded)")
    parser.add_argument("--terminals", type=int, default=2000)
    parser.add_argument(
        "--rate",
        type=float,
        default=400.0,
        help="positions per second, all terminals together (default: each every 5 s)",
    )
    parser.add_argument("--restart-after", type=float, default=10.0, help="seconds a killed process stays down")
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--connect-rate", type=float, default=200.0, help="new terminal connections per second")
    parser.add_argument("--redis-db", type=int, default=0, help="the Redis database (on the test server) to use")
    parser.add_argument("--database", default="gongwu_soak", help="created afresh, dropped at the end")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--no-faults", action="store_true", help="the load alone (for a baseline)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.redis_url = redis_url(args.redis_db)
    db_url = database_url(args.database)
    scratch = Path(tempfile.mkdtemp(prefix="gongwu-soak-"))
    print(f"database {make_url(db_url).database} (fresh), redis {args.redis_url}; logs in {scratch}", flush=True)
    asyncio.run(recreate_database(db_url))
    upgrade(db_url)
    vehicle_ids = asyncio.run(provision(db_url, args.terminals))
    asyncio.run(clean_redis(args.redis_url))
    started = datetime.now(UTC)
    load_before = os.getloadavg()[0]

    async def go() -> dict[str, Any]:
        run = Run(args, db_url, vehicle_ids, scratch)
        try:
            outcome = await run.main()
            outcome["verification"] = await run.verify()
        finally:
            for service in run.services:
                await service.stop()
            await run.redis.aclose()
        outcome["samples"] = run.samples
        last = max(run.fleet.per_second, default=0)
        outcome["timeline"] = {"acks_per_second": [run.fleet.per_second.get(s, 0) for s in range(last + 1)]}
        return outcome

    try:
        import uvloop

        outcome = uvloop.run(go())
    except ImportError:
        outcome = asyncio.run(go())
    finally:
        asyncio.run(clean_redis(args.redis_url))
        if not args.keep_database:
            asyncio.run(recreate_database(db_url, drop_only=True))

    v = outcome["verification"]
    problems = []
    if v["lost"]:
        problems.append(f"{v['lost']} acked positions not stored")
    if v["duplicates"]:
        problems.append(f"{v['duplicates']} positions stored twice")
    if not outcome["fleet"]["drained"]:
        problems.append("the terminals still waited for acks at the end")
    if outcome["consumers"]["backlog_left"]:
        problems.append(f"the consumers left {outcome['consumers']['backlog_left']} events")
    result = {
        "config": {"terminals": args.terminals, "rate": args.rate, "minutes": args.minutes,
                   "restart_after_s": args.restart_after, "sample_s": args.sample_s, "gateways": 2, "consumers": 1},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                    "when": started.isoformat(timespec="seconds"), "load_before": round(load_before, 2)},
        **outcome,
        "passed": not problems,
        "problems": problems,
    }  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    (args.out / "soak.svg").write_text(svg_chart(result))
    print(summary_text(result), flush=True)
    print(f"results: {args.out / 'soak.json'}, {args.out / 'soak.svg'}; process logs: {scratch}", flush=True)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
