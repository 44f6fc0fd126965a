"""The bus consumers: live state, trips and stops, geofences, alarms (and the offline watch).

Each kind reads ``telematics.positions`` in its own consumer group (``telematics.live``, ``telematics.trips``,
``telematics.geofences``, ``telematics.alarms``); start as many :class:`ConsumerService` processes as needed —
entries a killed one left pending are claimed by another after ``claim_idle_ms``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from typing import Any

from gongwu.core.db import Database
from gongwu.core.events import Consumer, EventBus
from gongwu.telematics import topics
from gongwu.telematics.consumers.alarms import ALARM_KINDS, AlarmsConsumer, OfflineWatch, alarm_json
from gongwu.telematics.consumers.base import Fleet, OrderedConsumer, Point
from gongwu.telematics.consumers.geofences import GeofencesConsumer
from gongwu.telematics.consumers.live import LiveConsumer, car_state, keep_live_state, live_item
from gongwu.telematics.consumers.rules import Calendars, FenceIndex, Seals
from gongwu.telematics.consumers.trips import TripsConsumer, trip_json
from gongwu.telematics.settings import TelematicsSettings
from gongwu.telematics.state import shared_state

__all__ = [
    "ALARM_KINDS",
    "AlarmsConsumer",
    "ConsumerService",
    "Fleet",
    "GeofencesConsumer",
    "LiveConsumer",
    "OfflineWatch",
    "OrderedConsumer",
    "Point",
    "TripsConsumer",
    "alarm_json",
    "car_state",
    "live_item",
    "trip_json",
]

GROUPS = {
    "live": "telematics.live",
    "trips": "telematics.trips",
    "geofences": "telematics.geofences",
    "alarms": "telematics.alarms",
}


class ConsumerService:
    """Every consumer kind in one process (``kinds`` to run only some)."""

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        settings: TelematicsSettings,
        *,
        timezone: str,
        name: str | None = None,
        kinds: tuple[str, ...] = ("live", "trips", "geofences", "alarms"),
        claim_idle_ms: int = 15_000,
        rules_ttl_s: float = 30.0,
        live_check_s: float = 10.0,
    ) -> None:
        self.db = db
        self.live_check_s = live_check_s
        self.bus = bus
        self.name = name or f"{socket.gethostname()}-{os.getpid()}"
        self.kinds = kinds
        self.claim_idle_ms = claim_idle_ms
        live_store = shared_state(bus).live
        self.fleet = Fleet(db)
        self.fences = FenceIndex(db, rules_ttl_s)
        self.calendars = Calendars(db, timezone, rules_ttl_s)
        self.seals = Seals(db, rules_ttl_s)
        self.live = LiveConsumer(bus, live_store, self.fleet, settings.offline_after_s)
        self.trips = TripsConsumer(
            db, bus, self.fleet, timezone=timezone, stop_after_s=settings.trip_stop_after_s, gap_s=settings.trip_gap_s
        )
        self.geofences = GeofencesConsumer(db, bus, self.fleet, self.fences)
        self.alarms = AlarmsConsumer(
            db,
            bus,
            self.fleet,
            self.fences,
            self.calendars,
            self.seals,
            default_speed_limit_kmh=settings.default_speed_limit_kmh,
            low_soc_pct=settings.low_soc_pct,
        )
        self.offline = OfflineWatch(db, bus, self.fleet, live_store, settings.offline_alarm_after_s)

    def consumers(self) -> list[Consumer]:
        handlers: dict[str, Any] = {
            "live": self.live.positions,
            "trips": self.trips.handle,
            "geofences": self.geofences.handle,
            "alarms": self.alarms.handle,
        }
        out = [
            Consumer(
                self.bus,
                topics.POSITIONS,
                GROUPS[kind],
                self.name,
                handlers[kind],
                batch=500,
                block_ms=200,
                min_idle_ms=self.claim_idle_ms,
                claim_every_s=max(1.0, self.claim_idle_ms / 3000),
            )
            for kind in self.kinds
        ]
        if "live" in self.kinds:
            out.append(Consumer(self.bus, topics.SESSIONS, "telematics.live-sessions", self.name, self.live.sessions))
        return out

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(c.run(stop), name=f"telematics-{c.group}") for c in self.consumers()]
        if "alarms" in self.kinds:
            tasks.append(asyncio.create_task(self.offline.run(stop), name="telematics-offline"))
        if "live" in self.kinds:
            keeper = keep_live_state(self.db, self.live.live, stop, self.live_check_s)
            tasks.append(asyncio.create_task(keeper, name="telematics-live-keeper"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
