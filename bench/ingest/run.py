"""Ingest benchmark: simulated JT/T 808 terminals over loopback into PostgreSQL + PostGIS, through a real
`gongwu gateway` process (Redis bus), side by side with the raw COPY rate into the same table.

    nice -n 10 .venv/bin/python bench/ingest/run.py            # 10,000 terminals, ~4 minutes
    nice -n 10 .venv/bin/python bench/ingest/run.py --quick    # 1,000 terminals, short phases

Steps: a fresh database (``GONGWU_BENCH_DATABASE_URL``, default ``…/gongwu_bench``), migrated; N cars and terminals
provisioned in bulk (auto-provisioning is on too); the ceiling — 200,000 rows written into ``vehicle_position``
by plain COPY, by our default write path (COPY into a staging table + INSERT … ON CONFLICT DO NOTHING) and by
INSERT … SELECT FROM unnest(…) ON CONFLICT; then the gateway process and a separate load-generator process
(``load.py``): connect and authenticate N terminals, a latency phase at a fixed rate (open loop), and a saturation
phase in closed loop (every terminal keeps ``--window`` reports in flight and sends the next when one is acked: the
sustained rate is what the whole chain allows). CPU time of every component (gateway, generator, PostgreSQL,
Redis) and the gateway's resident memory are sampled from /proc. Writes RESULTS.md and results.json here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from gongwu.app.migrate import upgrade
from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.telematics.maintenance import ensure_partitions
from gongwu.telematics.models import Terminal

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DB_URL = os.environ.get("GONGWU_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gongwu_bench")
REDIS_URL = os.environ.get("GONGWU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CODE = "benchcode"
FIRST_PHONE = 13_900_000_000
TICK = os.sysconf("SC_CLK_TCK")
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# -- database ------------------------------------------------------------------------------------------------


async def recreate_database() -> None:
    url = make_url(DB_URL)
    conn = await asyncpg.connect(url.set(drivername="postgresql", database="postgres").render_as_string(False))
    await conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{url.database}"')
    await conn.close()


def plate(i: int) -> str:
    chars = []
    for _ in range(5):
        i, r = divmod(i, len(PLATE_CHARS))
        chars.append(PLATE_CHARS[r])
    return "京Y" + "".join(chars)


async def provision(db: Database, count: int) -> list[int]:
    async with db.engine.begin() as conn:
        unit_id = (
            await conn.execute(
                insert(OrgUnit).values(
                    code="BENCH", name="基准测试单位", kind="bureau", path="", created_at=datetime.now(UTC)
                )
            )
        ).inserted_primary_key[0]
        await conn.execute(text("UPDATE org_unit SET path = '/' || id || '/' WHERE id = :u"), {"u": unit_id})
        now = datetime.now(UTC)
        cars = [
            {"plate": plate(i), "category": "other", "dedicated": False, "energy_type": "fuel", "make_model": "bench",
             "seats": 5, "unit_id": unit_id, "odometer_km": 0.0, "status": "available", "created_at": now}
            for i in range(count)
        ]  # fmt: skip
        await conn.execute(insert(Vehicle), cars)
        ids = [r[0] for r in await conn.execute(text("SELECT id FROM vehicle ORDER BY id"))]
        terminals = [
            {"protocol": "jt808", "identifier": str(FIRST_PHONE + i), "vehicle_id": vid, "auth_code": CODE,
             "registered_at": now, "maker": "", "model": "", "imei": "", "software_version": "", "disabled": False,
             "auto_provisioned": False, "created_at": now}
            for i, vid in enumerate(ids)
        ]  # fmt: skip
        await conn.execute(insert(Terminal), terminals)
    return ids


# -- the ceiling ---------------------------------------------------------------------------------------------


def records(vehicle_ids: list[int], count: int) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    out = []
    for i in range(count):
        t = base + timedelta(seconds=i // len(vehicle_ids) * 2)
        out.append((vehicle_ids[i % len(vehicle_ids)], t, rng.getrandbits(31), i % len(vehicle_ids) + 1, t,
                    39.9 + rng.random() / 10, 116.3 + rng.random() / 10, 50.0, 40.0, 90.0, True, True,
                    1000.0 + i / 1000, 11.0, 40.0, None, None, 0))  # fmt: skip
    return out


async def ceiling(dsn: str, vehicle_ids: list[int], rows: int, batch: int) -> list[dict[str, Any]]:
    from gongwu.telematics.pipeline.store import PgPositionStore

    data = records(vehicle_ids, rows)
    batches = [data[i : i + batch] for i in range(0, len(data), batch)]
    results = []
    for mode in ("copy", "staging", "unnest"):
        for workers in (1, 2):
            store = PgPositionStore(dsn, size=workers, mode=mode)  # type: ignore[arg-type]
            await store.open()
            queue = list(batches)
            start = time.perf_counter()

            async def worker(store: PgPositionStore = store, queue: list[Any] = queue) -> None:
                while queue:
                    await store.write(queue.pop())

            await asyncio.gather(*(worker() for _ in range(workers)))
            seconds = time.perf_counter() - start
            await store.close()
            conn = await asyncpg.connect(dsn)
            stored = await conn.fetchval("SELECT count(*) FROM vehicle_position")
            await conn.execute("TRUNCATE vehicle_position")
            await conn.close()
            assert stored == rows, (mode, stored)
            results.append({"mode": mode, "connections": workers, "rows": rows, "rows_per_s": round(rows / seconds)})
            print(f"  ceiling {mode:8s} ×{workers}: {rows / seconds:,.0f} rows/s", flush=True)
    return results


# -- processes -----------------------------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError):
        return 0


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


def acks(metrics_port: int) -> float | None:
    """The gateway's ``gongwu_gateway_acks_total`` from its /metrics; None when the scrape failed."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as response:
            lines = response.read().decode().splitlines()
    except OSError:
        return None
    return next((float(line.split()[1]) for line in lines if line.startswith("gongwu_gateway_acks_total ")), None)


class Sampler(threading.Thread):
    """CPU seconds of the gateway, the generator, PostgreSQL and Redis, the gateway's RSS, and each gateway's CPU
    seconds and acks (from its /metrics), every 0.5 s."""

    def __init__(self, gateways: list[int], generator: int, metrics_ports: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = {"gateway": gateways, "generator": [generator]}
        self.metrics_ports = metrics_ports
        self.samples: list[dict[str, Any]] = []
        self.running = True

    def run(self) -> None:
        tick = 0
        while self.running:
            sample: dict[str, Any] = {"t": time.time(), "rss_mb": sum(rss_mb(p) for p in self.pids["gateway"])}
            groups = self.pids | {"postgres": pids_named("postgres"), "redis": pids_named("redis-server")}
            for name, pids in groups.items():
                sample[name] = sum(cpu_ticks(p) for p in pids) / TICK
            if tick % 4 == 0:  # every 2 s: a scrape costs the gateway CPU too
                cpu = [cpu_ticks(pid) / TICK for pid in self.pids["gateway"]]
                acked = [acks(port) for port in self.metrics_ports]
                if None not in acked:  # a failed scrape leaves the sample out of the per-ack figures
                    sample["gw_cpu"], sample["gw_acks"] = cpu, acked
            self.samples.append(sample)
            tick += 1
            time.sleep(0.5)

    def window(self, start: float, end: float) -> dict[str, Any]:
        inside = [s for s in self.samples if start <= s["t"] <= end + 0.6]
        if len(inside) < 2:
            return {}
        first, last = inside[0], inside[-1]
        span = last["t"] - first["t"]
        out = {
            f"{k}_cores": round((last[k] - first[k]) / span, 2) for k in ("gateway", "generator", "postgres", "redis")
        }
        out["rss_mb"] = round(max(s["rss_mb"] for s in inside))
        scraped = [s for s in inside if "gw_acks" in s]
        if len(scraped) > 1:
            a, b = scraped[0], scraped[-1]
            out["gateway_cpu_us_per_ack"] = [
                round((cpu1 - cpu0) / (n1 - n0) * 1e6, 1) if n1 > n0 else None
                for cpu0, cpu1, n0, n1 in zip(a["gw_cpu"], b["gw_cpu"], a["gw_acks"], b["gw_acks"], strict=True)
            ]
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the gateway died:\n{log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    sys.exit("the gateway did not listen")


async def flush_redis() -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(match="telematics*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


# -- the run -------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="Ingest benchmark (see the module docstring).")
    parser.add_argument("--terminals", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--latency-rate", type=float, default=5_000.0)
    parser.add_argument("--window", type=int, default=2, help="reports in flight per terminal when saturating")
    parser.add_argument("--gateways", type=int, default=2, help="gateway processes sharing the port (SO_REUSEPORT)")
    parser.add_argument(
        "--gc-threshold",
        type=int,
        default=None,
        help="GONGWU_GC_THRESHOLD of the gateways (default: theirs; 0: Python's collector defaults)",
    )
    parser.add_argument(
        "--gc-ab",
        action="store_true",
        help="the second gateway keeps Python's collector defaults (GONGWU_GC_THRESHOLD=0): CPU per "
        "ack of the two, side by side in one run",
    )
    parser.add_argument("--ceiling-rows", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="1,000 terminals, 10 s phases, 50,000 ceiling rows")
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    if args.quick:
        args.terminals, args.seconds, args.ceiling_rows = 1_000, 10.0, 50_000

    load_before = os.getloadavg()
    print(f"database {DB_URL}: fresh, migrated; load average {load_before[0]:.2f}", flush=True)
    asyncio.run(recreate_database())
    upgrade(DB_URL)
    db = Database(DB_URL)

    async def prepare() -> list[int]:
        await ensure_partitions(db, datetime.now(UTC).date(), 3)
        ids = await provision(db, args.terminals)
        await db.dispose()
        return ids

    vehicle_ids = asyncio.run(prepare())
    print(f"provisioned {len(vehicle_ids)} cars and terminals", flush=True)
    dsn = make_url(DB_URL).set(drivername="postgresql").render_as_string(False)
    ceilings = asyncio.run(ceiling(dsn, vehicle_ids, args.ceiling_rows, 2000))
    asyncio.run(flush_redis())

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="gongwu-ingest-"))  # the gateways' log and data folder
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWU_")} | {
        "GONGWU_DATABASE_URL": DB_URL,
        "GONGWU_REDIS_URL": REDIS_URL,
        "GONGWU_JT808_PORT": str(port),
        "GONGWU_GB32960_ENABLED": "0",
        "GONGWU_NMEA_ENABLED": "0",
        "GONGWU_AUTO_PROVISION": "1",
        "GONGWU_GATEWAY_REUSE_PORT": "1",
        "GONGWU_DATA_DIR": str(scratch / "var"),
    }
    if args.gc_threshold is not None:
        env["GONGWU_GC_THRESHOLD"] = str(args.gc_threshold)
    metrics_ports = [free_port() for _ in range(args.gateways)]
    args.out.mkdir(parents=True, exist_ok=True)
    log = scratch / "gateway.log"
    gateways = []
    with open(log, "wb") as out:
        for i in range(args.gateways):
            gateways.append(
                subprocess.Popen(
                    [sys.executable, "-m", "gongwu.app", "gateway"],
                    env=env
                    | {"GONGWU_GATEWAY_ID": f"bench-{i}", "GONGWU_METRICS_PORT": str(metrics_ports[i])}
                    | ({"GONGWU_GC_THRESHOLD": "0"} if args.gc_ab and i == 1 else {}),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
            wait_listening(port, gateways[-1], log)
            deadline = time.monotonic() + 60
            while log.read_text().count("gateway listening") <= i and time.monotonic() < deadline:
                time.sleep(0.2)
    phases = [
        {"name": "latency", "rate": args.latency_rate, "seconds": args.seconds},
        {"name": "saturation", "window": args.window, "seconds": args.seconds},
    ]
    generator = subprocess.Popen(
        [sys.executable, str(HERE / "load.py"), "--port", str(port), "--terminals", str(args.terminals),
         "--first", str(FIRST_PHONE), "--code", CODE, "--phases", json.dumps(phases)],
        stdout=subprocess.PIPE, env=env | {"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    sampler = Sampler([g.pid for g in gateways], generator.pid, metrics_ports)
    sampler.start()
    results: list[dict[str, Any]] = []
    assert generator.stdout is not None
    for line in generator.stdout:
        result = json.loads(line)
        result["load_average"] = round(os.getloadavg()[0], 2)
        if "start" in result:
            result |= sampler.window(result["start"], result["end"])
        else:
            result["rss_mb"] = round(sum(rss_mb(g.pid) for g in gateways))
        results.append(result)
        print("  " + json.dumps({k: v for k, v in result.items() if k not in ("start", "end")}), flush=True)
    generator.wait()
    time.sleep(2)
    sampler.running = False
    for gateway in gateways:
        gateway.send_signal(signal.SIGTERM)
    for gateway in gateways:
        gateway.wait(60)

    async def count() -> int:
        conn = await asyncpg.connect(dsn)
        stored = await conn.fetchval("SELECT count(*) FROM vehicle_position")
        await conn.close()
        return int(stored)

    stored = asyncio.run(count())
    acked = sum(int(r.get("acked", 0)) for r in results)
    summary = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                    "cpu": _cpu_model(), "when": datetime.now(UTC).isoformat(timespec="seconds")},
        "terminals": args.terminals,
        "gateways": args.gateways,
        "gc_threshold": args.gc_threshold,
        "gc_ab": args.gc_ab,
        "load_before": round(load_before[0], 2),
        "ceiling": ceilings,
        "phases": results,
        "stored": stored,
        "acked": acked,
    }  # fmt: skip
    (args.out / "results.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(tables(summary), flush=True)
    print(f"results: {args.out / 'results.json'}; gateway log: {log}", flush=True)
    print(f"acked {acked:,}, stored {stored:,}", flush=True)
    if stored < acked:
        sys.exit("FAILED: fewer positions stored than acked")


def _gc(threshold: int | None) -> str:
    if threshold is None:
        return "default"
    return "0 (Python's collector defaults)" if threshold == 0 else f"{threshold:,}"


def tables(summary: dict[str, Any]) -> str:
    """The measured tables in markdown (RESULTS.md quotes them)."""
    m = summary["machine"]
    out = [
        f"Machine: {m['cpus']} vCPU {m['cpu']}, Linux {m['kernel']}, Python {m['python']}; run {m['when']}; "
        f"load average before the run {summary.get('load_before', '?')}; {summary.get('gateways', 1)} gateway "
        f"process(es); GONGWU_GC_THRESHOLD {_gc(summary.get('gc_threshold'))}.",
        "",
        "| write path into `vehicle_position` (same table, same machine) | connections | rows/s |",
        "|---|---:|---:|",
    ]
    names = {
        "copy": "plain COPY (no de-duplication): the ceiling",
        "staging": "COPY → staging → INSERT ON CONFLICT (ours)",
        "unnest": "INSERT … SELECT FROM unnest(…) ON CONFLICT",
    }
    out += [f"| {names[c['mode']]} | {c['connections']} | {c['rows_per_s']:,} |" for c in summary["ceiling"]]
    out += [
        "",
        "| phase | connections | offered | stored + acked /s | p50 / p99 ack ms | same, 2nd half | gateway cores | "
        "generator cores | PostgreSQL cores | Redis cores | gateway RSS MB | machine load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["phases"]:
        if r["phase"] == "connect":
            out.append(f"| connect + authenticate | {r['authenticated']:,} of {r['terminals']:,} | in {r['seconds']} s "
                       f"| | | | | | | | {r.get('rss_mb', '')} | {r.get('load_average', '')} |")  # fmt: skip
            continue
        offered = (
            f"{r['offered_per_s']:,.0f}/s" if not r.get("window") else f"closed loop, {r['window']} in flight each"
        )
        out.append(
            f"| {r['phase']} | {r['connections']:,} | {offered} | {r['acked_per_s']:,} | {r['p50_ms']} / {r['p99_ms']} "
            f"| {r.get('p50_second_half_ms')} / {r.get('p99_second_half_ms')} "
            f"| {r.get('gateway_cores', '')} | {r.get('generator_cores', '')} | {r.get('postgres_cores', '')} "
            f"| {r.get('redis_cores', '')} | {r.get('rss_mb', '')} | {r.get('load_average', '')} |"
        )
    out += ["", f"Acked in all phases: {summary['acked']:,}; rows stored: {summary['stored']:,}.", ""]
    names = [f"gateway {i}" for i in range(summary.get("gateways", 1))]
    if summary.get("gc_ab"):
        names[:2] = ["gateway 0 (GONGWU_GC_THRESHOLD default)", "gateway 1 (0: Python's collector defaults)"]
    timed = [r for r in summary["phases"] if r.get("gateway_cpu_us_per_ack")]
    if timed:
        out += ["| gateway CPU µs per acked position | " + " | ".join(names) + " |"]
        out += ["|---" + "|---:" * len(names) + "|"]
        for r in timed:
            out.append(f"| {r['phase']} | " + " | ".join(str(v) for v in r["gateway_cpu_us_per_ack"]) + " |")
        out.append("")
    return "\n".join(out)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


if __name__ == "__main__":
    main()
