"""A small car-service centre to pool for, on the real Helsinki map: a client organ (leader approves, staff
book), a dispatcher, three drivers with logins, sedans, a van and a leader's car, a budget line; the depot is
the government building. Riders book trips starting within the next hour or two."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from gongwu.app.main import create_app
from gongwu.app.platform import Platform
from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.core.identity.models import OrgUnit, User
from gongwu.dispatch.pooling import worker
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.service import RoutingService
from gongwu.telematics.state import shared_state
from tests import factories as f
from tests.conftest import make_platform
from tests.dispatch.bookings.conftest import (  # noqa: F401  (shared fixtures: the imported map, fast passwords)
    GOV,
    MARKET,
    STATION,
    map_dir,
    quick_passwords,
    routing,
)

NORTH_SHORE = (60.17452, 24.94410)  # Kaisaniemenkatu, inside the city line


@dataclass
class Centre:
    organ: OrgUnit
    leader: User
    staff: User
    dispatcher: User
    drivers: list[tuple[User, int]]
    """(login, driver id)."""
    cars: dict[str, int]
    line_id: int


@pytest.fixture(scope="session", autouse=True)
def _stop_worker() -> Any:
    yield
    worker.shutdown()


@pytest.fixture
async def centre(db: Database) -> Centre:
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        root = await f.unit(s, name="机关事务管理局")
        pool = await f.unit(s, parent=root, name="公务用车服务中心")
        organ = await f.unit(s, name="发改委")
        leader = await f.user(s, organ, "approver", "requester", rank="director_general")
        staff = await f.user(s, organ, "requester")
        dispatcher = await f.user(s, pool, "dispatcher")
        drivers = []
        for name in ("马师傅", "朱师傅", "胡师傅"):
            login = await f.user(s, pool, "driver", rank="worker")
            d = await fleet.create_driver(
                s, name=name, unit_id=pool.id, licence_class="B1", licence_expiry=date(2031, 1, 1), user_id=login.id
            )
            drivers.append((login, d.id))
        cars = {
            "sedan1": (await f.vehicle(s, pool, seats=5, odometer_km=12000.0)).id,
            "sedan2": (await f.vehicle(s, pool, seats=5, odometer_km=34000.0)).id,
            "van": (await f.vehicle(s, pool, seats=7, make_model="别克 GL8", odometer_km=50000.0)).id,
            "leader": (await f.vehicle(s, pool, seats=5, dedicated=True)).id,
        }
        line = await f.budget_line(s, organ, 10_000)
        await s.commit()
    return Centre(organ, leader, staff, dispatcher, drivers, cars, line.id)


@pytest.fixture
def pooling_settings(centre: Centre) -> PoolingSettings:
    """Cars without a live position start at the government building; the test centre has no JGSWJ-GWYC
    code, so every active driver is planned for."""
    return PoolingSettings(depot=GOV, time_limit_s=0.4, planner_enabled=False)


@pytest.fixture
def platform(db: Database, pooling_settings: PoolingSettings) -> Platform:
    built = make_platform(db)
    built.settings = dataclasses.replace(
        built.settings, pooling=pooling_settings, dispatch=DispatchSettings(city_area=None)
    )
    return built


@pytest.fixture
async def api(platform: Platform, routing: RoutingService) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
    app = create_app(platform=platform)
    app.state.routing = routing
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        yield client


def soon(minutes: float) -> datetime:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def trip(
    frm: tuple[float, float] = GOV,
    to: tuple[float, float] = STATION,
    start_in: float = 30,
    window: float = 60,
    passengers: int = 2,
    **over: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "赴火车站接调研组",
        "passengers": passengers,
        "pickup": {"lat": frm[0], "lon": frm[1], "address": "Bulevardi"},
        "dropoff": {"lat": to[0], "lon": to[1], "address": "Rautatientori"},
        "earliest_pickup": soon(start_in).isoformat(),
        "latest_arrival": soon(start_in + window).isoformat(),
        "category": "other",
        "poolable": True,
    }
    return body | over


async def approved(api: httpx.AsyncClient, centre: Centre, **kw: Any) -> dict[str, Any]:
    """A booking of the staff member, approved by the leader."""
    staff, leader = await f.login(api, centre.staff), await f.login(api, centre.leader)
    r = await api.post("/api/bookings", json=trip(**kw), headers=staff)
    assert r.status_code == 201, r.text
    booking = r.json()
    r = await api.post(f"/api/bookings/{booking['id']}/approve", headers=leader)
    assert r.status_code == 200, r.text
    return dict(r.json())


async def put_car(platform: Platform, vehicle_id: int, at: tuple[float, float]) -> None:
    """The car reports a live position (as the telematics live state would hold it)."""
    now = datetime.now(UTC)
    await shared_state(platform.bus).live.apply(
        [
            {
                "vehicle_id": vehicle_id,
                "lat": at[0],
                "lon": at[1],
                "ts": now.timestamp(),
                "time": now.isoformat(),
                "ignition": True,
                "moving": False,
            }
        ]
    )


__all__ = ["GOV", "MARKET", "NORTH_SHORE", "STATION", "Centre", "approved", "put_car", "soon", "trip"]
