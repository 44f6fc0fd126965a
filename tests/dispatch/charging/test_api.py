"""The charging API as its users meet it: sites and tariffs, recorded sessions charged to the budget, who sees
what, and the plan as the dispatcher and a driver get it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from gongwu.core.budget import service as budget
from gongwu.core.db import Database, utcnow
from gongwu.dispatch.charging import service
from gongwu.dispatch.charging.runtime import ChargingDetector
from gongwu.dispatch.charging.sources import AssignedTrip, NoTrips, StaticTrips, set_trip_source
from gongwu.dispatch.charging.tariffs import BEIJING_COMMERCIAL_BANDS
from tests import factories as f

BJ = ZoneInfo("Asia/Shanghai")
BANDS = [{"kind": k, "start": a, "end": b, "price": p} for k, a, b, p in BEIJING_COMMERCIAL_BANDS]


@pytest.fixture
def trips() -> Iterator[StaticTrips]:
    source = StaticTrips()
    set_trip_source(source)
    yield source
    set_trip_source(NoTrips())


async def _world(db: Database) -> dict[str, Any]:
    """A bureau with a car-service unit (garage, an EV, a 30231 line) and a client organ with its own EV."""
    async with db.session() as s:
        bureau = await f.unit(s, name="机关事务管理局")
        garage_unit = await f.unit(s, parent=bureau, name="公务用车服务中心")
        client = await f.unit(s, name="发改委")
        fleet_mgr = await f.user(s, garage_unit, "fleet_manager")
        dispatcher = await f.user(s, garage_unit, "dispatcher")
        driver = await f.user(s, garage_unit, "driver")
        requester = await f.user(s, garage_unit, "requester")
        client_admin = await f.user(s, client, "unit_admin")
        ev = await f.vehicle(s, garage_unit, energy_type="bev", battery_kwh=76.9, kwh_per_100km=14.5)
        client_ev = await f.vehicle(s, client, energy_type="bev", battery_kwh=65.0, kwh_per_100km=13.8)
        line = await f.budget_line(s, garage_unit, amount=1000)
        tariff = await service.create_tariff(s, name="北京分时", bands=BEIJING_COMMERCIAL_BANDS)
        site = await service.create_site(
            s,
            code="G1",
            name="车库",
            unit_id=garage_unit.id,
            cap_kw=20.0,
            tariff_id=tariff.id,
            connectors=[
                ("AC01", "ac", 7.0, "交流1号"),
                ("AC02", "ac", 7.0, "交流2号"),
                ("DC01", "dc", 60.0, "直流1号"),
            ],
        )
        await service.set_profile(s, ev.id, home_site_id=site.id, max_ac_kw=7.0, max_dc_kw=60.0)
        await s.commit()
        return {
            "garage_unit": garage_unit,
            "client": client,
            "ev": ev,
            "client_ev": client_ev,
            "line": line,
            "site": site,
            "tariff": tariff,
            "fleet": fleet_mgr,
            "dispatcher": dispatcher,
            "driver": driver,
            "requester": requester,
            "client_admin": client_admin,
        }


async def test_a_fleet_manager_sets_up_a_site_and_a_bad_tariff_is_refused(api: httpx.AsyncClient, db: Database) -> None:
    w = await _world(db)
    manager = await f.login(api, w["fleet"])
    created = await api.post(
        "/api/charging/tariffs", json={"name": "峰谷", "bands": BANDS, "source": "电费单"}, headers=manager
    )
    assert created.status_code == 201, created.text
    body = {
        "code": "G2",
        "name": "东院",
        "unit_id": w["garage_unit"].id,
        "cap_kw": 40,
        "tariff_id": created.json()["id"],
        "connectors": [{"code": "AC01", "kind": "ac", "kw": 7}, {"code": "DC01", "kind": "dc", "kw": 30}],
    }
    site = await api.post("/api/charging/sites", json=body, headers=manager)
    assert site.status_code == 201, site.text
    assert [(c["code"], c["kind"], c["kw"]) for c in site.json()["connectors"]] == [
        ("AC01", "ac", 7),
        ("DC01", "dc", 30),
    ]
    before = await f.snapshot(db)
    gap = [b for b in BANDS if b["kind"] != "flat"]
    refused = await api.post("/api/charging/tariffs", json={"name": "缺", "bands": gap}, headers=manager)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "charging.bad_tariff"
    assert "no band at 07:00" in refused.json()["error"]["message"]
    assert await f.snapshot(db) == before
    requester = await f.login(api, w["requester"])
    assert (await api.post("/api/charging/sites", json=body | {"code": "G3"}, headers=requester)).status_code == 403


async def test_a_recorded_session_is_charged_to_the_units_30231_line(api: httpx.AsyncClient, db: Database) -> None:
    w = await _world(db)
    driver = await f.login(api, w["driver"])
    night = datetime(2026, 3, 2, 23, 30, tzinfo=BJ)
    body = {
        "vehicle_id": w["ev"].id,
        "started_at": night.isoformat(),
        "ended_at": (night + timedelta(hours=3)).isoformat(),
        "energy_kwh": 20.0,
        "site_id": w["site"].id,
        "soc_before": 30,
        "soc_after": 55,
    }
    recorded = await api.post("/api/charging/sessions", json=body, headers=driver)
    assert recorded.status_code == 201, recorded.text
    session = recorded.json()
    assert (session["source"], Decimal(session["cost"]), session["budget_line_id"]) == (
        "entered",
        Decimal("5.76"),  # 20 kWh in the valley at 0.288 yuan
        w["line"].id,
    )
    async with db.session() as s:
        line = await budget.get_line(s, w["line"].id)
        (entry,) = await budget.list_entries(s, line.id)
        assert line.charged == Decimal("5.76")
        assert (entry.kind, entry.source_type, entry.source_id) == ("charge", "charging.session", str(session["id"]))
    again = await api.post("/api/charging/sessions", json=body, headers=driver)
    assert again.status_code == 409 and again.json()["error"]["code"] == "charging.session_exists"


async def test_a_session_without_a_budget_line_is_refused_and_leaves_nothing(
    api: httpx.AsyncClient, db: Database
) -> None:
    w = await _world(db)
    manager = await f.login(api, w["fleet"])
    before = await f.snapshot(db)
    body = {
        "vehicle_id": w["client_ev"].id,
        "started_at": "2026-03-02T10:00:00+08:00",
        "ended_at": "2026-03-02T11:00:00+08:00",
        "energy_kwh": 10,
    }
    refused = await api.post("/api/charging/sessions", json=body, headers=manager)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "budget.no_line"
    assert await f.snapshot(db) == before


async def test_units_see_only_their_own_cars_sessions(api: httpx.AsyncClient, db: Database) -> None:
    w = await _world(db)
    async with db.session() as s:
        await service.record_session(
            s,
            w["ev"],
            started_at=datetime(2026, 3, 2, 23, 0, tzinfo=BJ),
            ended_at=datetime(2026, 3, 3, 1, 0, tzinfo=BJ),
            energy_kwh=12.0,
            source="telematics",
            site_id=w["site"].id,
        )
        await s.commit()
    client_admin = await f.login(api, w["client_admin"])
    assert (await api.get("/api/charging/sessions", headers=client_admin)).json() == []
    dispatcher = await f.login(api, w["dispatcher"])
    (seen,) = (await api.get("/api/charging/sessions", headers=dispatcher)).json()
    assert (seen["vehicle_id"], seen["source"], seen["energy_kwh"]) == (w["ev"].id, "telematics", 12.0)
    driver = await f.login(api, w["driver"])
    out_of_sight = {
        "vehicle_id": w["client_ev"].id,
        "started_at": "2026-03-02T10:00:00+08:00",
        "ended_at": "2026-03-02T11:00:00+08:00",
        "energy_kwh": 10,
    }
    assert (await api.post("/api/charging/sessions", json=out_of_sight, headers=driver)).status_code == 404


async def test_replan_shows_the_timeline_and_tells_the_driver_where_to_charge(
    api: httpx.AsyncClient, db: Database, trips: StaticTrips
) -> None:
    w = await _world(db)
    leaves = utcnow() + timedelta(hours=20)
    trips.trips.append(AssignedTrip("t1", w["ev"].id, leaves, leaves + timedelta(hours=3), distance_km=250.0))
    driver = await f.login(api, w["driver"])
    await api.post(f"/api/charging/vehicles/{w['ev'].id}/soc", json={"soc_pct": 20}, headers=driver)
    assert (await api.post("/api/charging/plan", headers=driver)).status_code == 403
    dispatcher = await f.login(api, w["dispatcher"])
    replanned = await api.post("/api/charging/plan", headers=dispatcher)
    assert replanned.status_code == 200, replanned.text
    assert replanned.json()["planned"] and replanned.json()["unserved"] == []
    timeline = (await api.get(f"/api/charging/sites/{w['site'].id}/plan", headers=dispatcher)).json()
    plan = timeline["plan"]
    assert [c["code"] for c in timeline["connectors"]] == ["AC01", "AC02", "DC01"]
    assert plan["sessions"] and max(plan["load_kw"]) <= 20.0 + 1e-6
    (trip,) = plan["trips"]
    assert trip["ok"] and trip["needed_kwh"] == pytest.approx(250 * 0.145 * 1.15 + 0.1 * 76.9, abs=0.01)  # + min SOC
    assert plan["soc_sources"] == {str(w["ev"].id): "driver"}
    told = (await api.get("/api/charging/instructions", headers=driver)).json()
    assert told and told[0]["plate"] == w["ev"].plate and told[0]["connector"] in {"交流1号", "交流2号", "直流1号"}
    client_admin = await f.login(api, w["client_admin"])
    assert (await api.get("/api/charging/instructions", headers=client_admin)).json() == []
    assert (await api.get(f"/api/charging/sites/{w['site'].id}/plan", headers=client_admin)).status_code == 404


def test_a_gbt32960_charging_session_is_detected_from_soc_rising_while_parked() -> None:
    detector = ChargingDetector()
    start = datetime(2026, 3, 2, 23, 0, tzinfo=BJ)
    events = [(0, 40.0, False), (15, 41.0, False), (60, 52.0, False), (120, 63.0, False), (150, 63.0, True)]
    found = [
        detector.feed(
            {"vehicle_id": 7, "time": (start + timedelta(minutes=m)).isoformat(), "soc_pct": soc, "moving": moving}
        )
        for m, soc, moving in events
    ]
    *nothing, session = found
    assert nothing == [None] * 4 and session is not None
    assert (session.soc_before, session.soc_after, session.started_at) == (40.0, 63.0, start)
    assert session.ended_at == start + timedelta(minutes=120)  # when the charge stopped rising
