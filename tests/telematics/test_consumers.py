"""The bus consumers on stored-position events: trips and stops, daily summaries, geofence entries and exits, and
every kind of alarm — each applied once even when events are replayed or two consumers race."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event as sql_event
from sqlalchemy import func, select

from gongwu.core.db import Database
from gongwu.core.events import Delivery, MemoryBus
from gongwu.core.fleet import service as fleet
from gongwu.telematics import service
from gongwu.telematics.consumers import ConsumerService
from gongwu.telematics.models import Alarm, DailySummary, GeofenceEvent, Trip, VehicleStop
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import shared_state

from .conftest import provision_car

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Beijing
_ids = itertools.count(1)


def event(
    vehicle_id: int, t: datetime, lat: float = 39.90, lon: float = 116.40, speed: float = 40.0, **kw: Any
) -> dict[str, Any]:
    moving = kw.pop("moving", speed >= 3)
    return {
        "vehicle_id": vehicle_id,
        "terminal_id": 1,
        "time": t.isoformat(),
        "received_at": t.isoformat(),
        "lat": lat,
        "lon": lon,
        "speed_kmh": speed,
        "course": 90.0,
        "ignition": kw.pop("ignition", True),
        "moving": moving,
        "fix_valid": True,
        "odometer_km": None,
        "distance_m": kw.pop("distance_m", 100.0 if moving else 0.0),
        "fuel_l": kw.pop("fuel_l", None),
        "soc_pct": kw.pop("soc_pct", None),
        "alarms": kw.pop("alarms", []),
        "flags": 0,
    }


def deliveries(events: list[dict[str, Any]]) -> list[Delivery]:
    return [Delivery(str(next(_ids)), "telematics.positions", e) for e in events]


def consumers(db: Database, **settings: Any) -> ConsumerService:
    return ConsumerService(db, MemoryBus(), TelematicsSettings(**settings), timezone="Asia/Shanghai", rules_ttl_s=0.0)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_trips_stops_and_the_daily_summary_from_ignition_and_motion(db: Database) -> None:
    car = await provision_car(db)
    vid = car.vehicle.id
    c = consumers(db, trip_stop_after_s=300)
    m = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    drive = [event(vid, m(0), speed=0, ignition=False), event(vid, m(30), speed=0)]
    drive += [event(vid, m(60 + 10 * i), 39.90 + i / 1000, speed=30 + i, fuel_l=40 - i * 0.1) for i in range(10)]
    drive += [event(vid, m(160 + 60 * i), 39.91, speed=0, fuel_l=39.0) for i in range(7)]  # stands 6 min, engine on
    drive += [event(vid, m(600), 39.91, speed=0, ignition=False)]
    drive += [event(vid, m(900 + 10 * i), 39.91 - i / 1000, speed=20) for i in range(3)]  # a second trip, still open
    batch = deliveries(drive)
    await c.trips.handle(batch[:9])
    await c.trips.handle(batch[9:])
    await c.trips.handle(batch)  # replayed (a consumer died before acking): changes nothing
    async with db.session() as session:
        trips = (await session.scalars(select(Trip).order_by(Trip.start_time))).all()
        stops = (await session.scalars(select(VehicleStop).order_by(VehicleStop.start_time))).all()
        summary = await session.get(DailySummary, (vid, date(2026, 3, 2)))
    assert [t.status for t in trips] == ["closed", "open"]
    first = trips[0]
    assert (first.start_time, first.end_time) == (m(60), m(160))
    assert first.distance_km == pytest.approx(1.0) and first.max_speed_kmh == 39
    assert first.fuel_used_l == pytest.approx(1.0) and first.points >= 10
    assert (first.start_lat, first.end_lat) == (39.90, 39.91)
    assert [(s.start_time, s.end_time, s.ignition) for s in stops] == [
        (m(0), m(60), False),
        (m(160), m(900), True),
    ]
    assert summary is not None and (summary.trips, summary.distance_km) == (1, pytest.approx(1.0))
    assert summary.driving_s == 100 and summary.fuel_used_l == pytest.approx(1.0)


async def test_a_batch_of_trips_costs_the_same_queries_for_two_cars_or_twenty(db: Database) -> None:
    """The soak found the trips consumer reading each car's open trip with its own query (and writing it back with
    its own UPDATE): ~3 statements per car, 5x slower than the other consumers. The open trips and stops of a
    batch are now loaded at once and every change written in one flush."""
    cars = [(await provision_car(db, identifier=f"1380000{i:04d}")).vehicle.id for i in range(20)]
    c = consumers(db)
    statements = 0

    def counted(*_: Any) -> None:
        nonlocal statements
        statements += 1

    sql_event.listen(db.engine.sync_engine, "before_cursor_execute", counted)
    per_batch = []
    for n, second in ((2, 0), (20, 10), (2, 20), (20, 30)):  # trips begin; then every car extends its open trip
        statements = 0
        await c.trips.handle(
            deliveries([event(v, T0 + timedelta(seconds=second + k)) for v in cars[:n] for k in (0, 1)])
        )
        per_batch.append(statements)
    assert per_batch[2] == per_batch[3] <= 6, per_batch
    async with db.session() as session:
        trips = (await session.scalars(select(Trip))).all()
    assert len(trips) == 20 and all(t.status == "open" for t in trips)
    assert sorted(t.points for t in trips) == [4] * 18 + [8] * 2


async def test_energy_used_from_the_soc_of_a_new_energy_car(db: Database) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    c = consumers(db)
    vid = car.vehicle.id
    points = [event(vid, T0 + timedelta(seconds=10 * i), soc_pct=80 - i) for i in range(5)]
    points.append(event(vid, T0 + timedelta(seconds=60), speed=0, ignition=False, soc_pct=75))
    await c.trips.handle(deliveries(points))
    async with db.session() as session:
        (trip,) = (await session.scalars(select(Trip))).all()
    assert (trip.soc_start, trip.soc_end) == (80, 75) and trip.energy_used_kwh == pytest.approx(5 / 100 * 60.0)


async def test_geofence_entries_and_exits(db: Database) -> None:
    car = await provision_car(db)
    async with db.session() as session:
        fence = await service.create_geofence(
            session,
            unit_id=car.vehicle.unit_id,
            name="市政府大院",
            shape="circle",
            center_lat=39.95,
            center_lon=116.40,
            radius_m=500,
        )
        await session.commit()
    c = consumers(db)
    lats = [39.94, 39.949, 39.951, 39.96, 39.95]
    await c.geofences.handle(
        deliveries([event(car.vehicle.id, T0 + timedelta(minutes=i), lat) for i, lat in enumerate(lats)])
    )
    async with db.session() as session:
        events = (await session.scalars(select(GeofenceEvent).order_by(GeofenceEvent.time))).all()
    assert [(e.kind, e.geofence_id, e.lat) for e in events] == [
        ("enter", fence.id, 39.949),
        ("exit", fence.id, 39.96),
        ("enter", fence.id, 39.95),
    ]


async def alarms_of(db: Database) -> list[tuple[str, bool]]:
    async with db.session() as session:
        rows = (await session.scalars(select(Alarm).order_by(Alarm.id))).all()
    return [(a.kind, a.cleared_at is not None) for a in rows]


async def test_power_cut_and_tamper_bits_raise_one_alarm_per_episode(db: Database) -> None:
    car = await provision_car(db)
    c = consumers(db)
    vid = car.vehicle.id
    signals = [["power_cut"], ["power_cut"], ["power_cut", "illegal_movement"], [], ["power_cut"]]
    await c.alarms.handle(deliveries([event(vid, T0 + timedelta(seconds=i), alarms=s) for i, s in enumerate(signals)]))
    assert await alarms_of(db) == [("power_cut", True), ("tamper", True), ("power_cut", False)]


async def test_overspeed_by_the_cars_limit_and_by_a_speed_zone(db: Database) -> None:
    car = await provision_car(db)
    vid = car.vehicle.id
    async with db.session() as session:
        await service.set_speed_limit(session, vid, 80)
        await service.create_geofence(
            session, unit_id=car.vehicle.unit_id, name="学校区域", shape="circle", center_lat=39.99, center_lon=116.40,
            radius_m=300, speed_limit_kmh=30,
        )  # fmt: skip
        await session.commit()
    c = consumers(db)
    await c.alarms.handle(
        deliveries(
            [
                event(vid, T0, speed=75),
                event(vid, T0 + timedelta(seconds=5), speed=85),
                event(vid, T0 + timedelta(seconds=10), speed=60),
                event(vid, T0 + timedelta(seconds=15), 39.99, speed=45),
            ]
        )
    )
    async with db.session() as session:
        rows = (await session.scalars(select(Alarm).order_by(Alarm.id))).all()
    assert [(a.kind, a.details) for a in rows] == [
        ("overspeed", {"limit_kmh": 80, "zone": None, "speed_kmh": 85}),
        ("overspeed", {"limit_kmh": 30, "zone": "学校区域", "speed_kmh": 45}),
    ]


async def test_leaving_the_approved_area_and_use_outside_hours_or_when_sealed(db: Database) -> None:
    car = await provision_car(db)
    vid, unit = car.vehicle.id, car.vehicle.unit_id
    ring = [[116.30, 39.85], [116.50, 39.85], [116.50, 39.95], [116.30, 39.95], [116.30, 39.85]]
    async with db.session() as session:
        await service.create_geofence(
            session, unit_id=unit, name="市区", shape="polygon", geometry={"type": "Polygon", "coordinates": [ring]},
            approved_area=True,
        )  # fmt: skip
        await service.set_calendar(
            session, unit, workdays="12345", day_start="08:00", day_end="18:00", exempt_categories="emergency",
            days=[(date(2026, 3, 3), "holiday", "测试假日")],
        )  # fmt: skip
        await fleet.create_seal(
            session, vehicle_id=vid, starts_at=T0 + timedelta(days=5), ends_at=T0 + timedelta(days=6), reason="春节封存"
        )
        await session.commit()
    c = consumers(db)
    at = [
        (T0, 39.90),  # Monday 09:00, inside: nothing
        (T0 + timedelta(minutes=1), 40.10),  # left the area
        (T0 + timedelta(minutes=2), 39.90),  # back
        (T0 + timedelta(hours=12), 39.90),  # 21:00: outside working hours
        (T0 + timedelta(days=1), 39.90),  # Tuesday 09:00, but a holiday: still outside
        (T0 + timedelta(days=2), 39.90),  # Wednesday 09:00: working time again
        (T0 + timedelta(days=5, hours=1), 39.90),  # Saturday, sealed
    ]
    await c.alarms.handle(deliveries([event(vid, t, lat) for t, lat in at]))
    assert await alarms_of(db) == [("area_exit", True), ("outside_hours", True), ("sealed_use", False)]
    async with db.session() as session:
        hours = await session.scalar(select(Alarm).where(Alarm.kind == "outside_hours"))
    assert hours is not None and (hours.started_at, hours.cleared_at) == (at[3][0], at[5][0])


async def test_low_soc_and_battery_faults_of_a_new_energy_car(db: Database) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    c = consumers(db, low_soc_pct=15)
    vid = car.vehicle.id
    points = [event(vid, T0, soc_pct=20), event(vid, T0 + timedelta(seconds=10), soc_pct=12)]
    points.append(event(vid, T0 + timedelta(seconds=20), soc_pct=11, alarms=["battery_high_temp"]))
    await c.alarms.handle(deliveries(points))
    assert await alarms_of(db) == [("low_soc", False), ("battery", False)]


async def test_a_silent_terminal_raises_an_offline_alarm_cleared_when_it_speaks(db: Database) -> None:
    car = await provision_car(db)
    c = consumers(db, offline_alarm_after_s=600)
    vid = car.vehicle.id
    await c.live.positions(deliveries([event(vid, T0)]))
    assert await c.offline.check(T0 + timedelta(minutes=5)) == []
    assert await c.offline.check(T0 + timedelta(minutes=11)) == [vid]
    assert await c.offline.check(T0 + timedelta(minutes=12)) == []  # once per silence
    await c.alarms.handle(deliveries([event(vid, T0 + timedelta(minutes=13), speed=10)]))
    assert await alarms_of(db) == [("offline", True)]


async def test_live_state_keeps_the_newest_and_merges_what_a_report_lacks(db: Database) -> None:
    car = await provision_car(db, protocol="gb32960", energy="bev")
    c = consumers(db)
    vid = car.vehicle.id
    newer = event(vid, T0 + timedelta(seconds=10), 39.91, soc_pct=None)
    older = event(vid, T0, 39.90, soc_pct=70)
    await c.live.positions(deliveries([newer, older]))
    no_place = event(vid, T0 + timedelta(seconds=20), speed=0, soc_pct=68) | {"lat": None, "lon": None}
    await c.live.positions(deliveries([no_place]))
    record = (await shared_state(c.bus).live.get([vid]))[vid]
    assert (record["lat"], record["soc"], record["speed_kmh"]) == (39.91, 68, 0)


async def test_two_consumers_racing_on_the_same_events_raise_one_alarm(pg_db: Database) -> None:
    car = await provision_car(pg_db)
    a, b = consumers(pg_db), consumers(pg_db)
    batch = deliveries([event(car.vehicle.id, T0 + timedelta(seconds=i), alarms=["sos"]) for i in range(20)])
    await asyncio.gather(a.alarms.handle(batch), b.alarms.handle(batch[5:]), a.alarms.handle(batch[10:]))
    assert await count(pg_db, Alarm) == 1
