"""Live state: the last position and status of every car (Redis hash or memory, see :mod:`..state`), and the
fan-out of each applied batch to the consoles on the ``telematics.live`` channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text

from gongwu.core.db import Database, utcnow
from gongwu.core.events import Delivery, EventBus
from gongwu.core.fleet.models import Vehicle
from gongwu.telematics import topics
from gongwu.telematics.consumers.base import Fleet
from gongwu.telematics.models import PositionRow
from gongwu.telematics.state import LiveStore

__all__ = ["LiveConsumer", "car_state", "keep_live_state", "live_item", "rebuild_live_state", "record_of"]

log = logging.getLogger(__name__)

REBUILD_DAYS = 7
"""A lost live state is rebuilt from the positions of this many days (a car silent longer shows no place)."""
_MOVING_KMH = 3.0

_LAST_PG = text(
    """SELECT p.vehicle_id, p.terminal_id, p.device_time, p.lat, p.lon, p.speed_kmh, p.course, p.ignition,
              p.odometer_km, p.fuel_l, p.soc_pct, p.alarms
       FROM vehicle v CROSS JOIN LATERAL (
           SELECT * FROM vehicle_position q
           WHERE q.vehicle_id = v.id AND q.device_time > :since AND q.lat IS NOT NULL
           ORDER BY q.device_time DESC LIMIT 1) p"""
)


def record_of(payload: dict[str, Any]) -> dict[str, Any]:
    """The live record of a stored position event."""
    when = datetime.fromisoformat(payload["time"])
    return {
        "vehicle_id": int(payload["vehicle_id"]),
        "terminal_id": payload.get("terminal_id"),
        "ts": when.timestamp(),
        "time": payload["time"],
        "lat": payload.get("lat"),
        "lon": payload.get("lon"),
        "speed_kmh": payload.get("speed_kmh"),
        "course": payload.get("course"),
        "ignition": payload.get("ignition"),
        "moving": bool(payload.get("moving")),
        "soc": payload.get("soc_pct"),
        "fuel_l": payload.get("fuel_l"),
        "odometer_km": payload.get("odometer_km"),
        "signals": payload.get("alarms") or [],
    }


def car_state(record: dict[str, Any] | None, now: float, offline_after_s: float, alarmed: bool = False) -> str:
    """moving | idle | off | offline | alarm (an open alarm wins; then silence)."""
    if alarmed:
        return "alarm"
    if record is None or record.get("ts") is None or now - float(record["ts"]) > offline_after_s:
        return "offline"
    if record.get("moving"):
        return "moving"
    return "idle" if record.get("ignition") else "off"


def live_item(
    vehicle_id: int,
    plate: str,
    unit_id: int,
    record: dict[str, Any] | None,
    *,
    now: float,
    offline_after_s: float,
    alarms: list[str] | None = None,
) -> dict[str, Any]:
    """One car as ``GET /api/telematics/live`` and the WebSocket describe it."""
    r = record or {}
    item = {
        "vehicle_id": vehicle_id,
        "plate": plate,
        "unit_id": unit_id,
        "lat": r.get("lat"),
        "lon": r.get("lon"),
        "speed_kmh": r.get("speed_kmh"),
        "course": r.get("course"),
        "state": car_state(record, now, offline_after_s, bool(alarms)),
        "ignition": r.get("ignition"),
        "soc": r.get("soc"),
        "fuel_l": r.get("fuel_l"),
        "odometer_km": r.get("odometer_km"),
        "time": r.get("time"),
        "driver": r.get("driver"),
    }
    if alarms is not None:
        item["alarms"] = alarms
    return item


def _record(row: Any) -> dict[str, Any]:
    vid, terminal_id, when, lat, lon, speed, course, ignition, odometer, fuel, soc, alarms = row
    return record_of(
        {
            "vehicle_id": vid,
            "terminal_id": terminal_id,
            "time": when.isoformat(),
            "lat": lat,
            "lon": lon,
            "speed_kmh": speed,
            "course": course,
            "ignition": ignition,
            "moving": (speed or 0.0) >= _MOVING_KMH,
            "soc_pct": soc,
            "fuel_l": fuel,
            "odometer_km": odometer,
            "alarms": alarms.split(",") if alarms else [],
        }
    )


async def rebuild_live_state(db: Database, live: LiveStore, days: int = REBUILD_DAYS) -> int:
    """Fill the live store with every car's last stored position (newer records already there win)."""
    since = utcnow() - timedelta(days=days)
    records: list[dict[str, Any]] = []
    async with db.session() as session:
        if db.is_postgres:  # one index probe per car and day partition, not a scan of the days
            rows = (await session.execute(_LAST_PG, {"since": since})).all()
        else:
            rows = []
            names = ("vehicle_id", "terminal_id", "device_time", "lat", "lon", "speed_kmh", "course", "ignition",
                     "odometer_km", "fuel_l", "soc_pct", "alarms")  # fmt: skip
            columns = [getattr(PositionRow, name) for name in names]
            for vid in (await session.scalars(select(Vehicle.id))).all():
                query = select(*columns).where(
                    PositionRow.vehicle_id == vid, PositionRow.device_time > since, PositionRow.lat.is_not(None)
                )
                row = (await session.execute(query.order_by(PositionRow.device_time.desc()).limit(1))).first()
                if row is not None:
                    rows.append(row)
        records = [_record(r) for r in rows]
    for start in range(0, len(records), 500):
        await live.apply(records[start : start + 500])
    await live.mark_built()
    return len(records)


async def keep_live_state(db: Database, live: LiveStore, stop: asyncio.Event, every_s: float = 10.0) -> None:
    """Rebuild the live state at start and whenever it was lost (Redis restarted without its data)."""
    while not stop.is_set():
        try:
            if not await live.built():
                cars = await rebuild_live_state(db, live)
                log.warning("live state rebuilt from the database: %d cars", cars)
        except Exception as exc:
            log.warning("rebuilding the live state failed (%s); trying again", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every_s)


class LiveConsumer:
    """Reads ``telematics.positions`` (group ``telematics.live``) and ``telematics.sessions``."""

    def __init__(self, bus: EventBus, live: LiveStore, fleet: Fleet, offline_after_s: float) -> None:
        self.bus = bus
        self.live = live
        self.fleet = fleet
        self.offline_after_s = offline_after_s

    async def positions(self, deliveries: Sequence[Delivery]) -> None:
        records = [record_of(d.payload) for d in deliveries if "vehicle_id" in d.payload and "time" in d.payload]
        stored = await self.live.apply(records)
        if not stored:
            return
        now = datetime.now().timestamp()
        items = []
        for record in stored:
            car = await self.fleet.get(int(record["vehicle_id"]))
            if car is None:
                continue
            items.append(
                live_item(car.id, car.plate, car.unit_id, record, now=now, offline_after_s=self.offline_after_s)
            )
        for start in range(0, len(items), 500):
            await self.bus.broadcast(topics.LIVE_CHANNEL, {"items": items[start : start + 500]})

    async def sessions(self, deliveries: Sequence[Delivery]) -> None:
        for delivery in deliveries:
            payload = delivery.payload
            if payload.get("kind") == "driver" and payload.get("vehicle_id") is not None:
                await self.live.patch(int(payload["vehicle_id"]), {"driver": payload.get("driver")})
