"""No route is open by accident, nobody sees or changes what is not theirs, and guessing is slow.

* Every route of ``create_app()`` declares its permission (a dependency from ``gongwu.core.http.require``) or is
  on an explicit list: public (login, refresh, health, readiness, metrics, the docs, the base map, the pages'
  shell), logged-in only (the caller's own profile and inbox), or the WebSocket that authenticates with its token
  — and each answers 401 without a token.
* Scoping, data-driven over the demo bureau: a unit's administrator and its leader call every GET route they
  may; no answer carries a car, a unit or a booking of another organ, and every detail route answers 404 (or
  403) for another organ's id and 200 for their own.
* Tampered, forged, ``alg: none``, expired and wrong-kind tokens are refused; logins are rate-limited per
  username and per address (429 with Retry-After; counted in Redis across processes); bodies are size-limited.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from pydantic import SecretStr
from sqlalchemy import text
from starlette.routing import Mount, Route

from gongwu.app.main import create_app
from gongwu.app.settings import load_settings
from gongwu.core.db import Database
from gongwu.core.events import RedisBus
from tests import factories as f
from tests.conftest import make_platform

PUBLIC = {
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/refresh"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),  # operational counters only; GONGWU_METRICS_TOKEN closes it
    ("GET", "/map/tiles/{z}/{x}/{y}.pbf"),  # the base map (public OpenStreetMap data)
    ("GET", "/map/style.json"),
    ("GET", "/"),  # the pages' shell: it logs in through the API
    ("GET", "/app"),
}
LOGGED_IN = {("GET", "/api/me"), ("GET", "/api/notifications"), ("POST", "/api/notifications/read")}
"""The caller's own things: any valid token, no permission."""
TOKEN_SOCKETS = {"/api/telematics/live/ws"}
"""WebSockets cannot send headers: they take ``?token=`` and check ``telematics.live.read`` themselves."""
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def _permissions(dependant: Any) -> list[str]:
    found = []
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if permission:
            found.append(permission)
        found += _permissions(dep)
    return found


def _needs_login(dependant: Any) -> bool:
    return any(
        getattr(d.call, "__name__", "") == "current_principal" or _needs_login(d) for d in dependant.dependencies
    )


def _routes() -> list[tuple[str, str, Any]]:
    app = create_app(load_settings(env="test"))
    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route if hasattr(context, "original_route") else context
        path = getattr(context, "path", None) or getattr(route, "path", "")
        out.append((path, type(route).__name__, route))
    return out


def test_every_route_declares_its_permission_or_is_listed() -> None:
    open_routes, seen = [], set()
    for path, _, route in _routes():
        if isinstance(route, APIRoute):
            for method in route.methods:
                seen.add((method, path))
                if (method, path) in PUBLIC | LOGGED_IN:
                    continue
                if not _permissions(route.dependant):
                    open_routes.append(f"{method} {path}")
            if any((m, path) in LOGGED_IN for m in route.methods):
                assert _needs_login(route.dependant), path
        elif isinstance(route, APIWebSocketRoute):
            assert route.path in TOKEN_SOCKETS, f"WebSocket {route.path} is not known to authenticate"
        elif isinstance(route, Route):
            assert route.path in DOCS or any((m, route.path) in PUBLIC for m in route.methods or ()), route.path
        else:
            assert isinstance(route, Mount) and route.path in {"/static", "/vendor/maplibre-gl"}, route
    assert open_routes == [], "routes without a permission: " + ", ".join(open_routes)
    assert seen >= PUBLIC | LOGGED_IN, (PUBLIC | LOGGED_IN) - seen  # the lists name real routes
    assert len(seen) > 120


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path).replace("{kind}.{fmt}", "x.csv")


async def test_every_protected_route_answers_401_without_a_token(api: httpx.AsyncClient) -> None:
    checked = 0
    for path, _, route in _routes():
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            if (method, path) in PUBLIC:
                continue
            response = await api.request(method, _concrete(path), json={} if method != "GET" else None)
            assert response.status_code == 401, f"{method} {path}: {response.status_code} {response.text[:200]}"
            checked += 1
    assert checked > 120


async def test_the_live_websocket_refuses_a_missing_or_bad_token(db: Database) -> None:
    from starlette.testclient import TestClient
    from starlette.websockets import WebSocketDisconnect

    app = create_app(platform=make_platform(db))
    with TestClient(app) as client:
        for url in ("/api/telematics/live/ws", "/api/telematics/live/ws?token=not-a-token"):
            with client.websocket_connect(url) as ws:
                assert ws.receive_json()["type"] == "error"
                with pytest.raises(WebSocketDisconnect) as closed:
                    ws.receive_json()
                assert closed.value.code == 4401


# -- tokens -----------------------------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def test_unsigned_forged_and_malformed_tokens_are_refused(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        who = await f.user(s, await f.unit(s), "admin")
        await s.commit()
    headers = await f.login(api, who)
    good = headers["Authorization"].split()[1]
    head, body, _ = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{body}."
    other_user = f"{head}.{_b64(claims | {'sub': str(who.id + 1)})}.{good.split('.')[2]}"
    no_expiry = f"{head}.{_b64({k: v for k, v in claims.items() if k != 'exp'})}.{good.split('.')[2]}"
    for token in (unsigned, other_user, no_expiry, "garbage", "a.b.c", good + "x", ""):
        response = await api.get("/api/users", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    assert (await api.get("/api/users", headers={"Authorization": good})).status_code == 401  # no "Bearer"
    assert (await api.get("/api/users", headers=headers)).status_code == 200


# -- login rate limit ---------------------------------------------------------------------------------------


def _limited_platform(db: Database, bus: Any = None, **core: Any) -> Any:
    platform = make_platform(db, bus)
    platform.settings = type(platform.settings)(
        **{**platform.settings.__dict__, "core": platform.settings.core.model_copy(update=core)}
    )
    return platform


@pytest.fixture
async def limited(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    platform = _limited_platform(db, login_max_failures=3, login_max_failures_per_address=6)
    transport = httpx.ASGITransport(app=create_app(platform=platform), client=("10.0.0.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        yield client


async def test_logins_are_limited_per_username_and_per_address(limited: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        unit = await f.unit(s)
        victim, other = await f.user(s, unit), await f.user(s, unit)
        await s.commit()
    wrong = {"username": victim.username, "password": "guess"}
    for _ in range(3):
        assert (await limited.post("/api/auth/login", json=wrong)).status_code == 401
    refused = await limited.post("/api/auth/login", json={"username": victim.username, "password": f.PASSWORD})
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "auth.too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    # another user from the same address may still log in (below the address's limit), and succeeding resets
    assert (await limited.post("/api/auth/login", json={"username": other.username, "password": f.PASSWORD})).is_success
    for n in range(3):  # the address reaches 6 failures: everyone behind it waits
        await limited.post("/api/auth/login", json={"username": f"nobody{n}", "password": "x"})
    blocked = await limited.post("/api/auth/login", json={"username": other.username, "password": f.PASSWORD})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers


async def test_the_login_limit_is_shared_by_api_processes_through_redis(
    db: Database, redis_bus: RedisBus, unique: str
) -> None:
    async with db.session() as s:
        victim = await f.user(s, await f.unit(s))
        await s.commit()
    await redis_bus.client.delete(f"ratelimit:login.user:{victim.username}")
    clients = []
    for n in range(2):  # two API processes, one Redis
        platform = _limited_platform(db, RedisBus(redis_bus_url(redis_bus)), login_max_failures=2)
        transport = httpx.ASGITransport(app=create_app(platform=platform), client=(f"10.1.{n}.{unique[:2]}", 1))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://gongwu.test"))
    try:
        wrong = {"username": victim.username, "password": "guess"}
        assert (await clients[0].post("/api/auth/login", json=wrong)).status_code == 401
        assert (await clients[1].post("/api/auth/login", json=wrong)).status_code == 401
        right = {"username": victim.username, "password": f.PASSWORD}
        assert (await clients[0].post("/api/auth/login", json=right)).status_code == 429
    finally:
        for client in clients:
            await client.aclose()
        await redis_bus.client.delete(f"ratelimit:login.user:{victim.username}")


def redis_bus_url(bus: RedisBus) -> str:
    kwargs = bus.client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"


# -- bodies -------------------------------------------------------------------------------------------------


async def test_bodies_are_size_limited_and_uploads_have_their_own_ceiling(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        who = await f.user(s, await f.unit(s), "admin")
        await s.commit()
    headers = await f.login(api, who)
    big_json = {"name": "x" * 3_000_000}
    response = await api.post("/api/fleet/vehicles", json=big_json, headers=headers)
    assert response.status_code == 413
    garbage = {"file": ("statement.csv", b"\x00\x01" * 2_000_000, "text/csv")}  # 4 MB: over the JSON limit, allowed
    response = await api.post("/api/costs/imports/fuel", files=garbage, headers=headers)
    assert response.status_code == 422, response.text  # read, validated, refused with a reason
    huge = {"file": ("statement.csv", b"a,b\n" * 3_000_000, "text/csv")}  # 12 MB
    response = await api.post("/api/costs/imports/fuel", files=huge, headers=headers)
    assert response.status_code == 413


# -- scoping on the demo bureau -------------------------------------------------------------------------------

OWN = "FGW"
DETAIL_SQL = {
    "unit_id": "SELECT id, path FROM org_unit",
    "user_id": "SELECT u.id, o.path FROM app_user u JOIN org_unit o ON o.id = u.unit_id",
    "line_id": "SELECT b.id, o.path FROM budget_line b JOIN org_unit o ON o.id = b.unit_id",
    "vehicle_id": "SELECT v.id, o.path FROM vehicle v JOIN org_unit o ON o.id = v.unit_id",
    "driver_id": "SELECT d.id, o.path FROM driver d JOIN org_unit o ON o.id = d.unit_id",
    "terminal_id": "SELECT t.id, o.path FROM terminal t JOIN vehicle v ON v.id = t.vehicle_id "
    "JOIN org_unit o ON o.id = v.unit_id",
    "booking_id": "SELECT b.id, o.path FROM booking b JOIN org_unit o ON o.id = b.unit_id",
    "site_id": "SELECT s.id, o.path FROM charging_site s JOIN org_unit o ON o.id = s.unit_id",
    "finding_id": "SELECT a.id, o.path FROM audit_finding a JOIN org_unit o ON o.id = a.unit_id",
}


@pytest.fixture
async def demo(demo_sqlite: Path, tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_sqlite, copy)
    database = Database(f"sqlite+aiosqlite:///{copy}")
    transport = httpx.ASGITransport(app=create_app(platform=make_platform(database)))
    async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
        yield client, database
    await database.dispose()


def _leaks(value: Any, foreign_units: set[int], foreign_cars: set[int], where: str = "") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key.endswith("unit_id") and item in foreign_units) or (key == "vehicle_id" and item in foreign_cars):
                found.append(f"{where}.{key}={item}")
            else:
                found += _leaks(item, foreign_units, foreign_cars, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _leaks(item, foreign_units, foreign_cars, f"{where}[{i}]")
    return found


async def _demo_login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await client.post("/api/auth/login", json={"username": username, "password": "gongwu-demo"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_a_unit_sees_only_its_own_subtree_on_every_route(demo: tuple[httpx.AsyncClient, Database]) -> None:
    client, database = demo
    async with database.engine.connect() as conn:
        own_path = (await conn.execute(text("SELECT path FROM org_unit WHERE code = :c"), {"c": OWN})).scalar_one()
        units = {uid: path for uid, path in (await conn.execute(text("SELECT id, path FROM org_unit"))).all()}
        rows = {param: (await conn.execute(text(sql))).all() for param, sql in DETAIL_SQL.items()}
        plates = dict((await conn.execute(text("SELECT id, plate FROM vehicle"))).all())
        serving = set(
            (
                await conn.execute(
                    text(
                        "SELECT b.vehicle_id FROM booking b JOIN org_unit o ON o.id = b.unit_id "
                        "WHERE b.vehicle_id IS NOT NULL AND o.path LIKE :p"
                    ),
                    {"p": own_path + "%"},
                )
            ).scalars()
        )
    foreign_units = {u for u, p in units.items() if not p.startswith(own_path)}
    cars = {vid: path for vid, path in rows["vehicle_id"]}
    # the car-service centre's cars that serve the unit's own bookings are theirs to see on those bookings
    foreign_cars = {v for v, p in cars.items() if not p.startswith(own_path)} - serving
    foreign_plates = {plates[v] for v in foreign_cars}
    assert foreign_cars and foreign_units and len(foreign_cars) < len(cars)

    checked_lists, checked_details, leaks = 0, 0, []
    for username in ("fgw-admin", "fgw-leader", "fgw-staff"):
        headers = await _demo_login(client, username)
        held = set((await client.get("/api/me", headers=headers)).json()["permissions"])
        for path, _, route in _routes():
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            needed = _permissions(route.dependant)
            if not needed or not set(needed) <= held or path.endswith((".pbf", "/geometry", "/receipt")):
                continue
            params = re.findall(r"\{(\w+)\}", path)
            if not params:
                response = await client.get(path, headers=headers)
                if response.status_code != 200 or not response.headers["content-type"].startswith("application/json"):
                    continue
                checked_lists += 1
                leaks += [f"{username} GET {path}: {leak}" for leak in _leaks(response.json(), foreign_units,
                                                                               foreign_cars)]  # fmt: skip
                leaks += [f"{username} GET {path}: plate {p}" for p in foreign_plates if p in response.text]
                continue
            if params[0] not in DETAIL_SQL or len(params) > 1:
                continue
            entities = rows[params[0]]
            theirs = [i for i, p in entities if not p.startswith(own_path)]
            mine = [i for i, p in entities if p.startswith(own_path)]
            for entity in theirs[:3]:
                response = await client.get(path.replace("{" + params[0] + "}", str(entity)), headers=headers)
                checked_details += 1
                if response.status_code not in (403, 404):
                    leaks.append(f"{username} GET {path} with another organ's {params[0]}={entity}: "
                                 f"{response.status_code}")  # fmt: skip
            if mine:
                response = await client.get(path.replace("{" + params[0] + "}", str(mine[0])), headers=headers)
                assert response.status_code in (200, 404), f"{username} {path} own {mine[0]}: {response.text[:200]}"
    assert leaks == [], "\n".join(leaks)
    assert checked_lists >= 20 and checked_details >= 20, (checked_lists, checked_details)


def test_the_metrics_token_is_a_secret() -> None:
    assert "metrics_token" in load_settings(env="test", metrics_token=SecretStr("x")).core.model_dump()
