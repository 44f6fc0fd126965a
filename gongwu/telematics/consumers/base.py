"""What the bus consumers share: the stored position as they read it (:class:`Point`), a cache of the cars'
facts (:class:`Fleet`), and :class:`OrderedConsumer` — per-car state kept in ``track_state`` and applied in
device-time order, exactly once.

Several consumers of one kind may run side by side (one Redis consumer group, any number of processes). For
each batch a consumer locks the ``track_state`` rows of the cars in it (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite has one writer), applies only the points newer than the car's watermark, writes what they produced and
the new state, and commits — then the batch is acked on the bus. A consumer killed before the commit leaves its
batch pending; another claims it and applies it; one killed after the commit but before the ack is replayed,
and the watermark makes the replay a no-op.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.db import Database, utcnow
from gongwu.core.events import Delivery, EventBus
from gongwu.core.fleet.models import Vehicle
from gongwu.core.identity.models import OrgUnit
from gongwu.telematics.models import TrackState, VehicleLimit

__all__ = ["Car", "Fleet", "OrderedConsumer", "Outbox", "Point"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Point:
    """A stored position as published on ``telematics.positions``."""

    vehicle_id: int
    time: datetime
    lat: float | None
    lon: float | None
    speed_kmh: float
    ignition: bool | None
    moving: bool
    distance_m: float
    fuel_l: float | None
    soc_pct: float | None
    odometer_km: float | None
    alarms: frozenset[str]
    flags: int

    @classmethod
    def of(cls, payload: dict[str, Any]) -> Point:
        return cls(
            int(payload["vehicle_id"]),
            datetime.fromisoformat(payload["time"]),
            payload.get("lat"),
            payload.get("lon"),
            float(payload.get("speed_kmh") or 0.0),
            payload.get("ignition"),
            bool(payload.get("moving")),
            float(payload.get("distance_m") or 0.0),
            payload.get("fuel_l"),
            payload.get("soc_pct"),
            payload.get("odometer_km"),
            frozenset(payload.get("alarms") or ()),
            int(payload.get("flags") or 0),
        )

    @property
    def placed(self) -> bool:
        return self.lat is not None and self.lon is not None and not self.flags & (4 | 8)


@dataclass(frozen=True, slots=True)
class Car:
    """What the consumers need to know of a car."""

    id: int
    plate: str
    unit_id: int
    unit_chain: tuple[int, ...]
    """The car's unit and its ancestors, nearest first."""
    category: str
    energy_type: str
    battery_kwh: float | None
    speed_limit_kmh: float | None


class Fleet:
    """A cache of the cars (refreshed every ``ttl_s`` and on a miss)."""

    def __init__(self, db: Database, ttl_s: float = 60.0) -> None:
        self.db = db
        self.ttl_s = ttl_s
        self._cars: dict[int, Car] = {}
        self._loaded = 0.0

    async def get(self, vehicle_id: int) -> Car | None:
        await self.prepare([vehicle_id])
        return self._cars.get(vehicle_id)

    async def prepare(self, vehicle_ids: Iterable[int]) -> None:
        """Reload when stale or when a car is unknown (call outside a transaction: SQLite has one writer)."""
        if time.monotonic() - self._loaded > self.ttl_s or any(v not in self._cars for v in vehicle_ids):
            await self.refresh()

    def cached(self, vehicle_id: int) -> Car | None:
        return self._cars.get(vehicle_id)

    async def all(self) -> dict[int, Car]:
        if time.monotonic() - self._loaded > self.ttl_s:
            await self.refresh()
        return self._cars

    async def refresh(self) -> None:
        async with self.db.session() as session:
            paths = {u: p for u, p in await session.execute(select(OrgUnit.id, OrgUnit.path))}
            limits = {
                v: s for v, s in await session.execute(select(VehicleLimit.vehicle_id, VehicleLimit.speed_limit_kmh))
            }
            rows = await session.execute(
                select(
                    Vehicle.id,
                    Vehicle.plate,
                    Vehicle.unit_id,
                    Vehicle.category,
                    Vehicle.energy_type,
                    Vehicle.battery_kwh,
                )
            )
            cars = {}
            for vid, plate, unit_id, category, energy, battery in rows:
                chain = tuple(int(x) for x in reversed(paths.get(unit_id, "").strip("/").split("/")) if x)
                cars[vid] = Car(vid, plate, unit_id, chain or (unit_id,), category, energy, battery, limits.get(vid))
        self._cars = cars
        self._loaded = time.monotonic()


Outbox = list[tuple[str, str, dict[str, Any]]]
"""What to send once the transaction committed: ("publish" | "broadcast", topic or channel, payload)."""


class OrderedConsumer:
    """Applies each car's new points in device-time order, exactly once (see the module docstring)."""

    name = "ordered"

    def __init__(self, db: Database, bus: EventBus, fleet: Fleet) -> None:
        self.db = db
        self.bus = bus
        self.fleet = fleet

    async def prepare(self, vehicle_ids: Sequence[int]) -> None:
        """Refresh what ``apply`` reads from caches, before the transaction opens."""
        await self.fleet.prepare(vehicle_ids)

    async def load(self, session: AsyncSession, states: dict[int, TrackState]) -> None:
        """Load what ``apply`` will read for the whole batch at once, inside its transaction (the rows go to the
        session's identity map: one query per batch, not one per car)."""

    async def apply(
        self, session: AsyncSession, car: Car, state: dict[str, Any], points: Sequence[Point], outbox: Outbox
    ) -> dict[str, Any]:
        """Apply a car's fresh points (time order) to its state; add rows to ``session``; return the new state."""
        raise NotImplementedError

    async def handle(self, deliveries: Sequence[Delivery]) -> None:
        by_car: dict[int, list[Point]] = defaultdict(list)
        for delivery in deliveries:
            try:
                point = Point.of(delivery.payload)
            except (KeyError, TypeError, ValueError):
                log.warning("%s: skipping a malformed position event %s", self.name, delivery.id)
                continue
            by_car[point.vehicle_id].append(point)
        if not by_car:
            return
        for attempt in range(3):
            try:
                outbox = await self._apply_all(by_car)
                break
            except IntegrityError:  # two consumers created the same car's state at once: try again
                if attempt == 2:
                    raise
        await self.send(outbox)

    async def _apply_all(self, by_car: dict[int, list[Point]]) -> Outbox:
        outbox: Outbox = []
        await self.prepare(sorted(by_car))
        async with self.db.session() as session:
            states = await lock_states(session, self.name, sorted(by_car))
            await self.load(session, states)
            for vehicle_id in sorted(by_car):
                car = self.fleet.cached(vehicle_id)
                if car is None:
                    continue
                row = states[vehicle_id]
                points = sorted(by_car[vehicle_id], key=lambda p: p.time)
                if row.watermark is not None:
                    points = [p for p in points if p.time > row.watermark]
                if not points:
                    continue
                row.state = await self.apply(session, car, dict(row.state), points, outbox)
                row.watermark = points[-1].time
                row.updated_at = utcnow()
            await session.commit()
        return outbox

    async def send(self, outbox: Outbox) -> None:
        for kind, name, payload in outbox:
            try:
                if kind == "publish":
                    await self.bus.publish(name, payload)
                else:
                    await self.bus.broadcast(name, payload)
            except Exception:
                log.exception("%s: sending %s on %s failed", self.name, kind, name)


async def lock_states(session: AsyncSession, consumer: str, vehicle_ids: Iterable[int]) -> dict[int, TrackState]:
    """The consumer's state rows of these cars, created if missing, locked until the transaction ends."""
    ids = list(vehicle_ids)
    dialect = session.get_bind().dialect.name
    values = [{"consumer": consumer, "vehicle_id": v, "state": {}, "updated_at": utcnow()} for v in ids]
    if values:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(TrackState).values(values).on_conflict_do_nothing()
        await session.execute(statement)
    query = (
        select(TrackState)
        .where(TrackState.consumer == consumer, TrackState.vehicle_id.in_(ids))
        .order_by(TrackState.vehicle_id)
        .execution_options(populate_existing=True)
    )
    if dialect == "postgresql":
        query = query.with_for_update()
    return {row.vehicle_id: row for row in (await session.scalars(query)).all()}
