"""The pooling test centre (drivers with logins, cars, the Helsinki map), with uploads in a temporary folder
and a small receipt limit."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from gongwu.app.platform import Platform
from gongwu.core.db import Database
from gongwu.dispatch.driving.settings import DrivingSettings
from gongwu.dispatch.pooling.settings import PoolingSettings
from gongwu.dispatch.settings import DispatchSettings
from tests import factories as f
from tests.conftest import make_platform
from tests.dispatch.pooling.conftest import (  # noqa: F401  (the pooling centre's fixtures)
    Centre,
    _stop_worker,
    api,
    approved,
    centre,
    map_dir,
    pooling_settings,
    quick_passwords,
    routing,
)


@pytest.fixture
def platform(db: Database, pooling_settings: PoolingSettings, tmp_path: Path) -> Platform:  # noqa: F811
    built = make_platform(db)
    built.settings = dataclasses.replace(
        built.settings,
        core=built.settings.core.model_copy(update={"data_dir": tmp_path}),
        pooling=pooling_settings,
        dispatch=DispatchSettings(city_area=None),
        driving=DrivingSettings(receipt_max_bytes=20_000),
    )
    return built


async def assigned(api: httpx.AsyncClient, centre: Centre, **kw: Any) -> tuple[dict[str, Any], dict[str, str]]:  # noqa: F811
    """An approved booking planned and accepted; returns it (as its requester sees it) and its driver's headers."""
    booking = await approved(api, centre, **kw)
    dispatcher = await f.login(api, centre.dispatcher)
    plan = (await api.post("/api/dispatch/plans/run", headers=dispatcher)).json()["plan"]
    r = await api.post(f"/api/dispatch/plans/{plan['id']}/accept", headers=dispatcher)
    assert r.status_code == 200, r.text
    staff = await f.login(api, centre.staff)
    seen = (await api.get(f"/api/bookings/{booking['id']}", headers=staff)).json()
    login = next(u for u, d in centre.drivers if d == seen["driver_id"])
    return seen, await f.login(api, login)
