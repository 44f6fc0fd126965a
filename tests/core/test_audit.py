"""The audit chain records every change and proves itself intact — or names the record that was altered."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import text

from gongwu.core import audit
from gongwu.core.db import Database
from tests import factories as f


async def test_every_change_is_recorded_with_who_before_and_after(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s)
        manager = await f.user(s, organ, "fleet_manager", "supervisor")
        car = await f.vehicle(s, organ)
        await s.commit()
    headers = await f.login(api, manager)
    await api.patch(f"/api/fleet/vehicles/{car.id}", json={"seats": 7, "status": "maintenance"}, headers=headers)
    records = (
        await api.get(
            "/api/audit/records", params={"entity_type": "vehicle", "entity_id": str(car.id)}, headers=headers
        )
    ).json()
    update, create = records[0], records[-1]
    assert create["action"] == "vehicle.create" and create["after"]["plate"] == car.plate
    assert update["action"] == "vehicle.update"
    assert update["actor"] == manager.username and update["actor_id"] == manager.id
    assert update["before"] == {"seats": 5, "status": "available"}
    assert update["after"] == {"seats": 7, "status": "maintenance"}
    users = (await api.get("/api/audit/records", params={"entity_type": "app_user"}, headers=headers)).json()
    assert all("password_hash" not in (r["after"] or {}) for r in users)
    assert (await api.get("/api/audit/verify", headers=headers)).json()["intact"] is True


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GONGWU_DATABASE_URL=database_url)
    return subprocess.run([sys.executable, "-m", "gongwu.app", *args], env=env, capture_output=True, text=True)


async def test_audit_verify_names_a_record_altered_in_the_database(db: Database) -> None:
    async with db.session() as s:
        organ = await f.unit(s)
        for _ in range(3):
            await f.vehicle(s, organ)
        await s.commit()
    url = db.url.render_as_string(hide_password=False)
    intact = _cli("audit", "verify", database_url=url)
    assert intact.returncode == 0 and "audit chain intact" in intact.stdout

    async with db.session() as s:
        victim = await s.scalar(text("SELECT id FROM audit_record WHERE action = 'vehicle.create' ORDER BY id LIMIT 1"))
    async with db.engine.begin() as conn:
        if db.is_postgres:
            await conn.execute(text("ALTER TABLE audit_record DISABLE TRIGGER audit_record_append_only"))
        await conn.execute(text("UPDATE audit_record SET actor = 'nobody' WHERE id = :id"), {"id": victim})
        if db.is_postgres:
            await conn.execute(text("ALTER TABLE audit_record ENABLE TRIGGER audit_record_append_only"))
    broken = _cli("audit", "verify", database_url=url)
    assert broken.returncode == 1
    assert f"BROKEN at record {victim}" in broken.stderr and "altered" in broken.stderr
    async with db.session() as s:
        checked, first = await audit.verify(s)
    assert first is not None and first.record_id == victim and checked == victim - 1


@pytest.mark.postgres
async def test_postgres_refuses_to_update_or_delete_audit_records(pg_db: Database) -> None:
    async with pg_db.session() as s:
        await f.unit(s)
        await s.commit()
    for statement in ("UPDATE audit_record SET actor = 'x'", "DELETE FROM audit_record"):
        with pytest.raises(Exception, match="append-only"):
            async with pg_db.engine.begin() as conn:
                await conn.execute(text(statement))
