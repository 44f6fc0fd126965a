"""Geofence entries and exits: for each trusted point, which of the car's unit fences contain it; a change is an
``enter`` or ``exit`` event (stored, and published on ``telematics.geofence``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database
from gongwu.core.events import EventBus
from gongwu.telematics import topics
from gongwu.telematics.consumers.base import Car, Fleet, OrderedConsumer, Outbox, Point
from gongwu.telematics.consumers.rules import FenceIndex
from gongwu.telematics.models import GeofenceEvent

__all__ = ["GeofencesConsumer"]


class GeofencesConsumer(OrderedConsumer):
    name = "geofences"

    def __init__(self, db: Database, bus: EventBus, fleet: Fleet, fences: FenceIndex) -> None:
        super().__init__(db, bus, fleet)
        self.fences = fences

    async def prepare(self, vehicle_ids: Sequence[int]) -> None:
        await super().prepare(vehicle_ids)
        await self.fences.prepare()

    async def apply(
        self, session: AsyncSession, car: Car, state: dict[str, Any], points: Sequence[Point], outbox: Outbox
    ) -> dict[str, Any]:
        fences = self.fences.fences(car.unit_chain)
        names = {f.id: f.name for f in fences}
        inside = {int(i) for i in state.get("inside", []) if int(i) in names}
        for p in points:
            if not p.placed:
                continue
            assert p.lat is not None and p.lon is not None
            now = {f.id for f in fences if f.contains(p.lat, p.lon)}
            for kind, changed in (("enter", now - inside), ("exit", inside - now)):
                for fence_id in sorted(changed):
                    session.add(
                        GeofenceEvent(
                            geofence_id=fence_id, vehicle_id=car.id, kind=kind, time=p.time, lat=p.lat, lon=p.lon
                        )
                    )
                    event = {
                        "kind": kind,
                        "geofence_id": fence_id,
                        "geofence": names[fence_id],
                        "vehicle_id": car.id,
                        "plate": car.plate,
                        "time": p.time.isoformat(),
                        "lat": p.lat,
                        "lon": p.lon,
                    }
                    outbox.append(("publish", topics.GEOFENCE, event))
            inside = now
        return {"inside": sorted(inside)}
