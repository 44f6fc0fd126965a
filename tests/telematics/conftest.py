"""Fixtures of the telematics tests: a running gateway service (real TCP on free loopback ports) over the test's
database and bus, and cars with provisioned terminals."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

import gongwu.telematics.permissions  # noqa: F401  (registers the telematics permissions)
from gongwu.core.db import Database
from gongwu.core.events import EventBus, MemoryBus
from gongwu.core.fleet.models import Vehicle
from gongwu.devices.sim import Jt808Terminal, ring_path
from gongwu.telematics import terminals
from gongwu.telematics.gateway import GatewayService
from gongwu.telematics.models import PositionRow
from gongwu.telematics.settings import TelematicsSettings
from tests import factories

HOST = "127.0.0.1"


def gateway_settings(**overrides: Any) -> TelematicsSettings:
    values: dict[str, Any] = {
        "jt808_port": 0,
        "gb32960_port": 0,
        "nmea_port": 0,
        "batch_max_ms": 10.0,
        "gateway_id": "gw-test",
    }
    return TelematicsSettings(**(values | overrides))


@dataclass
class Car:
    vehicle: Vehicle
    terminal_id: int
    identifier: str


async def provision_car(
    db: Database, *, protocol: str = "jt808", identifier: str = "13800000001", energy: str = "fuel", unit: Any = None
) -> Car:
    async with db.session() as session:
        at = unit or await factories.unit(session)
        vehicle = await factories.vehicle(session, at, energy_type=energy)
        if protocol == "gb32960":
            identifier = vehicle.vin or identifier
        terminal = await terminals.provision(session, protocol=protocol, identifier=identifier, vehicle_id=vehicle.id)
        await session.commit()
        return Car(vehicle, terminal.id, terminal.identifier)


def ring_fleet(
    cars: list[Car], ports: list[int], *, interval_s: float, reports: int | list[int], ack_timeout_s: float = 1.0
) -> list[Jt808Terminal]:
    """One simulated JT/T 808 terminal per car, each driving a ring of its own, spread over ``ports`` in turn;
    ``reports``: how many each sends (one count for all, or one per car)."""
    counts = reports if isinstance(reports, list) else [reports] * len(cars)
    return [
        Jt808Terminal(
            car.identifier,
            host=HOST,
            port=ports[i % len(ports)],
            path=ring_path(39.90 + i / 100, 116.40, 700),
            interval_s=interval_s,
            reports=counts[i],
            ack_timeout_s=ack_timeout_s,
            reconnect_s=0.5,
            plate=car.vehicle.plate,
        )
        for i, car in enumerate(cars)
    ]


async def pending_positions(bus: EventBus) -> list[int | None]:
    """Events delivered to the trips and live consumers and not yet acknowledged; None while a group is missing
    (a bus that came back empty, before the consumers made their groups again)."""
    counts: list[int | None] = []
    for group in ("telematics.trips", "telematics.live"):
        try:
            counts.append(await bus.pending_count("telematics.positions", group))
        except LookupError:
            counts.append(None)
    return counts


async def stored(db: Database, vehicle_id: int | None = None) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(PositionRow)
        if vehicle_id is not None:
            query = query.where(PositionRow.vehicle_id == vehicle_id)
        return int(await session.scalar(query) or 0)


GatewayFactory = Callable[..., Awaitable[GatewayService]]


@pytest.fixture
async def gateways(db: Database) -> AsyncIterator[GatewayFactory]:
    """Start a gateway service on the test's database: ``service = await gateways(bus=…, **settings)``."""
    started: list[GatewayService] = []

    async def start(bus: EventBus | None = None, database: Database | None = None, **overrides: Any) -> GatewayService:
        service = GatewayService(database or db, bus or MemoryBus(), gateway_settings(**overrides))
        await service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        await service.stop()
