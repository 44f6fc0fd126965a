"""Live state: the last position and status of every car (Redis hash or memory, see :mod:`..state`), and the
fan-out of each applied batch to the consoles on the ``telematics.live`` channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gongwu.core.events import Delivery, EventBus
from gongwu.telematics import topics
from gongwu.telematics.consumers.base import Fleet
from gongwu.telematics.state import LiveStore

__all__ = ["LiveConsumer", "car_state", "live_item", "record_of"]


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
