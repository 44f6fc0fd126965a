"""``gongwu export`` from the embedded SQLite demo bureau, ``gongwu import`` into an empty PostgreSQL: the same
master data comes back out, the audit chain verifies (continued by one ``system.import`` record), the demo users
log in with their passwords, new rows get fresh ids; a non-empty target and a tampered chain are refused whole."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gongwu.app.main import create_app
from gongwu.core.db import Database
from gongwu.core.identity.models import OrgUnit
from tests.conftest import PG_URL, _drop_pg_database, _in_thread, _recreate_pg_database, make_platform

pytestmark = [pytest.mark.postgres]


def gongwu(*args: str, url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GONGWU_")} | {"GONGWU_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "gongwu.app", *args], env=env, capture_output=True, text=True,
                          check=check, timeout=300)  # fmt: skip


def _without_import(document: dict[str, Any]) -> dict[str, Any]:
    tables = dict(document["tables"])
    audit = tables["audit_record"]
    tables["audit_record"] = {"columns": audit["columns"], "rows": audit["rows"][:-1]}
    return tables


async def test_master_data_moves_from_sqlite_to_postgresql(demo_sqlite: Path, tmp_path: Path) -> None:
    source = tmp_path / "demo.db"
    shutil.copy(demo_sqlite, source)
    exported = tmp_path / "bureau.json"
    gongwu("export", str(exported), url=f"sqlite+aiosqlite:///{source}")
    document = json.loads(exported.read_text())
    assert document["format"] == "gongwu-master-data" and document["version"] == 1
    rows = {name: len(block["rows"]) for name, block in document["tables"].items()}
    assert rows["org_unit"] == 19 and rows["vehicle"] >= 40 and rows["app_user"] >= 30 and rows["terminal"] > 0
    assert rows["audit_record"] > 100 and "vehicle_position" not in rows

    target = PG_URL + "_transfer"
    await asyncio.to_thread(_in_thread, lambda: asyncio.run(_recreate_pg_database(target)))
    try:
        gongwu("db", "upgrade", url=target)
        imported = json.loads(gongwu("import", str(exported), url=target).stdout)["imported"]
        assert imported == rows
        verified = gongwu("audit", "verify", url=target)
        assert f"{rows['audit_record'] + 1} records verified" in verified.stdout

        back = tmp_path / "back.json"
        gongwu("export", str(back), url=target)
        again = json.loads(back.read_text())
        assert _without_import(again) == document["tables"]
        last = dict(zip(again["tables"]["audit_record"]["columns"], again["tables"]["audit_record"]["rows"][-1],
                        strict=True))  # fmt: skip
        assert last["action"] == "system.import" and last["after"]["rows"] == rows

        database = Database(target)
        try:
            transport = httpx.ASGITransport(app=create_app(platform=make_platform(database)))
            async with httpx.AsyncClient(transport=transport, base_url="http://gongwu.test") as client:
                login = await client.post("/api/auth/login", json={"username": "admin", "password": "gongwu-demo"})
                assert login.status_code == 200
                headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                cars = (await client.get("/api/fleet/vehicles", headers=headers)).json()
                assert len(cars) == rows["vehicle"]
                made = await client.post("/api/units", headers=headers, json={"code": "NEW-1", "name": "新单位",
                                                                               "kind": "bureau"})  # fmt: skip
                assert made.status_code == 201 and made.json()["id"] > rows["org_unit"], made.text
        finally:
            await database.dispose()

        refused = gongwu("import", str(exported), url=target, check=False)
        assert refused.returncode == 2 and "transfer.target_not_empty" in refused.stderr
    finally:
        await asyncio.to_thread(_in_thread, lambda: asyncio.run(_drop_pg_database(target)))


async def test_a_tampered_audit_chain_is_refused_whole(
    demo_sqlite: Path, sqlite_template: Path, tmp_path: Path
) -> None:
    source = tmp_path / "demo.db"
    shutil.copy(demo_sqlite, source)
    exported = tmp_path / "bureau.json"
    gongwu("export", str(exported), url=f"sqlite+aiosqlite:///{source}")
    document = json.loads(exported.read_text())
    audit = document["tables"]["audit_record"]
    after = audit["columns"].index("after")
    for row in audit["rows"]:
        if isinstance(row[after], dict) and "plate" in row[after]:
            row[after]["plate"] = "京A00000"  # someone "fixes" a plate in the history
            break
    exported.write_text(json.dumps(document, ensure_ascii=False))
    empty = tmp_path / "empty.db"
    shutil.copy(sqlite_template, empty)
    refused = gongwu("import", str(exported), url=f"sqlite+aiosqlite:///{empty}", check=False)
    assert refused.returncode == 2 and "transfer.chain_broken" in refused.stderr
    database = Database(f"sqlite+aiosqlite:///{empty}")
    try:
        async with database.session() as session:
            assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 0  # nothing imported
    finally:
        await database.dispose()
