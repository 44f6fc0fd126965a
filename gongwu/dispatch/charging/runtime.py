"""Background work of EV charging: re-plan when bookings, assignments or a car's charge change (and on a timer),
and record the sessions that GB/T 32960 terminals report.

Re-plan triggers: an event on ``charging.replan`` (dispatch publishes one when a booking or an assignment
changes), a car's SOC moving by 5 points or more from what the plan in force assumed (``telematics.positions``),
and the timer. Run the re-planner in one process of a deployment (``GONGWU_CHARGING_REPLAN_ENABLED=0`` on the
others): every process would otherwise plan the same.

Sessions from telematics: a parked car whose SOC rises is charging; the session ends when the car moves or its SOC
has not risen for 20 minutes; it is recorded (source ``telematics``) when it added at least 2 % of the battery,
at the site within 300 m (its tariff), else at the public price, and charged to the owning unit's budget line.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gongwu.core.errors import DomainError
from gongwu.core.events import Consumer, Delivery
from gongwu.core.fleet import service as fleet
from gongwu.core.geo import haversine_m
from gongwu.dispatch.charging import flows, service
from gongwu.dispatch.charging.settings import ChargingSettings
from gongwu.dispatch.charging.sources import NoTrips, set_trip_source, trip_source

__all__ = ["ChargingDetector", "DetectedSession", "background_tasks"]

log = logging.getLogger(__name__)

SOC_TRIGGER_PCT = 5.0
POSITIONS = "telematics.positions"
Task = Callable[[Any, asyncio.Event], Awaitable[None]]


def background_tasks(settings: ChargingSettings, *, demo: bool = False) -> list[Task]:
    """What the composition root starts: the re-planner (if enabled) and the session recorder. In the demo, the
    demo bookings stand in for dispatch's trips unless dispatch has registered its own."""
    if demo and isinstance(trip_source(), NoTrips):
        from gongwu.dispatch.charging.demo import DemoTrips

        set_trip_source(DemoTrips())
    tasks: list[Task] = [record_sessions]
    if settings.replan_enabled:
        tasks.insert(0, replanner)
    return tasks


def _name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _settings(platform: Any) -> ChargingSettings:
    found = getattr(platform.settings, "charging", None)
    return found if isinstance(found, ChargingSettings) else ChargingSettings()


async def replanner(platform: Any, stop: asyncio.Event) -> None:
    settings = _settings(platform)
    wake = asyncio.Event()
    planned_soc: dict[int, float] = {}

    async def on_request(deliveries: Sequence[Delivery]) -> None:
        wake.set()

    async def on_positions(deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            vid, soc = d.payload.get("vehicle_id"), d.payload.get("soc_pct")
            if vid is None or soc is None:
                continue
            before = planned_soc.get(int(vid))
            if before is None or abs(float(soc) - before) >= SOC_TRIGGER_PCT:
                planned_soc[int(vid)] = float(soc)
                if before is not None:
                    wake.set()

    consumers = [
        Consumer(platform.bus, flows.REPLAN_TOPIC, "charging.replanner", _name(), on_request),
        Consumer(platform.bus, POSITIONS, "charging.soc", _name(), on_positions),
    ]
    running: list[asyncio.Task[None]] = [asyncio.create_task(c.run(stop)) for c in consumers]
    trigger = "start"
    try:
        while not stop.is_set():
            try:
                async with platform.db.session() as session:
                    await flows.replan(session, settings, bus=platform.bus, trigger=trigger)
            except Exception:
                log.exception("charging: re-plan failed")
            wake.clear()
            waiter = asyncio.create_task(wake.wait())
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait(
                {waiter, stopper}, timeout=settings.replan_every_s, return_when="FIRST_COMPLETED"
            )
            waiter.cancel()
            stopper.cancel()
            trigger = "change" if waiter in done else "timer"
            if waiter in done and settings.replan_debounce_s:
                await asyncio.wait({asyncio.create_task(stop.wait())}, timeout=settings.replan_debounce_s)
    finally:
        for consumer in running:
            consumer.cancel()
        await asyncio.gather(*running, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class DetectedSession:
    vehicle_id: int
    started_at: datetime
    ended_at: datetime
    soc_before: float
    soc_after: float
    lat: float | None
    lon: float | None


@dataclass
class _Open:
    started_at: datetime
    soc_before: float
    soc_last: float
    rose_at: datetime
    lat: float | None
    lon: float | None


class ChargingDetector:
    """Sans-I/O: feed stored-position events of one or many cars in time order, get finished sessions back."""

    QUIET = timedelta(minutes=20)
    MIN_GAIN_PCT = 2.0

    def __init__(self) -> None:
        self.open: dict[int, _Open] = {}
        self.last: dict[int, tuple[datetime, float]] = {}

    def feed(self, event: dict[str, Any]) -> DetectedSession | None:
        vid, soc, when = event.get("vehicle_id"), event.get("soc_pct"), event.get("time")
        if vid is None or soc is None or when is None:
            return None
        vid, soc, at = int(vid), float(soc), datetime.fromisoformat(when)
        moving = bool(event.get("moving")) or (event.get("speed_kmh") or 0) > 3
        charging_flag = event.get("charge_state")
        previous = self.last.get(vid)
        self.last[vid] = (at, soc)
        current = self.open.get(vid)
        if current is not None:
            quiet = soc <= current.soc_last and at - current.rose_at >= self.QUIET
            if moving or quiet or charging_flag in (3, 4):  # GB/T 32960: 3 not charging, 4 charge complete
                del self.open[vid]
                return self._finish(vid, current, current.rose_at if quiet else at)
            if soc > current.soc_last:
                current.soc_last, current.rose_at = soc, at
            return None
        rising = previous is not None and soc > previous[1] and not moving
        if rising or charging_flag == 1:  # 1: parked and charging
            start_soc = previous[1] if previous is not None else soc
            start_at = previous[0] if previous is not None else at
            self.open[vid] = _Open(start_at, start_soc, soc, at, event.get("lat"), event.get("lon"))
        return None

    def _finish(self, vid: int, s: _Open, ended: datetime) -> DetectedSession | None:
        if s.soc_last - s.soc_before < self.MIN_GAIN_PCT or ended <= s.started_at:
            return None
        return DetectedSession(vid, s.started_at, ended, s.soc_before, s.soc_last, s.lat, s.lon)


async def store_detected(platform: Any, found: DetectedSession, settings: ChargingSettings) -> None:
    """Record a detected session (a duplicate or a car without a budget line is logged and skipped)."""
    async with platform.db.session() as session:
        try:
            car = await fleet.get_vehicle(session, None, found.vehicle_id)
            if not car.battery_kwh:
                return
            energy = (found.soc_after - found.soc_before) / 100 * car.battery_kwh / 0.92
            site_id = None
            if found.lat is not None and found.lon is not None:
                for site in await service.list_sites(session, None):
                    near = site.lat is not None and site.lon is not None
                    if near and haversine_m(found.lat, found.lon, site.lat, site.lon) <= 300:  # type: ignore[arg-type]
                        site_id = site.id
            await service.record_session(
                session,
                car,
                started_at=found.started_at,
                ended_at=found.ended_at,
                energy_kwh=round(energy, 2),
                source="telematics",
                site_id=site_id,
                soc_before=found.soc_before,
                soc_after=found.soc_after,
                public_price=settings.public_price,
            )
            await session.commit()
        except DomainError as exc:
            log.warning("charging: session of car %s not recorded: %s", found.vehicle_id, exc.message)


async def record_sessions(platform: Any, stop: asyncio.Event) -> None:
    settings = _settings(platform)
    detector = ChargingDetector()

    async def handle(deliveries: Sequence[Delivery]) -> None:
        for d in deliveries:
            found = detector.feed(d.payload)
            if found is not None:
                await store_detected(platform, found, settings)

    await Consumer(platform.bus, POSITIONS, "charging.sessions", _name(), handle).run(stop)
