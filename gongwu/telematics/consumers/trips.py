"""Trips and stops from ignition and motion, and the daily summary of each car.

A trip starts when the car moves (ignition not off). It ends when the ignition goes off, when the car has stood
still for ``stop_after`` (the standstill becomes a stop), or when its data has a gap longer than ``gap``. A trip
carries start and end (time and place), distance (the pipeline's distances between trusted points), duration,
max speed, fuel used (the sum of the gauge's drops; refuelling ignored) and energy used (SOC drop × battery).
A closed trip adds to the car's day (local calendar day of its start) in ``daily_summary``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database
from gongwu.core.events import EventBus
from gongwu.telematics import topics
from gongwu.telematics.consumers.base import Car, Fleet, OrderedConsumer, Outbox, Point
from gongwu.telematics.models import DailySummary, TrackState, Trip, VehicleStop

__all__ = ["TripsConsumer", "trip_json"]


def trip_json(trip: Trip) -> dict[str, Any]:
    return {
        "id": trip.id,
        "vehicle_id": trip.vehicle_id,
        "status": trip.status,
        "start_time": trip.start_time.isoformat(),
        "end_time": trip.end_time.isoformat() if trip.end_time else None,
        "start": [trip.start_lon, trip.start_lat],
        "end": [trip.end_lon, trip.end_lat],
        "distance_km": round(trip.distance_km, 3),
        "duration_s": round(trip.duration_s),
        "max_speed_kmh": round(trip.max_speed_kmh, 1),
        "fuel_used_l": None if trip.fuel_used_l is None else round(trip.fuel_used_l, 2),
        "energy_used_kwh": None if trip.energy_used_kwh is None else round(trip.energy_used_kwh, 2),
    }


class TripsConsumer(OrderedConsumer):
    name = "trips"

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        fleet: Fleet,
        *,
        timezone: str,
        stop_after_s: float = 300.0,
        gap_s: float = 1800.0,
    ) -> None:
        super().__init__(db, bus, fleet)
        self.zone = ZoneInfo(timezone)
        self.stop_after = timedelta(seconds=stop_after_s)
        self.gap = timedelta(seconds=gap_s)

    async def load(self, session: AsyncSession, states: dict[int, TrackState]) -> None:
        # the open trips and stops of the batch's cars in two queries; ``apply`` finds them in the identity map
        # (which holds unchanged rows weakly: the session keeps a reference until the transaction ends)
        loaded = session.info.setdefault("preloaded", [])
        for model, key in ((Trip, "trip"), (VehicleStop, "stop")):
            ids = [s.state[key] for s in states.values() if s.state.get(key)]
            if ids:
                loaded += (await session.scalars(select(model).where(model.id.in_(ids)))).all()

    async def apply(
        self, session: AsyncSession, car: Car, state: dict[str, Any], points: Sequence[Point], outbox: Outbox
    ) -> dict[str, Any]:
        trip = await session.get(Trip, state["trip"]) if state.get("trip") else None
        stop = await session.get(VehicleStop, state["stop"]) if state.get("stop") else None
        last = state.get("last") or {}
        last_time = datetime.fromisoformat(last["time"]) if last.get("time") else None
        still = datetime.fromisoformat(state["still"]) if state.get("still") else None
        for p in points:
            if trip is not None and last_time is not None and p.time - last_time > self.gap:
                await self._close(session, car, trip, last_time, last, outbox)
                trip = None
            if trip is not None:
                self._extend(car, trip, p, last)
                if p.ignition is False:
                    await self._close(session, car, trip, p.time, _place(p), outbox)
                    trip, still = None, None
                    stop = self._stop(session, car, p.time, _place(p), False)
                elif not p.moving:
                    still = still or p.time
                    if p.time - still >= self.stop_after:
                        await self._close(session, car, trip, still, _place(p), outbox)
                        trip = None
                        stop = self._stop(session, car, still, _place(p), True)
                        still = None
                else:
                    still = None
            elif p.moving and p.ignition is not False:
                if stop is not None:
                    stop.end_time = p.time
                    stop = None
                trip = self._start(session, car, p)
                await session.flush()
                outbox.append(("publish", topics.TRIPS, {"kind": "started", "trip": trip_json(trip)}))
                still = None
            elif stop is None:
                stop = self._stop(session, car, p.time, _place(p), bool(p.ignition))
            last = {"time": p.time.isoformat(), "lat": p.lat, "lon": p.lon, "fuel": p.fuel_l, "soc": p.soc_pct}
            if p.lat is None:
                last.update(lat=state.get("last", {}).get("lat"), lon=state.get("last", {}).get("lon"))
            last_time = p.time
        if session.new:  # a stop begun here needs its id in the state; changed rows are written at the commit
            await session.flush()
        return {
            "trip": trip.id if trip is not None else None,
            "stop": stop.id if stop is not None else None,
            "still": still.isoformat() if still else None,
            "last": last,
        }

    def _start(self, session: AsyncSession, car: Car, p: Point) -> Trip:
        trip = Trip(
            vehicle_id=car.id,
            unit_id=car.unit_id,
            status="open",
            start_time=p.time,
            end_time=p.time,
            start_lat=p.lat,
            start_lon=p.lon,
            end_lat=p.lat,
            end_lon=p.lon,
            distance_km=p.distance_m / 1000,
            duration_s=0.0,
            max_speed_kmh=p.speed_kmh,
            soc_start=p.soc_pct,
            soc_end=p.soc_pct,
            fuel_used_l=0.0 if p.fuel_l is not None else None,
            points=1,
        )
        session.add(trip)
        return trip

    def _extend(self, car: Car, trip: Trip, p: Point, last: dict[str, Any]) -> None:
        trip.distance_km += p.distance_m / 1000
        trip.max_speed_kmh = max(trip.max_speed_kmh, p.speed_kmh)
        trip.points += 1
        trip.end_time = p.time
        trip.duration_s = (p.time - trip.start_time).total_seconds()
        if p.lat is not None:
            trip.end_lat, trip.end_lon = p.lat, p.lon
        if p.fuel_l is not None and last.get("fuel") is not None:
            trip.fuel_used_l = (trip.fuel_used_l or 0.0) + max(0.0, float(last["fuel"]) - p.fuel_l)
        if p.soc_pct is not None:
            trip.soc_start = trip.soc_start if trip.soc_start is not None else p.soc_pct
            trip.soc_end = p.soc_pct
            if car.battery_kwh and trip.soc_start is not None:
                trip.energy_used_kwh = max(0.0, (trip.soc_start - p.soc_pct) / 100 * car.battery_kwh)

    def _stop(
        self, session: AsyncSession, car: Car, start: datetime, place: dict[str, Any], ignition: bool
    ) -> VehicleStop:
        stop = VehicleStop(
            vehicle_id=car.id, start_time=start, lat=place.get("lat"), lon=place.get("lon"), ignition=ignition
        )
        session.add(stop)
        return stop

    async def _close(
        self, session: AsyncSession, car: Car, trip: Trip, end: datetime, place: dict[str, Any], outbox: Outbox
    ) -> None:
        trip.status = "closed"
        trip.end_time = max(end, trip.start_time)
        trip.duration_s = (trip.end_time - trip.start_time).total_seconds()
        if place.get("lat") is not None:
            trip.end_lat, trip.end_lon = place["lat"], place["lon"]
        await session.flush()
        day = trip.start_time.astimezone(self.zone).date()
        summary = await session.get(DailySummary, (car.id, day))
        if summary is None:
            summary = DailySummary(
                vehicle_id=car.id,
                day=day,
                unit_id=car.unit_id,
                distance_km=0.0,
                driving_s=0.0,
                trips=0,
                max_speed_kmh=0.0,
                fuel_used_l=0.0,
                energy_used_kwh=0.0,
            )
            session.add(summary)
        summary.distance_km += trip.distance_km
        summary.driving_s += trip.duration_s
        summary.trips += 1
        summary.max_speed_kmh = max(summary.max_speed_kmh, trip.max_speed_kmh)
        summary.fuel_used_l += trip.fuel_used_l or 0.0
        summary.energy_used_kwh += trip.energy_used_kwh or 0.0
        outbox.append(("publish", topics.TRIPS, {"kind": "ended", "trip": trip_json(trip)}))


def _place(p: Point) -> dict[str, Any]:
    return {"lat": p.lat, "lon": p.lon}
