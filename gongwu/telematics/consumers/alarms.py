"""Alarms from the cars' data: overspeed (the car's own limit, a speed zone's, or the default), use outside working
hours or during a sealed period, leaving the approved area, power cut and tampering (JT/T 808 alarm bits), low
SOC and battery faults (GB/T 32960), and a terminal silent for too long (:class:`OfflineWatch`).

An alarm is raised once per episode: while its condition lasts nothing new is raised; when the condition ends
the alarm is marked cleared (it stays open until a person acknowledges it). Raising, clearing and acknowledging
are published on ``telematics.alarms`` and broadcast to the consoles.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database, utcnow
from gongwu.core.events import EventBus
from gongwu.telematics import topics
from gongwu.telematics.consumers.base import Car, Fleet, OrderedConsumer, Outbox, Point, lock_states
from gongwu.telematics.consumers.rules import Calendars, FenceIndex, Seals
from gongwu.telematics.models import Alarm
from gongwu.telematics.state import LiveStore

__all__ = ["ALARM_KINDS", "AlarmsConsumer", "OfflineWatch", "alarm_json"]

log = logging.getLogger(__name__)

ALARM_KINDS: dict[str, str] = {
    "overspeed": "warning",
    "outside_hours": "warning",
    "sealed_use": "critical",
    "area_exit": "warning",
    "power_cut": "critical",
    "tamper": "critical",
    "sos": "critical",
    "collision": "critical",
    "low_soc": "warning",
    "battery": "critical",
    "offline": "warning",
}
"""Alarm kinds and their severity."""

_TERMINAL: dict[str, str] = {
    "power_cut": "power_cut",
    "sos": "sos",
    "collision": "collision",
    "rollover": "collision",
    "gnss_antenna_cut": "tamper",
    "illegal_ignition": "tamper",
    "illegal_movement": "tamper",
    "illegal_door_open": "tamper",
    "stolen": "tamper",
    "soc_low": "low_soc",
}
_BATTERY = frozenset(
    {
        "battery_temp_difference",
        "battery_high_temp",
        "pack_overvoltage",
        "pack_undervoltage",
        "cell_overvoltage",
        "cell_undervoltage",
        "soc_jump",
        "pack_overcharge",
        "insulation",
        "hv_interlock",
        "battery_thermal_event",
    }
)


def alarm_json(alarm: Alarm, plate: str | None = None) -> dict[str, Any]:
    return {
        "id": alarm.id,
        "vehicle_id": alarm.vehicle_id,
        "plate": plate,
        "unit_id": alarm.unit_id,
        "kind": alarm.kind,
        "severity": alarm.severity,
        "status": alarm.status,
        "started_at": alarm.started_at.isoformat(),
        "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
        "lat": alarm.lat,
        "lon": alarm.lon,
        "speed_kmh": alarm.speed_kmh,
        "details": alarm.details or {},
        "ack_by": alarm.ack_by_name,
        "ack_at": alarm.ack_at.isoformat() if alarm.ack_at else None,
        "ack_note": alarm.ack_note,
    }


def _announce(outbox: Outbox, alarm: Alarm, plate: str, event: str) -> None:
    payload = {"event": event, "alarm": alarm_json(alarm, plate)}
    outbox.append(("publish", topics.ALARMS, payload))
    outbox.append(("broadcast", topics.ALARM_CHANNEL, payload))


class AlarmsConsumer(OrderedConsumer):
    name = "alarms"

    def __init__(
        self,
        db: Database,
        bus: EventBus,
        fleet: Fleet,
        fences: FenceIndex,
        calendars: Calendars,
        seals: Seals,
        *,
        default_speed_limit_kmh: float = 120.0,
        low_soc_pct: float = 15.0,
    ) -> None:
        super().__init__(db, bus, fleet)
        self.fences = fences
        self.calendars = calendars
        self.seals = seals
        self.default_limit = default_speed_limit_kmh
        self.low_soc = low_soc_pct

    async def prepare(self, vehicle_ids: Sequence[int]) -> None:
        await super().prepare(vehicle_ids)
        for cache in (self.fences, self.calendars, self.seals):
            await cache.prepare()

    def conditions(self, car: Car, p: Point) -> dict[str, dict[str, Any]]:
        """The alarm conditions that hold at this point, with their details."""
        found: dict[str, dict[str, Any]] = {}
        for name in p.alarms:
            kind = _TERMINAL.get(name) or ("battery" if name in _BATTERY else None)
            if kind is not None:
                found.setdefault(kind, {"signals": []})["signals"].append(name)
        if p.soc_pct is not None and car.energy_type != "fuel" and p.soc_pct < self.low_soc:
            found.setdefault("low_soc", {})["soc_pct"] = p.soc_pct
        fences = self.fences.fences(car.unit_chain) if p.placed else []
        assert not fences or (p.lat is not None and p.lon is not None)
        inside = [f for f in fences if f.contains(p.lat, p.lon)] if fences else []  # type: ignore[arg-type]
        limit, zone = car.speed_limit_kmh or self.default_limit, None
        for fence in inside:
            if fence.speed_limit_kmh and fence.speed_limit_kmh < limit:
                limit, zone = fence.speed_limit_kmh, fence.name
        if p.speed_kmh > limit and not p.flags & 64:
            found["overspeed"] = {"limit_kmh": limit, "zone": zone, "speed_kmh": p.speed_kmh}
        approved = [f for f in fences if f.approved_area]
        if approved and not any(f.approved_area for f in inside):
            found["area_exit"] = {"areas": [f.name for f in approved]}
        in_use = p.moving or bool(p.ignition)
        if in_use:
            sealed = self.seals.sealed(car.id, car.unit_chain, p.time)
            if sealed is not None:
                found["sealed_use"] = {"seal": sealed}
            elif self.calendars.outside_hours(car.unit_chain, car.category, p.time):
                found["outside_hours"] = {}
        return found

    async def apply(
        self, session: AsyncSession, car: Car, state: dict[str, Any], points: Sequence[Point], outbox: Outbox
    ) -> dict[str, Any]:
        active: dict[str, int] = {k: int(v) for k, v in state.get("active", {}).items()}
        for p in points:
            if "offline" in active:  # the terminal speaks again
                await self._clear(session, car, active.pop("offline"), p.time, outbox)
            holding = self.conditions(car, p)
            for kind, details in holding.items():
                if kind not in active:
                    alarm = raise_alarm(session, car, kind, p.time, details, p.lat, p.lon, p.speed_kmh)
                    await session.flush()
                    active[kind] = alarm.id
                    _announce(outbox, alarm, car.plate, "raised")
            for kind in [k for k in active if k not in holding and (k != "area_exit" or p.placed)]:
                await self._clear(session, car, active.pop(kind), p.time, outbox)
        return {"active": active}

    async def _clear(self, session: AsyncSession, car: Car, alarm_id: int, when: datetime, outbox: Outbox) -> None:
        alarm = await session.get(Alarm, alarm_id)
        if alarm is not None and alarm.cleared_at is None:
            alarm.cleared_at = when
            await session.flush()
            _announce(outbox, alarm, car.plate, "cleared")


def raise_alarm(
    session: AsyncSession,
    car: Car,
    kind: str,
    when: datetime,
    details: dict[str, Any],
    lat: float | None = None,
    lon: float | None = None,
    speed_kmh: float | None = None,
) -> Alarm:
    alarm = Alarm(
        vehicle_id=car.id,
        unit_id=car.unit_id,
        kind=kind,
        severity=ALARM_KINDS[kind],
        status="open",
        started_at=when,
        lat=lat,
        lon=lon,
        speed_kmh=speed_kmh,
        details=details or None,
    )
    session.add(alarm)
    return alarm


class OfflineWatch:
    """Raises an ``offline`` alarm for a car whose terminal has been silent longer than the limit (cleared by
    its next position). Runs beside the alarms consumer; uses the same per-car state, so it never doubles."""

    def __init__(self, db: Database, bus: EventBus, fleet: Fleet, live: LiveStore, after_s: float) -> None:
        self.db = db
        self.bus = bus
        self.fleet = fleet
        self.live = live
        self.after = timedelta(seconds=after_s)
        self._sender = OrderedConsumer(db, bus, fleet)

    async def check(self, now: datetime | None = None) -> list[int]:
        """One pass; returns the cars alarmed."""
        now = now or utcnow()
        silent = []
        for vehicle_id, record in (await self.live.get()).items():
            ts = record.get("ts")
            if ts is not None and now.timestamp() - float(ts) > self.after.total_seconds():
                silent.append(vehicle_id)
        if not silent:
            return []
        outbox: Outbox = []
        raised = []
        await self.fleet.prepare(silent)
        records = await self.live.get(silent)
        async with self.db.session() as session:
            states = await lock_states(session, AlarmsConsumer.name, sorted(silent))
            for vehicle_id in sorted(silent):
                car = self.fleet.cached(vehicle_id)
                row = states[vehicle_id]
                active = dict(row.state.get("active", {}))
                if car is None or "offline" in active:
                    continue
                last = datetime.fromtimestamp(float(records[vehicle_id]["ts"]), now.tzinfo)
                alarm = raise_alarm(session, car, "offline", now, {"last_seen": last.isoformat()})
                await session.flush()
                active["offline"] = alarm.id
                row.state = {**row.state, "active": active}
                raised.append(vehicle_id)
                _announce(outbox, alarm, car.plate, "raised")
            await session.commit()
        await self._sender.send(outbox)
        return raised

    async def run(self, stop: asyncio.Event, every_s: float = 30.0) -> None:
        while not stop.is_set():
            try:
                await self.check()
            except Exception:
                log.exception("offline watch failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
