"""Nightly audit benchmark: a month of a 200-car fleet's positions in PostGIS, audited night by night.

    nice -n 10 .venv/bin/python bench/audit/run.py              # 200 cars × 30 days (~3 M positions)
    nice -n 10 .venv/bin/python bench/audit/run.py --cars 50 --days 7    # a quick look

Steps: a fresh database (``GONGWU_BENCH_AUDIT_DATABASE_URL``, default ``…/gongwu_bench_audit``), migrated, with a
partition per day; the fleet (200 cars of one car-service centre, a driver, a requester); then for each car and
day a plausible working day, written by COPY: out-and-back rides to a place 3–10 km from the car's home base
(two on most weekdays, now and then one on a weekend), a point every 10 s while moving (30–50 km/h along a
wavy line) and every 5 min while parked (ignition off), odometer and fuel gauge; the trips and stops the
telematics consumers would have made; a booking covering each ride except ~5 % (private use) and most weekend
rides; a card refuel per car and week (~5 % of them while the car stood elsewhere); ~3 % of nights parked away.

Then, in a fresh process (so its peak memory is the audit's own), the nightly audit of every day of the month in
order (`Auditor.audit_day`, as `gongwu audit nightly` runs it), timed per night, with the peak resident memory
(``ru_maxrss``). Writes RESULTS.md and results.json here. The goal: the month in under 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gongwu.app.migrate import upgrade
from gongwu.core.db import Database

HERE = Path(__file__).resolve().parent
DB_URL = os.environ.get(
    "GONGWU_BENCH_AUDIT_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/gongwu_bench_audit"
)
ZONE = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2026, 9, 1)
CENTRE = (39.91, 116.40)
MOVE_STEP_S = 10
PARK_STEP_S = 300
STATION = ("S001", "中石化长安街加油站", 39.907, 116.41)


def _asyncpg_dsn() -> str:
    return make_url(DB_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def recreate() -> None:
    url = make_url(DB_URL)
    admin = await asyncpg.connect(_asyncpg_dsn().rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await admin.close()


async def seed_fleet(cars: int) -> dict[str, Any]:
    from gongwu.core.audit import Actor, set_actor
    from gongwu.core.budget import service as budget
    from gongwu.core.fleet import service as fleet
    from gongwu.core.identity import service as identity

    db = Database(DB_URL)
    async with db.session() as s:
        set_actor(s, Actor(None, "bench"))
        root = await identity.create_unit(s, code="B", name="机关事务管理局", kind="bureau", parent_id=None)
        centre = await identity.create_unit(
            s, code="B-C", name="公务用车服务中心", kind="department", parent_id=root.id
        )
        user = await identity.create_user(
            s, username="bench", full_name="测试", password="bench-password-1", unit_id=root.id, rank_code="staff",
            roles=["requester"],
        )  # fmt: skip
        driver = await fleet.create_driver(
            s, name="司机", unit_id=centre.id, licence_class="B1", licence_expiry=date(2030, 1, 1)
        )
        await fleet.set_quota(s, centre.id, "other", cars + 1)
        await budget.create_fiscal_year(s, 2026)
        await s.commit()
    conn = await asyncpg.connect(_asyncpg_dsn())
    try:
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "vehicle",
            columns=["plate", "category", "dedicated", "energy_type", "make_model", "seats", "unit_id", "odometer_km",
                     "status", "fuel_tank_l", "l_per_100km", "created_at"],
            records=[(f"京B{i:05d}", "other", False, "fuel", "大众 帕萨特", 5, centre.id, 20000.0, "available", 60.0,
                      8.0, now) for i in range(cars)],
        )  # fmt: skip
        ids = [r[0] for r in await conn.fetch("SELECT id FROM vehicle ORDER BY id")]
        await conn.execute(
            "INSERT INTO fuel_station (code, name, lat, lon, supplier) VALUES ($1, $2, $3, $4, '中石化')", *STATION
        )
        import_id = await conn.fetchval(
            "INSERT INTO cost_import (kind, filename, sha256, rows, amount, created_at) "
            "VALUES ('fuel_card', 'bench.csv', 'bench', 0, 0, now()) RETURNING id"
        )
    finally:
        await conn.close()
    await db.dispose()
    return {"vehicles": ids, "unit": centre.id, "user": user.id, "driver": driver.id, "import": import_id}


def _local(day: date, hour: float) -> datetime:
    return (datetime(day.year, day.month, day.day, tzinfo=ZONE) + timedelta(hours=hour)).astimezone(UTC)


class Car:
    def __init__(self, vid: int, rng: random.Random) -> None:
        self.id = vid
        self.home = (CENTRE[0] + rng.uniform(-0.08, 0.08), CENTRE[1] + rng.uniform(-0.1, 0.1))
        self.odometer = 20000.0 + rng.uniform(0, 50000)
        self.fuel = 40.0
        self.at = self.home
        self.t = None


def _leg(
    car: Car, start: datetime, to: tuple[float, float], rng: random.Random, out: list[tuple]
) -> tuple[datetime, float]:
    """Drive ``car`` from where it is to ``to`` from ``start``; append points; returns (arrival, km)."""
    (lat0, lon0), (lat1, lon1) = car.at, to
    km_direct = math.hypot((lat1 - lat0) * 111.0, (lon1 - lon0) * 85.0)
    km = km_direct * rng.uniform(1.15, 1.35)
    speed = rng.uniform(30, 50)
    steps = max(2, int(km / speed * 3600 / MOVE_STEP_S))
    wave = rng.uniform(0.002, 0.006)
    t = start
    previous = car.at
    for i in range(1, steps + 1):
        f = i / steps
        lat = lat0 + (lat1 - lat0) * f + wave * math.sin(f * math.pi * 3)
        lon = lon0 + (lon1 - lon0) * f + wave * math.cos(f * math.pi * 2) - wave
        if i == steps:
            lat, lon = lat1, lon1
        d = math.hypot((lat - previous[0]) * 111.0, (lon - previous[1]) * 85.0)
        car.odometer += d
        car.fuel = max(5.0, car.fuel - d * 0.08)
        t = start + timedelta(seconds=i * MOVE_STEP_S)
        out.append((car.id, t, lat, lon, speed, True, car.odometer, d * 1000, car.fuel))
        previous = (lat, lon)
    car.at = to
    return t, km


def _park(car: Car, start: datetime, end: datetime, out: list[tuple]) -> None:
    t = start + timedelta(seconds=PARK_STEP_S)
    while t < end:
        out.append((car.id, t, car.at[0], car.at[1], 0.0, False, car.odometer, 0.0, car.fuel))
        t += timedelta(seconds=PARK_STEP_S)


async def generate(info: dict[str, Any], days: int, seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)
    cars = [Car(v, rng) for v in info["vehicles"]]
    conn = await asyncpg.connect(_asyncpg_dsn())
    counts = {"positions": 0, "trips": 0, "stops": 0, "bookings": 0, "fuel": 0, "unbooked": 0}
    code = 0
    try:
        for index in range(days):
            day = FIRST_DAY + timedelta(days=index)
            for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
                part = f"vehicle_position_p{d.strftime('%Y%m%d')}"
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {part} PARTITION OF vehicle_position FOR VALUES FROM "
                    f"('{d.isoformat()} 00:00:00+00') TO ('{(d + timedelta(days=1)).isoformat()} 00:00:00+00')"
                )
            points: list[tuple] = []
            trips: list[tuple] = []
            stops: list[tuple] = []
            bookings: list[tuple] = []
            fuel: list[tuple] = []
            weekend = day.weekday() >= 5
            for car in cars:
                clock = _local(day, 0)
                rides = (0 if rng.random() < 0.9 else 1) if weekend else rng.choice((1, 2, 2, 2, 3))
                hour = rng.uniform(8.0, 9.5)
                for _ in range(rides):
                    depart = _local(day, hour)
                    _park(car, clock, depart, points)
                    angle = rng.uniform(0, 2 * math.pi)
                    dist = rng.uniform(3, 10)
                    dest = (car.home[0] + dist / 111.0 * math.sin(angle), car.home[1] + dist / 85.0 * math.cos(angle))
                    start_pos = car.at
                    arrive, km1 = _leg(car, depart, dest, rng, points)
                    trips.append((car.id, info["unit"], "closed", depart, arrive, *start_pos, *dest, km1,
                                  (arrive - depart).total_seconds(), 50.0, km1 * 0.08, 0))  # fmt: skip
                    dwell = timedelta(minutes=rng.uniform(30, 150))
                    stops.append((car.id, arrive, arrive + dwell, dest[0], dest[1], False))
                    _park(car, arrive, arrive + dwell, points)
                    back, km2 = _leg(car, arrive + dwell, car.home, rng, points)
                    trips.append((car.id, info["unit"], "closed", arrive + dwell, back, *dest, *car.home, km2,
                                  (back - arrive - dwell).total_seconds(), 50.0, km2 * 0.08, 0))  # fmt: skip
                    stops.append((car.id, back, None, car.home[0], car.home[1], False))
                    booked = rng.random() < (0.2 if weekend else 0.95)
                    if booked:
                        code += 1
                        ride = km1 * (rng.uniform(1.7, 2.2) if rng.random() < 0.02 else 1.0)  # ~2 % detours
                        bookings.append(_booking(code, info, car, depart, back, start_pos, dest, ride, km1 / 1.25))
                    else:
                        counts["unbooked"] += 1
                    clock = back
                    hour = (
                        back.astimezone(ZONE) - datetime(day.year, day.month, day.day, tzinfo=ZONE)
                    ).total_seconds() / 3600 + rng.uniform(0.5, 2)
                if day.weekday() == car.id % 7 and not weekend:
                    at = clock + timedelta(minutes=20)
                    elsewhere = rng.random() < 0.05
                    litres = round(min(55.0, 60 - car.fuel), 2)
                    fuel.append(_refuel(info, car, at, litres, elsewhere))
                    car.fuel += litres
                end = _local(day, 24)
                if rng.random() < 0.03 and not weekend:  # a night away
                    away = (car.home[0] + 0.05, car.home[1] + 0.05)
                    t0 = clock + timedelta(minutes=30)
                    arrive, km = _leg(car, t0, away, rng, points)
                    trips.append((car.id, info["unit"], "closed", t0, arrive, *car.home, *away, km,
                                  (arrive - t0).total_seconds(), 50.0, km * 0.08, 0))  # fmt: skip
                    clock = arrive
                    _park(car, clock, end, points)  # and it stays there until its next ride leaves
                else:
                    _park(car, clock, end, points)
            await _copy(conn, points, trips, stops, bookings, fuel)
            for key, rows in (("positions", points), ("trips", trips), ("stops", stops), ("bookings", bookings),
                              ("fuel", fuel)):  # fmt: skip
                counts[key] += len(rows)
            print(f"  {day}: {len(points):,} positions, {len(trips)} trips", file=sys.stderr)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return counts


def _booking(code: int, info: dict[str, Any], car: Car, depart: datetime, back: datetime, a: tuple, b: tuple,
             km: float, routed: float) -> tuple:  # fmt: skip
    return (
        f"YC-B-{code:06d}",
        info["unit"],
        info["user"],
        "公务",
        1,
        "[]",
        a[0],
        a[1],
        "出发地",
        b[0],
        b[1],
        "目的地",
        depart - timedelta(minutes=10),
        back + timedelta(minutes=30),
        "other",
        2,
        True,
        False,
        False,
        False,
        "completed",
        1,
        1,
        round(routed, 2),
        20.0,
        True,
        30.0,
        2000,
        car.id,
        info["driver"],
        depart,
        back,
        "0000",
        round(km, 2),
        depart - timedelta(days=1),
        back,
    )


def _refuel(info: dict[str, Any], car: Car, at: datetime, litres: float, elsewhere: bool) -> tuple:
    distance = 8000.0 if elsewhere else 50.0
    status = "elsewhere" if elsewhere else "matched"
    amount = Decimal(str(round(litres * 7.6, 2)))
    return (
        f"T{car.id}-{at:%Y%m%d%H%M}",
        info["import"],
        "91000",
        car.id,
        at,
        STATION[0],
        STATION[1],
        STATION[2],
        STATION[3],
        "92#",
        litres,
        760,
        int(amount * 100),
        status,
        distance,
        car.at[0],
        car.at[1],
    )


async def _copy(conn: asyncpg.Connection, points: list[tuple], trips: list[tuple], stops: list[tuple],
                bookings: list[tuple], fuel: list[tuple]) -> None:  # fmt: skip
    await conn.copy_records_to_table(
        "vehicle_position",
        columns=["vehicle_id", "device_time", "digest", "terminal_id", "received_at", "lat", "lon", "speed_kmh",
                 "ignition", "fix_valid", "odometer_km", "distance_m", "fuel_l", "flags"],
        records=[(v, t, 0, 0, t, lat, lon, speed, ign, True, odo, dist, fuel_l, 0)
                 for v, t, lat, lon, speed, ign, odo, dist, fuel_l in points],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "trip",
        columns=["vehicle_id", "unit_id", "status", "start_time", "end_time", "start_lat", "start_lon", "end_lat",
                 "end_lon", "distance_km", "duration_s", "max_speed_kmh", "fuel_used_l", "points"],
        records=trips,
    )  # fmt: skip
    await conn.copy_records_to_table(
        "vehicle_stop", columns=["vehicle_id", "start_time", "end_time", "lat", "lon", "ignition"], records=stops
    )
    await conn.copy_records_to_table(
        "booking",
        columns=["code", "unit_id", "requester_id", "purpose", "passengers", "passenger_names", "pickup_lat",
                 "pickup_lon", "pickup_address", "dropoff_lat", "dropoff_lon", "dropoff_address", "earliest_pickup",
                 "latest_arrival", "category", "min_seats", "poolable", "confidential", "leader_trip", "beyond_city",
                 "status", "approval_levels", "approved_level", "estimated_km", "estimated_minutes",
                 "estimate_approximate", "max_ride_minutes", "estimated_cost", "vehicle_id", "driver_id",
                 "planned_pickup_at", "planned_dropoff_at", "checkin_code", "actual_km", "created_at", "updated_at"],
        records=bookings,
    )  # fmt: skip
    await conn.copy_records_to_table(
        "fuel_transaction",
        columns=["txn_id", "import_id", "card_no", "vehicle_id", "at", "station_code", "station_name", "lat", "lon",
                 "product", "litres", "unit_price", "amount", "match_status", "distance_m", "car_lat", "car_lon"],
        records=fuel,
    )  # fmt: skip


async def audit(days: int) -> dict[str, Any]:
    from gongwu.dispatch.supervision.audit import Auditor
    from gongwu.dispatch.supervision.settings import SupervisionSettings

    db = Database(DB_URL)
    auditor = Auditor(db, SupervisionSettings(), "Asia/Shanghai")
    nights = []
    started = time.perf_counter()
    for index in range(days):
        day = FIRST_DAY + timedelta(days=index)
        t0 = time.perf_counter()
        run = await auditor.audit_day(day, trigger="bench")
        nights.append({"day": day.isoformat(), "seconds": round(time.perf_counter() - t0, 3),
                       "vehicles": run.vehicles, "findings": run.findings})  # fmt: skip
    total = time.perf_counter() - started
    async with db.session() as s:
        by_rule = dict(
            (await s.execute(text("SELECT rule, count(*) FROM audit_finding GROUP BY rule ORDER BY 2 DESC"))).all()
        )
    await db.dispose()
    return {
        "seconds": round(total, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "nights": nights,
        "findings_by_rule": by_rule,
    }


def report(result: dict[str, Any]) -> str:
    nights = result["audit"]["nights"]
    slowest = max(nights, key=lambda n: n["seconds"])
    c = result["counts"]
    goal = "met" if result["audit"]["seconds"] < 60 else "NOT met"
    rules = "\n".join(f"| `{k}` | {v:,} |" for k, v in result["audit"]["findings_by_rule"].items())
    return f"""# Nightly audit benchmark

`nice -n 10 .venv/bin/python bench/audit/run.py` — {result["cars"]} cars × {result["days"]} days, generated into
PostgreSQL + PostGIS (a partition per day) and audited night by night in a fresh process, as
`gongwu audit nightly` runs it. Machine: {result["machine"]}. Run {result["when"]}.

## The month

| what | count |
|---|---:|
| positions (a point every {MOVE_STEP_S} s moving, every {PARK_STEP_S // 60} min parked) | {c["positions"]:,} |
| trips | {c["trips"]:,} |
| stops | {c["stops"]:,} |
| bookings (completed) | {c["bookings"]:,} |
| rides without a booking (generated) | {c["unbooked"]:,} |
| fuel-card transactions | {c["fuel"]:,} |

Generating and loading took {result["generate_s"]:.0f} s (COPY), not counted below.

## The audit

| | |
|---|---:|
| **{result["days"]} nights, wall time** | **{result["audit"]["seconds"]:.1f} s** (goal < 60 s: {goal}) |
| mean night | {result["audit"]["seconds"] / len(nights):.2f} s |
| slowest night | {slowest["seconds"]:.2f} s ({slowest["day"]}) |
| peak resident memory of the audit process | {result["audit"]["peak_rss_mib"]:.0f} MiB |

Findings stored over the month:

| rule | findings |
|---|---:|
{rules}

## Reading

Each night is one aggregate over the day's partition (`ST_Length(ST_MakeLine(geom ORDER BY device_time)
::geography)`, odometer span, moving hours per car, streamed), one `DISTINCT ON` for where each car stood at the
end of the night, and the day's trips, stops, bookings and card transactions in bulk; the rules then run in
Python over one day's rows. Memory does not grow with the month: a night holds one day's trips and bookings,
never the points (a finding loads only its own track as evidence). Unbooked rides on weekdays come out as
`no_booking`, the ones on weekends as `rest_day_movement` once a car's rhythm is known (and as `no_booking`),
away nights as `unusual_night` after a week of history, the 5 % of refuels away from the station as
`refuel_elsewhere`.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--audit-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.audit_only:
        print(json.dumps(asyncio.run(audit(args.days))))
        return
    print(f"database {DB_URL}", file=sys.stderr)
    asyncio.run(recreate())
    upgrade(DB_URL)
    t0 = time.perf_counter()
    info = asyncio.run(seed_fleet(args.cars))
    counts = asyncio.run(generate(info, args.days))
    generate_s = time.perf_counter() - t0
    print(f"generated in {generate_s:.0f} s: {counts}", file=sys.stderr)
    child = subprocess.run(
        [sys.executable, __file__, "--audit-only", "--days", str(args.days)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = {
        "cars": args.cars,
        "days": args.days,
        "when": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{os.cpu_count()} vCPU, {platform.platform()}, Python {platform.python_version()}",
        "counts": counts,
        "generate_s": round(generate_s, 1),
        "audit": json.loads(child.stdout.strip().splitlines()[-1]),
    }
    (HERE / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (HERE / "RESULTS.md").write_text(report(result))
    print(json.dumps({k: result["audit"][k] for k in ("seconds", "peak_rss_mib")}))


if __name__ == "__main__":
    main()
