"""Bad input gets a 4xx with a stable code and a message a person understands."""

from __future__ import annotations

import httpx

from gongwu.core.db import Database
from tests import factories as f


async def test_malformed_json_wrong_types_unknown_ids_and_routes(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        manager = await f.user(s, await f.unit(s), "fleet_manager")
        await s.commit()
    headers = await f.login(api, manager) | {"Content-Type": "application/json"}

    malformed = await api.post("/api/fleet/vehicles", content=b'{"plate": "\xe4\xba', headers=headers)
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "malformed_json"

    wrong = await api.post("/api/fleet/vehicles", json={"plate": 12, "seats": "many"}, headers=headers)
    assert wrong.status_code == 422
    error = wrong.json()["error"]
    assert error["code"] == "invalid_input"
    assert {e["field"] for e in error["details"]["fields"]} >= {"plate", "seats", "unit_id", "category"}
    assert "seats" in error["message"]

    unknown = await api.get("/api/fleet/vehicles/424242", headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "fleet.vehicle_not_found"
    beyond = await api.get(f"/api/fleet/vehicles/{2**64}", headers=headers)  # no database column holds it
    assert beyond.status_code == 422 and beyond.json()["error"]["code"] == "invalid_input.out_of_range"
    no_route = await api.get("/api/no-such-thing", headers=headers)
    assert no_route.status_code == 404 and no_route.json()["error"]["code"] == "http.not_found"
    wrong_method = await api.delete("/api/me", headers=headers)
    assert wrong_method.status_code == 405


async def test_health_readiness_and_the_api_docs(api: httpx.AsyncClient) -> None:
    assert (await api.get("/health")).json() == {"status": "ok"}
    ready = await api.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"]["schema"] is not None
    assert (await api.get("/docs")).status_code == 200
    schema = (await api.get("/openapi.json")).json()
    assert "/api/fleet/vehicles" in schema["paths"]


def test_every_setting_is_documented_in_docs_settings_md() -> None:
    from gongwu.app.paths import ROOT
    from gongwu.app.settings import SETTINGS_CLASSES, settings_markdown

    page = (ROOT / "docs" / "settings.md").read_text()
    assert settings_markdown() in page, "docs/settings.md is stale: regenerate it with `gongwu settings`"
    for cls in SETTINGS_CLASSES:
        for name, info in cls.model_fields.items():
            assert info.description, f"{cls.__name__}.{name} has no description"


def test_production_refuses_a_placeholder_secret() -> None:
    import pytest
    from pydantic import ValidationError

    from gongwu.core.settings import CoreSettings

    with pytest.raises(ValidationError, match="GONGWU_SECRET_KEY must be set"):
        CoreSettings(env="production")
    assert CoreSettings(env="production", secret_key="x" * 40).env == "production"


async def test_errors_speak_the_language_the_client_asks_for(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s, name="市应急管理局")
        manager = await f.user(s, organ, "fleet_manager")
        await s.commit()
    headers = await f.login(api, manager)
    car = {"plate": "京A1234", "unit_id": organ.id, "category": "other", "energy_type": "fuel", "seats": 5}
    english = await api.post("/api/fleet/vehicles", json=car, headers=headers)
    chinese = await api.post("/api/fleet/vehicles", json=car, headers=headers | {"Accept-Language": "zh-CN,zh;q=0.9"})
    assert english.json()["error"]["code"] == chinese.json()["error"]["code"] == "fleet.bad_plate"
    assert "is not a valid Chinese licence plate" in english.json()["error"]["message"]
    assert chinese.json()["error"]["message"] == "“京A1234”不是有效的车牌号（例如 京A12345，新能源车如 京AD12345）。"
    wrong = await api.post(
        "/api/auth/login", json={"username": "nobody", "password": "x"}, headers={"Accept-Language": "zh-CN"}
    )
    assert wrong.json()["error"]["message"] == "用户名或密码错误。"
    malformed = await api.post(
        "/api/auth/login", content=b"{", headers={"Content-Type": "application/json", "Accept-Language": "zh"}
    )
    assert malformed.json()["error"]["message"] == "请求内容不是有效的 JSON。"
