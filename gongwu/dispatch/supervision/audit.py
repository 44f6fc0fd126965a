"""Running the rules: on one finished trip (from the bus), and nightly on a whole day of the fleet.

The nightly audit of local day D reads, in bulk: the day's closed trips, the bookings of their cars, the stops,
per car the day's GPS distance, odometer and moving hours (one aggregate over the day's positions, streamed),
where each car stood at the end of the night, the day's fuel-card transactions and charging sessions. It runs
every rule, then judges and updates each car's normal pattern, and stores what is new (a finding is keyed by
rule and subject, so running a day twice adds nothing). Memory holds one day's trips and bookings, not points.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.charging import service as charging
from gongwu.dispatch.costs.models import FuelTransaction
from gongwu.dispatch.driving import service as driving
from gongwu.dispatch.supervision import patterns, rules
from gongwu.dispatch.supervision.models import AuditRun, Finding, VehiclePattern
from gongwu.dispatch.supervision.settings import SupervisionSettings
from gongwu.routing.types import LatLon
from gongwu.telematics import bulk as store
from gongwu.telematics import service as telematics
from gongwu.telematics.consumers.rules import Calendars, Seals

__all__ = ["Auditor"]

TRACK_POINTS = 400
RUN_STATUSES = ("assigned", "in_progress", "completed")


@dataclass
class Car:
    id: int
    plate: str
    unit_id: int
    category: str
    energy_type: str
    tank_l: float | None
    battery_kwh: float | None
    chain: tuple[int, ...]


@dataclass
class Auditor:
    """What the audit needs: the database (calendars and seals load through it), the settings, the bureau's time
    zone and, when a map is imported, the routing service (the routed distance of a booked ride)."""

    db: Database
    settings: SupervisionSettings
    timezone: str = "Asia/Shanghai"
    routing: Any | None = None

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        zone = ZoneInfo(self.timezone)
        lo = datetime(day.year, day.month, day.day, tzinfo=zone)
        return lo.astimezone(UTC), (lo + timedelta(days=1)).astimezone(UTC)

    async def _rules_of_the_bureau(self) -> tuple[Calendars, Seals]:
        calendars, seals = Calendars(self.db, self.timezone), Seals(self.db)
        await calendars.load()
        await seals.load()
        return calendars, seals

    async def _cars(self, session: AsyncSession) -> dict[int, Car]:
        paths = {u: p for u, p in await session.execute(select(OrgUnit.id, OrgUnit.path))}
        return {
            v.id: Car(v.id, v.plate, v.unit_id, v.category, v.energy_type, v.fuel_tank_l, v.battery_kwh,
                      tuple(int(x) for x in reversed(paths.get(v.unit_id, "").strip("/").split("/")) if x))
            for v in (await session.scalars(select(Vehicle))).all()
        }  # fmt: skip

    # -- one trip ----------------------------------------------------------------------------------------

    async def audit_trip(self, trip_id: int) -> list[Finding]:
        """The coverage rules on one finished trip (no booking, outside hours, sealed); the rest run nightly."""
        calendars, seals = await self._rules_of_the_bureau()
        async with self.db.session() as session:
            trips = await store.trips_between(session, datetime.now(UTC), datetime.now(UTC), trip_id=trip_id)
            if not trips:
                return []
            cars = await self._cars(session)
            t = trips[0]
            bookings = await self._bookings(session, t.start_time - timedelta(days=1), t.end_time + timedelta(days=1))
            hits = rules.coverage_rules(self._facts(t, cars[t.vehicle_id], bookings, calendars, seals), self.settings)
            found = await self._store(session, hits, cars)
            session.add(AuditRun(kind="trip", day=None, vehicles=1, findings=len(found), trigger=f"trip:{trip_id}"))
            await session.commit()
            return found

    def _facts(
        self, t: Any, car: Car, bookings: dict[int, list[Booking]], cal: Calendars, seals: Seals
    ) -> rules.TripFacts:
        moments = (t.start_time, t.start_time + (t.end_time - t.start_time) / 2, t.end_time)
        outside = any(cal.outside_hours(car.chain, car.category, m) for m in moments)
        sealed = next((r for m in moments if (r := seals.sealed(car.id, car.chain, m))), None)
        return rules.TripFacts(
            t.id, car.id, car.plate, car.category, t.start_time, t.end_time, t.distance_km,
            (t.start_lat, t.start_lon) if t.start_lat is not None else None,
            (t.end_lat, t.end_lon) if t.end_lat is not None else None,
            bookings.get(car.id, []), bool(outside), sealed,
        )  # fmt: skip

    async def _bookings(self, session: AsyncSession, lo: datetime, hi: datetime) -> dict[int, list[Booking]]:
        rows = (
            await session.scalars(
                select(Booking).where(
                    Booking.vehicle_id.is_not(None),
                    Booking.status.in_(RUN_STATUSES),
                    Booking.planned_pickup_at < hi,
                    Booking.planned_dropoff_at > lo,
                )
            )
        ).all()
        out: dict[int, list[Booking]] = {}
        for b in rows:
            assert b.vehicle_id is not None
            out.setdefault(b.vehicle_id, []).append(b)
        return out

    # -- one night ---------------------------------------------------------------------------------------

    async def audit_day(self, day: date, trigger: str = "timer") -> AuditRun:
        started = time.perf_counter()
        calendars, seals = await self._rules_of_the_bureau()
        lo, hi = self.day_bounds(day)
        hits: list[rules.Hit] = []
        async with self.db.session() as session:
            cars = await self._cars(session)
            bookings = await self._bookings(session, lo - timedelta(days=1), hi + timedelta(days=1))
            for t in await store.trips_between(session, lo, hi):
                car = cars.get(t.vehicle_id)
                if car is not None:
                    hits += rules.coverage_rules(self._facts(t, car, bookings, calendars, seals), self.settings)
            hits += await self._rides(session, cars, bookings, lo, hi)
            hits += await self._transactions(session, cars, lo, hi)
            seen, day_hits = await self._days(session, cars, calendars, day, lo, hi)
            hits += day_hits
            found = await self._store(session, hits, cars)
            run = AuditRun(
                kind="nightly", day=day, vehicles=seen, findings=len(found), trigger=trigger,
                seconds=round(time.perf_counter() - started, 3),
            )  # fmt: skip
            session.add(run)
            await session.commit()
            return run

    async def _rides(
        self, session: AsyncSession, cars: dict[int, Car], bookings: dict[int, list[Booking]], lo: datetime,
        hi: datetime,
    ) -> list[rules.Hit]:  # fmt: skip
        done = [
            b for rows in bookings.values() for b in rows
            if b.status == "completed" and b.planned_dropoff_at is not None and lo <= b.planned_dropoff_at < hi
        ]  # fmt: skip
        if not done:
            return []
        stops = await store.stops_between(
            session, sorted({b.vehicle_id for b in done if b.vehicle_id}), lo - timedelta(hours=2), hi
        )
        by_car: dict[int, list[Any]] = {}
        for x in stops:
            by_car.setdefault(x.vehicle_id, []).append(x)
        tasks = await driving.tasks_by_booking(session, [b.id for b in done])
        hits: list[rules.Hit] = []
        for b in done:
            assert b.vehicle_id is not None
            car = cars[b.vehicle_id]
            routed = self._routed_km(b)
            hits += rules.ride_rules(b, car.plate, by_car.get(car.id, []), b.actual_km, routed, self.settings)
            task = tasks.get(b.id)
            if task and task.odometer_start_km is not None and task.odometer_end_km is not None and task.trip_km:
                hit = rules.odometer_hit(
                    f"booking:{b.id}", car.id, car.plate, b.planned_pickup_at or lo, b.planned_dropoff_at or hi,
                    task.odometer_end_km - task.odometer_start_km, task.trip_km, "驾驶员报里程表", self.settings,
                    booking_id=b.id,
                )  # fmt: skip
                if hit:
                    hits.append(hit)
        return hits

    def _routed_km(self, b: Booking) -> float | None:
        if self.routing is not None:
            try:
                route = self.routing.route(LatLon(b.pickup_lat, b.pickup_lon), LatLon(b.dropoff_lat, b.dropoff_lon))
                return float(route.distance_m) / 1000
            except Exception:  # a point off the map: the booking's own routed estimate
                pass
        return float(b.estimated_km) if b.estimated_km else None

    async def _transactions(
        self, session: AsyncSession, cars: dict[int, Car], lo: datetime, hi: datetime
    ) -> list[rules.Hit]:
        hits: list[rules.Hit] = []
        s = self.settings
        for txn in (
            await session.scalars(select(FuelTransaction).where(FuelTransaction.at >= lo, FuelTransaction.at < hi))
        ).all():
            car = cars[txn.vehicle_id]
            gauge = await store.gauge_around(session, car.id, txn.at, timedelta(minutes=20))
            hits += rules.refuel_rules(txn, car.plate, car.tank_l, gauge, s)
        for row in await charging.list_sessions(session, None, start=lo, end=hi, limit=100_000):
            car = cars[row.vehicle_id]
            soc = (
                (row.soc_before, row.soc_after)
                if row.soc_before is not None and row.soc_after is not None
                else await store.soc_around(session, car.id, row.started_at, row.ended_at)
            )
            if (hit := rules.charge_hit(row, car.plate, car.battery_kwh, soc, s)) is not None:
                hits.append(hit)
        return hits

    async def _days(
        self, session: AsyncSession, cars: dict[int, Car], calendars: Calendars, day: date, lo: datetime,
        hi: datetime,
    ) -> tuple[int, list[rules.Hit]]:  # fmt: skip
        s = self.settings
        zone = ZoneInfo(self.timezone)
        night_from, night_to = s.night_hours
        start_of_day = datetime(day.year, day.month, day.day, tzinfo=zone)
        nights = await store.night_positions(
            session, (start_of_day - timedelta(hours=12)).astimezone(UTC),
            (start_of_day + timedelta(hours=night_to)).astimezone(UTC),
        )  # fmt: skip
        stored = {p.vehicle_id: p for p in (await session.scalars(select(VehiclePattern))).all()}
        offset = int(start_of_day.utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
        hits: list[rules.Hit] = []
        seen = 0
        noon = (start_of_day + timedelta(hours=12)).astimezone(UTC)
        window = ((start_of_day + timedelta(hours=night_from)).astimezone(UTC), hi)
        moved: dict[int, set[int]] = {}
        async for stats in store.day_stats(session, lo, hi, self.timezone, offset):
            car = cars.get(stats.vehicle_id)
            if car is None:
                continue
            seen += 1
            moved[car.id] = stats.hours
            hit = rules.odometer_hit(
                f"day:{car.id}:{day.isoformat()}", car.id, car.plate, lo, hi, stats.odo_km or 0.0, stats.gps_km,
                "终端里程表", s,
            )  # fmt: skip
            if hit is not None and stats.odo_km is not None:
                hits.append(hit)
        for vehicle_id in set(moved) | set(nights):
            car = cars.get(vehicle_id)
            if car is None:
                continue
            pattern = stored.get(vehicle_id)
            if pattern is None:
                pattern = VehiclePattern(vehicle_id=vehicle_id, nights=[], hours=[], weekdays=[], nights_observed=0)
                session.add(pattern)
                stored[vehicle_id] = pattern
            if pattern.last_day is not None and day <= pattern.last_day:
                continue
            rest = calendars.outside_hours(car.chain, "__audit__", noon)
            rest_day = bool(rest) if rest is not None else day.weekday() >= 5
            hours = moved.get(vehicle_id, set())
            hits += patterns.judge(pattern, car.plate, day, nights.get(vehicle_id), hours, rest_day, window, s)
            patterns.learn(pattern, day, nights.get(vehicle_id), hours, s)
        return seen, hits

    # -- storing -----------------------------------------------------------------------------------------

    async def _store(self, session: AsyncSession, hits: list[rules.Hit], cars: dict[int, Car]) -> list[Finding]:
        if not hits:
            return []
        keys = {(h.rule, h.subject) for h in hits}
        existing: set[tuple[str, str]] = set()
        listed = sorted(keys)
        for i in range(0, len(listed), 500):
            chunk = listed[i : i + 500]
            existing |= {
                (r, sub)
                for r, sub in await session.execute(
                    select(Finding.rule, Finding.subject).where(tuple_(Finding.rule, Finding.subject).in_(chunk))
                )
            }
        found = []
        for h in hits:
            if (h.rule, h.subject) in existing:
                continue
            existing.add((h.rule, h.subject))
            evidence = dict(h.evidence)
            if h.trip_id or h.booking_id or h.rule in ("refuel_elsewhere", "odometer_mismatch"):
                evidence["points"] = await self._track(session, h)
            severity = rules.RULES[h.rule][2]
            finding = Finding(
                rule=h.rule, severity=severity, subject=h.subject, vehicle_id=h.vehicle_id,
                unit_id=cars[h.vehicle_id].unit_id, booking_id=h.booking_id, trip_id=h.trip_id,
                starts_at=h.starts_at, ends_at=h.ends_at, summary_zh=h.zh[:255], summary_en=h.en[:255],
                evidence=evidence, status="open",
            )  # fmt: skip
            session.add(finding)
            found.append(finding)
        await session.flush()
        return found

    async def _track(self, session: AsyncSession, h: rules.Hit) -> list[list[Any]]:
        pad = timedelta(minutes=30 if h.rule == "refuel_elsewhere" else 5)
        try:
            points = await telematics.track(session, None, h.vehicle_id, h.starts_at - pad, h.ends_at + pad)
        except Exception:
            return []
        step = max(1, len(points) // TRACK_POINTS)
        return [[p[0], p[1], p[2]] for p in points[::step]]
