"""Login, tokens, disabled users, and the org-unit scoping of users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from gongwu.app.platform import Platform
from gongwu.core.db import Database
from gongwu.core.identity.tokens import TokenService
from tests import factories as f


async def test_login_gives_tokens_and_me_shows_roles_and_unit(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        bureau = await f.unit(s, name="市机关事务管理局")
        who = await f.user(s, bureau, "dispatcher", "requester")
        await s.commit()
    headers = await f.login(api, who)
    me = (await api.get("/api/me", headers=headers)).json()
    assert me["username"] == who.username
    assert me["unit_name"] == "市机关事务管理局"
    assert me["roles"] == ["dispatcher", "requester"]
    assert "fleet.vehicle.read" in me["permissions"]
    assert me["wide_sight"] is True


async def test_wrong_password_and_unknown_user_are_refused_alike(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        who = await f.user(s, await f.unit(s))
        await s.commit()
    for body in ({"username": who.username, "password": "wrong-password"}, {"username": "nobody", "password": "x"}):
        response = await api.post("/api/auth/login", json=body)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "auth.bad_credentials"


async def test_a_disabled_user_cannot_log_in_and_loses_a_token_already_issued(
    api: httpx.AsyncClient, db: Database
) -> None:
    async with db.session() as s:
        home = await f.unit(s)
        admin = await f.user(s, home, "admin")
        who = await f.user(s, home)
        await s.commit()
    admin_headers = await f.login(api, admin)
    user_headers = await f.login(api, who)
    response = await api.patch(f"/api/users/{who.id}", json={"disabled": True}, headers=admin_headers)
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert (await api.get("/api/me", headers=user_headers)).json()["error"]["code"] == "auth.user_disabled"
    response = await api.post("/api/auth/login", json={"username": who.username, "password": f.PASSWORD})
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.user_disabled"


async def test_expired_tampered_and_wrong_kind_tokens_are_refused(
    api: httpx.AsyncClient, db: Database, platform: Platform
) -> None:
    async with db.session() as s:
        who = await f.user(s, await f.unit(s))
        await s.commit()
    old = platform.tokens.issue(who.id, now=datetime.now(UTC) - timedelta(hours=2))
    expired = await api.get("/api/me", headers={"Authorization": f"Bearer {old.access_token}"})
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "auth.token_expired"

    forged = TokenService("another-secret-of-some-length-xxxxxxxx", access_minutes=5, refresh_days=1).issue(who.id)
    response = await api.get("/api/me", headers={"Authorization": f"Bearer {forged.access_token}"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.token_invalid"

    good = platform.tokens.issue(who.id)
    head, body, sig = good.access_token.split(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{sig}"
    response = await api.get("/api/me", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401

    as_access = await api.get("/api/me", headers={"Authorization": f"Bearer {good.refresh_token}"})
    assert as_access.status_code == 401
    refreshed = await api.post("/api/auth/refresh", json={"refresh_token": good.refresh_token})
    assert refreshed.status_code == 200
    fresh = refreshed.json()["access_token"]
    assert (await api.get("/api/me", headers={"Authorization": f"Bearer {fresh}"})).status_code == 200
    assert (await api.get("/api/me")).json()["error"]["code"] == "auth.missing_token"


async def test_a_unit_admin_sees_and_manages_only_their_unit_subtree(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        a = await f.unit(s, name="甲单位")
        a_office = await f.unit(s, parent=a, name="甲单位办公室")
        b = await f.unit(s, name="乙单位")
        a_admin = await f.user(s, a, "unit_admin")
        a_member = await f.user(s, a_office)
        b_member = await f.user(s, b)
        await s.commit()
    headers = await f.login(api, a_admin)

    listed = {u["id"] for u in (await api.get("/api/users", headers=headers)).json()}
    assert listed == {a_admin.id, a_member.id}
    units = {u["id"] for u in (await api.get("/api/units", headers=headers)).json()}
    assert units == {a.id, a_office.id}
    assert (await api.get(f"/api/users/{b_member.id}", headers=headers)).status_code == 404
    assert (await api.get(f"/api/units/{b.id}", headers=headers)).status_code == 404

    before = await f.snapshot(db)
    response = await api.patch(f"/api/users/{b_member.id}", json={"full_name": "改名"}, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.out_of_scope"
    new_user = {
        "username": "intruder",
        "full_name": "x",
        "password": "long-enough-pw",
        "unit_id": b.id,
        "rank": "staff",
    }
    response = await api.post("/api/users", json=new_user, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.out_of_scope"
    wide = {**new_user, "unit_id": a.id, "roles": ["dispatcher"]}
    response = await api.post("/api/users", json=wide, headers=headers)
    assert response.status_code == 403 and response.json()["error"]["code"] == "identity.role_not_grantable"
    assert await f.snapshot(db) == before

    ok = await api.post(
        "/api/users", json={**new_user, "username": "newcomer", "unit_id": a_office.id}, headers=headers
    )
    assert ok.status_code == 201 and ok.json()["roles"] == ["requester"]


async def test_a_permission_is_needed_for_each_route(api: httpx.AsyncClient, db: Database) -> None:
    async with db.session() as s:
        who = await f.user(s, await f.unit(s), "requester")
        await s.commit()
    headers = await f.login(api, who)
    response = await api.get("/api/users", headers=headers)
    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "auth.permission_denied",
        "message": "Your roles do not include the permission 'identity.user.read'.",
        "details": {"permission": "identity.user.read"},
    }
