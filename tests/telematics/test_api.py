"""The HTTP and WebSocket API over a running gateway and consumers: a simulated car is live, its track and alarm
are there, a person acknowledges the alarm, commands reach the terminal and its answer is recorded."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from sqlalchemy import select

from gongwu.app.main import create_app
from gongwu.app.platform import Platform
from gongwu.core.audit import AuditRecord
from gongwu.core.db import Database
from gongwu.devices.sim import Jt808Terminal, ring_path
from gongwu.telematics import topics
from gongwu.telematics.consumers import ConsumerService
from gongwu.telematics.gateway import GatewayService
from tests import factories
from tests.browser import free_port

from .conftest import HOST, Car, gateway_settings, provision_car


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.1)


class Running:
    def __init__(self, platform: Platform, gateway: GatewayService, car: Car, headers: dict[str, str]) -> None:
        self.platform = platform
        self.gateway = gateway
        self.car = car
        self.headers = headers
        self.terminal: Jt808Terminal | None = None


@pytest.fixture
async def running(platform: Platform, api: httpx.AsyncClient) -> AsyncIterator[Running]:
    settings = gateway_settings()
    platform.settings = type(platform.settings)(core=platform.settings.core, telematics=settings)
    async with platform.db.session() as session:
        unit = await factories.unit(session)
        who = await factories.user(session, unit, "dispatcher")
        await session.commit()
    car = await provision_car(platform.db, unit=unit)
    gateway = GatewayService(platform.db, platform.bus, settings)
    await gateway.start()
    stop = asyncio.Event()
    consumers = ConsumerService(platform.db, platform.bus, settings, timezone="Asia/Shanghai", rules_ttl_s=0.0)
    consuming = asyncio.create_task(consumers.run(stop))
    state = Running(platform, gateway, car, await factories.login(api, who))
    try:
        yield state
    finally:
        if state.terminal is not None:
            state.terminal.stop()
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(consuming, 10)
        await gateway.stop()


def drive(state: Running, **kw: Any) -> asyncio.Task[Any]:
    terminal = Jt808Terminal(
        state.car.identifier,
        host=HOST,
        port=state.gateway.ports["jt808"],
        path=ring_path(39.9087, 116.3975, 600),
        interval_s=0.1,
        speed_kmh=50,
        plate=state.car.vehicle.plate,
        **kw,
    )
    state.terminal = terminal
    return asyncio.create_task(terminal.run())


async def test_a_car_is_live_its_alarm_is_acknowledged_and_kept_in_the_audit_chain(
    running: Running, api: httpx.AsyncClient
) -> None:
    h, car = running.headers, running.car
    task = drive(running)

    async def moving() -> dict[str, Any] | None:
        cars = (await api.get("/api/telematics/live", headers=h)).json()
        mine = next(c for c in cars if c["vehicle_id"] == car.vehicle.id)
        return mine if mine["state"] == "moving" and mine["lat"] else None

    live = await eventually(moving)
    assert live["plate"] == car.vehicle.plate and live["speed_kmh"] == 50 and live["ignition"] is True
    assert abs(live["lat"] - 39.9087) < 0.01 and live["fuel_l"] is not None

    async def tracked() -> list[list[Any]] | None:
        points = (await api.get(f"/api/telematics/vehicles/{car.vehicle.id}/track", headers=h)).json()["points"]
        return points if len(points) >= 3 else None

    track = await eventually(tracked)
    assert all(len(p) == 4 and p[3] == 50.0 for p in track) and track[0][2] <= track[-1][2]

    assert running.terminal is not None
    running.terminal.speed_kmh = 150.0

    async def alarmed() -> list[dict[str, Any]]:
        return (await api.get("/api/telematics/alarms", params={"status": "open"}, headers=h)).json()

    (alarm,) = await eventually(alarmed)
    assert (alarm["kind"], alarm["plate"], alarm["details"]["limit_kmh"]) == ("overspeed", car.vehicle.plate, 120.0)
    assert (await moving()) is None  # an open alarm colours the car: state "alarm"
    acked = await api.post(f"/api/telematics/alarms/{alarm['id']}/ack", json={"note": "已电话提醒驾驶员"}, headers=h)
    assert acked.status_code == 200, acked.text
    assert acked.json()["status"] == "acknowledged" and acked.json()["ack_by"] == "测试用户"
    again = await api.post(f"/api/telematics/alarms/{alarm['id']}/ack", json={}, headers=h)
    assert again.status_code == 409
    assert (await api.get("/api/telematics/alarms", params={"status": "open"}, headers=h)).json() == []
    async with running.platform.db.session() as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "telematics.alarm.ack"))
    assert (
        record is not None
        and record.entity_id == str(alarm["id"])
        and record.after
        == {
            "kind": "overspeed",
            "vehicle_id": car.vehicle.id,
            "note": "已电话提醒驾驶员",
        }
    )
    running.terminal.stop()
    await asyncio.wait_for(task, 10)


async def test_commands_reach_the_terminal_and_its_answer_is_recorded(running: Running, api: httpx.AsyncClient) -> None:
    h, car = running.headers, running.car
    fence = await api.post(
        "/api/telematics/geofences",
        json={"unit_id": car.vehicle.unit_id, "name": "机关大院", "shape": "circle", "center_lat": 39.9,
              "center_lon": 116.4, "radius_m": 400, "speed_limit_kmh": 30},
        headers=h,
    )  # fmt: skip
    assert fence.status_code == 201, fence.text
    task = drive(running)
    await eventually(lambda: _online(api, h, car.terminal_id))
    sent = []
    for kind, args in (
        ("text", {"text": "请于15:00前返回机关"}),
        ("location_query", {}),
        ("set_params", {"params": {"0x0029": 5}}),
        ("query_params", {}),
        ("geofence_push", {"geofence_id": fence.json()["id"]}),
    ):
        response = await api.post(
            f"/api/telematics/terminals/{car.terminal_id}/commands", json={"kind": kind, "args": args}, headers=h
        )
        assert response.status_code == 202, response.text
        sent.append(response.json()["id"])

    async def answered() -> list[dict[str, Any]] | None:
        rows = (await api.get(f"/api/telematics/terminals/{car.terminal_id}/commands", headers=h)).json()
        return rows if all(r["status"] == "answered" for r in rows) and len(rows) == 5 else None

    rows = {r["kind"]: r for r in await eventually(answered)}
    where = rows["location_query"]["answer"]["location"]
    assert where["fix_valid"] and abs(where["lat"] - 39.9) < 0.5 and where["time"].endswith("+00:00"), where
    assert rows["query_params"]["answer"]["params"]["0x0029"] == 5
    assert running.terminal is not None and running.terminal.interval_s == 5.0
    pushed = [b for b in running.terminal.stats.received if type(b).__name__ == "SetCircleAreas"]
    assert pushed and pushed[0].areas[0].radius_m == 400 and pushed[0].areas[0].rules.max_speed_kmh == 30
    bad = await api.post(f"/api/telematics/terminals/{car.terminal_id}/commands", json={"kind": "gb_query"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "telematics.command_not_supported"
    running.terminal.stop()
    await asyncio.wait_for(task, 10)


async def _online(api: httpx.AsyncClient, h: dict[str, str], terminal_id: int) -> bool:
    return bool((await api.get(f"/api/telematics/terminals/{terminal_id}", headers=h)).json()["online"])


async def test_terminals_are_provisioned_by_a_fleet_manager_in_their_sight(
    db: Database, api: httpx.AsyncClient
) -> None:
    async with db.session() as session:
        unit = await factories.unit(session)
        other = await factories.unit(session)
        manager = await factories.user(session, unit, "unit_admin", "requester")
        fleet = await factories.user(session, unit, "fleet_manager")
        mine = await factories.vehicle(session, unit)
        theirs = await factories.vehicle(session, other)
        await session.commit()
    h = await factories.login(api, fleet)
    created = await api.post(
        "/api/telematics/terminals",
        json={"protocol": "jt808", "identifier": "013900001111", "vehicle_id": mine.id},
        headers=h,
    )
    assert created.status_code == 201, created.text
    assert created.json()["identifier"] == "13900001111" and created.json()["plate"] == mine.plate
    duplicate = await api.post(
        "/api/telematics/terminals",
        json={"protocol": "jt808", "identifier": "13900002222", "vehicle_id": mine.id},
        headers=h,
    )
    assert duplicate.status_code == 409
    bad = await api.post(
        "/api/telematics/terminals",
        json={"protocol": "gb32960", "identifier": "NOT-A-VIN", "vehicle_id": theirs.id},
        headers=h,
    )
    assert bad.status_code == 422
    listed = (await api.get("/api/telematics/terminals", headers=h)).json()
    assert [t["identifier"] for t in listed] == ["13900001111"]
    admin = await factories.login(api, manager)
    forbidden = await api.post(
        "/api/telematics/terminals",
        json={"protocol": "nmea", "identifier": "gps-1", "vehicle_id": mine.id},
        headers=admin,
    )
    assert forbidden.status_code == 403
    assert (await api.get("/api/telematics/terminals", headers=admin)).status_code == 200
    terminal_id = created.json()["id"]
    moved = await api.patch(f"/api/telematics/terminals/{terminal_id}", json={"disabled": True}, headers=h)
    assert moved.json()["disabled"] is True
    assert (await api.delete(f"/api/telematics/terminals/{terminal_id}", headers=h)).status_code == 204


async def test_the_websocket_sends_a_snapshot_then_positions_and_alarms(platform: Platform) -> None:
    """A console's feed: the snapshot of the cars in sight, then batched positions and alarms (another unit's
    cars never)."""
    async with platform.db.session() as session:
        unit = await factories.unit(session)
        other = await factories.unit(session)
        who = await factories.user(session, unit, "unit_admin")
        mine = (await factories.vehicle(session, unit)).id
        theirs = (await factories.vehicle(session, other)).id
        await session.commit()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform=platform), host=HOST, port=port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _true(server.started), within=10)
        async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}") as client:
            token = (
                await client.post("/api/auth/login", json={"username": who.username, "password": factories.PASSWORD})
            ).json()
        url = f"ws://{HOST}:{port}/api/telematics/live/ws?token={token['access_token']}"
        async with websockets.connect(url) as ws:
            snapshot = json.loads(await ws.recv())
            assert snapshot["type"] == "snapshot"
            assert [v["vehicle_id"] for v in snapshot["vehicles"]] == [mine]
            assert snapshot["vehicles"][0]["state"] == "offline"
            unit_id = snapshot["vehicles"][0]["unit_id"]
            items = [{"vehicle_id": v, "unit_id": u, "lat": 39.9, "lon": 116.4, "state": "moving"} for v, u in (
                (theirs, -1), (mine, unit_id))]  # fmt: skip
            await platform.bus.broadcast(topics.LIVE_CHANNEL, {"items": items})
            alarm = {"id": 1, "vehicle_id": mine, "unit_id": unit_id, "kind": "power_cut"}
            await platform.bus.broadcast(topics.ALARM_CHANNEL, {"event": "raised", "alarm": alarm})
            await platform.bus.broadcast(topics.ALARM_CHANNEL, {"event": "raised", "alarm": alarm | {"unit_id": -1}})
            got = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(2)]
            by_type = {m["type"]: m for m in got}
            assert by_type["alarm"]["alarm"]["kind"] == "power_cut"
            assert [i["vehicle_id"] for i in by_type["positions"]["items"]] == [mine]
        async with websockets.connect(f"ws://{HOST}:{port}/api/telematics/live/ws?token=forged") as ws:
            assert json.loads(await ws.recv())["type"] == "error"
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def _true(value: bool) -> bool:
    return value


async def test_geofences_calendars_limits_and_daily_summaries_through_the_api(
    db: Database, api: httpx.AsyncClient
) -> None:
    async with db.session() as session:
        unit = await factories.unit(session)
        fleet = await factories.user(session, unit, "fleet_manager")
        car = await factories.vehicle(session, unit)
        await session.commit()
    h = await factories.login(api, fleet)
    ring = [[116.30, 39.85], [116.50, 39.85], [116.50, 39.95], [116.30, 39.95], [116.30, 39.85]]
    body = {"unit_id": unit.id, "name": "市区", "shape": "polygon", "approved_area": True,
            "geometry": {"type": "Polygon", "coordinates": [ring]}}  # fmt: skip
    created = await api.post("/api/telematics/geofences", json=body, headers=h)
    assert created.status_code == 201, created.text
    bowtie = body | {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}}
    assert (await api.post("/api/telematics/geofences", json=bowtie, headers=h)).status_code == 422
    fence_id = created.json()["id"]
    renamed = await api.patch(f"/api/telematics/geofences/{fence_id}", json={"name": "五环内"}, headers=h)
    assert renamed.json()["name"] == "五环内" and renamed.json()["approved_area"] is True
    assert [f["name"] for f in (await api.get("/api/telematics/geofences", headers=h)).json()] == ["五环内"]
    calendar = {"workdays": "12345", "day_start": "08:30", "day_end": "17:30", "exempt_categories": "emergency",
                "days": [{"day": "2026-10-01", "kind": "holiday", "name": "国庆节"}]}  # fmt: skip
    put = await api.put(f"/api/telematics/calendars/{unit.id}", json=calendar, headers=h)
    assert put.status_code == 200, put.text
    got = (await api.get(f"/api/telematics/calendars/{unit.id}", headers=h)).json()
    assert (got["day_start"], got["days"][0]["name"]) == ("08:30", "国庆节")
    bad = await api.put(f"/api/telematics/calendars/{unit.id}", json=calendar | {"day_end": "07:00"}, headers=h)
    assert bad.status_code == 422
    limit = await api.put(f"/api/telematics/vehicles/{car.id}/limit", json={"speed_limit_kmh": 80}, headers=h)
    assert limit.status_code == 204
    assert (await api.get(f"/api/telematics/vehicles/{car.id}/daily", headers=h)).json() == []
    naive = await api.get(
        f"/api/telematics/vehicles/{car.id}/track", params={"start": "2026-03-01T08:00:00"}, headers=h
    )
    assert naive.status_code == 422 and naive.json()["error"]["code"] == "telematics.naive_time"
    assert (await api.delete(f"/api/telematics/geofences/{fence_id}", headers=h)).status_code == 204


async def test_a_command_nobody_answers_times_out(db: Database) -> None:
    from datetime import timedelta

    from gongwu.core.db import utcnow
    from gongwu.telematics import commands
    from gongwu.telematics.models import Terminal, TerminalCommand

    car = await provision_car(db)
    async with db.session() as session:
        terminal = await session.get(Terminal, car.terminal_id)
        assert terminal is not None
        command = await commands.create_command(session, terminal, "location_query", {}, None)
        await session.commit()
    assert await commands.claim(db, command.id, "gw-x")
    assert not await commands.claim(db, command.id, "gw-y")  # one gateway sends it, never two
    async with db.session() as session:
        assert await commands.expire_commands(session, timedelta(seconds=60), utcnow() + timedelta(seconds=61)) == 1
        await session.commit()
        row = await session.get(TerminalCommand, command.id)
    assert row is not None and (row.status, row.gateway_id) == ("timeout", "gw-x")
