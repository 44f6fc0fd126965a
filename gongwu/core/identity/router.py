"""HTTP routes of identity: login and tokens, the org tree, users and roles."""

from __future__ import annotations

from fastapi import APIRouter, Request

from gongwu.core import audit
from gongwu.core.audit import Actor, set_actor
from gongwu.core.errors import Forbidden, NotFound, RateLimited, Unauthenticated
from gongwu.core.http import CurrentPrincipal, DbSession, client_address, platform, require
from gongwu.core.identity import service
from gongwu.core.identity.models import User
from gongwu.core.identity.permissions import ROLES
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.schemas import (
    LoginIn,
    MeOut,
    RefreshIn,
    RoleOut,
    RolesIn,
    TokensOut,
    UnitIn,
    UnitOut,
    UserIn,
    UserOut,
    UserPatch,
)
from gongwu.core.ratelimit import FailureLimit, counters_for

router = APIRouter(tags=["identity"])


def _login_limits(request: Request) -> tuple[FailureLimit, FailureLimit]:
    """Failed logins per username and per client address (in Redis when configured: every API process counts
    together)."""
    state = platform(request)
    core = state.settings.core
    counters = counters_for(state.bus)
    window = core.login_window_s
    return (
        FailureLimit(counters, "login.user", limit=core.login_max_failures, window_s=window),
        FailureLimit(counters, "login.address", limit=core.login_max_failures_per_address, window_s=window),
    )


def _too_many(wait: float) -> RateLimited:
    return RateLimited(
        f"Too many failed logins; try again in {wait:.0f} s.",
        code="auth.too_many_attempts",
        details={"retry_after_s": int(wait)},
        message_zh=f"登录失败次数过多，请 {wait:.0f} 秒后再试。",
    )


@router.post("/api/auth/login", response_model=TokensOut, responses={429: {"description": "Too many failed logins"}})
async def login(body: LoginIn, request: Request, session: DbSession) -> TokensOut:
    """Exchange a username and password for an access token and a refresh token. After
    ``GONGWU_LOGIN_MAX_FAILURES`` failures of a username (or ``GONGWU_LOGIN_MAX_FAILURES_PER_ADDRESS`` from one
    address) within ``GONGWU_LOGIN_WINDOW_S``, 429 with ``Retry-After`` until the window ends."""
    by_user, by_address = _login_limits(request)
    username, address = body.username.strip().lower(), client_address(request)
    for limit, key in ((by_user, username), (by_address, address)):
        wait = await limit.blocked(key)
        if wait is not None:
            raise _too_many(wait)
    try:
        user = await service.authenticate(session, body.username, body.password)
    except Unauthenticated:
        await by_user.failed(username)
        await by_address.failed(address)
        raise
    await by_user.succeeded(username)
    set_actor(session, Actor(user.id, user.username))
    await audit.record(session, "auth.login", "app_user", user.id)
    await session.commit()
    pair = platform(request).tokens.issue(user.id)
    return TokensOut.model_validate(pair, from_attributes=True)


@router.post("/api/auth/refresh", response_model=TokensOut)
async def refresh(body: RefreshIn, request: Request, session: DbSession) -> TokensOut:
    """A new token pair for a valid refresh token (a disabled user gets none)."""
    tokens = platform(request).tokens
    user_id = tokens.user_id(body.refresh_token, "refresh")
    await service.load_principal(session, user_id)
    return TokensOut.model_validate(tokens.issue(user_id), from_attributes=True)


@router.get("/api/me", response_model=MeOut)
async def me(principal: CurrentPrincipal, session: DbSession) -> MeOut:
    unit = await service.get_unit(session, principal.unit_id)
    return MeOut(
        id=principal.user_id,
        username=principal.username,
        full_name=principal.full_name,
        rank=principal.rank,
        unit_id=unit.id,
        unit_name=unit.name,
        roles=sorted(principal.roles),
        permissions=sorted(principal.permissions),
        wide_sight=principal.wide_sight,
    )


@router.get("/api/roles", response_model=list[RoleOut])
async def roles(_: Principal = require("identity.user.read")) -> list[RoleOut]:
    return [
        RoleOut(
            code=r.code,
            name_zh=r.name_zh,
            name_en=r.name_en,
            wide_sight=r.wide_sight,
            permissions=sorted(r.permissions),
        )
        for r in ROLES.values()
    ]


@router.get("/api/units", response_model=list[UnitOut])
async def list_units(session: DbSession, principal: Principal = require("identity.unit.read")) -> list[UnitOut]:
    return [UnitOut.model_validate(u) for u in await service.list_units(session, principal)]


@router.get("/api/units/{unit_id}", response_model=UnitOut)
async def get_unit(unit_id: int, session: DbSession, principal: Principal = require("identity.unit.read")) -> UnitOut:
    unit = await service.get_unit(session, unit_id)
    principal.check_unit(unit, writing=False)
    return UnitOut.model_validate(unit)


@router.post("/api/units", response_model=UnitOut, status_code=201)
async def create_unit(
    body: UnitIn, session: DbSession, principal: Principal = require("identity.unit.manage")
) -> UnitOut:
    if body.parent_id is not None:
        principal.check_unit(await service.get_unit(session, body.parent_id), writing=True)
    unit = await service.create_unit(
        session,
        code=body.code,
        name=body.name,
        name_en=body.name_en,
        kind=body.kind,
        parent_id=body.parent_id,
    )
    await session.commit()
    return UnitOut.model_validate(unit)


async def _user_out(session: DbSession, user: User) -> UserOut:
    out = UserOut.model_validate(user)
    out.roles = sorted(await service.roles_of(session, user.id))
    return out


async def _visible_user(session: DbSession, principal: Principal, user_id: int, *, writing: bool) -> User:
    user = await service.get_user(session, user_id)
    unit = await service.get_unit(session, user.unit_id)
    if not principal.sees_path(unit.path):
        if writing:
            principal.check_unit(unit, writing=True)
        raise NotFound(
            f"User {user_id} not found.", code="identity.user_not_found", message_zh=f"未找到用户 {user_id}。"
        )
    return user


def _check_grantable(principal: Principal, roles: list[str]) -> None:
    if principal.can("identity.role.assign_any"):
        return
    wide = sorted(r for r in roles if r in ROLES and ROLES[r].wide_sight)
    if wide:
        raise Forbidden(
            f"Only an administrator can grant the bureau-wide roles {wide}.",
            code="identity.role_not_grantable",
            message_zh=f"只有系统管理员可以授予全局角色 {wide}。",
        )


@router.get("/api/users", response_model=list[UserOut])
async def list_users(
    session: DbSession, unit_id: int | None = None, principal: Principal = require("identity.user.read")
) -> list[UserOut]:
    return [await _user_out(session, u) for u in await service.list_users(session, principal, unit_id=unit_id)]


@router.get("/api/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int, session: DbSession, principal: Principal = require("identity.user.read")) -> UserOut:
    return await _user_out(session, await _visible_user(session, principal, user_id, writing=False))


@router.post("/api/users", response_model=UserOut, status_code=201)
async def create_user(
    body: UserIn, session: DbSession, principal: Principal = require("identity.user.manage")
) -> UserOut:
    principal.check_unit(await service.get_unit(session, body.unit_id), writing=True)
    _check_grantable(principal, body.roles)
    user = await service.create_user(
        session,
        username=body.username,
        full_name=body.full_name,
        password=body.password,
        unit_id=body.unit_id,
        rank_code=body.rank,
        roles=body.roles,
        phone=body.phone,
    )
    await session.commit()
    return await _user_out(session, user)


@router.patch("/api/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int, body: UserPatch, session: DbSession, principal: Principal = require("identity.user.manage")
) -> UserOut:
    user = await _visible_user(session, principal, user_id, writing=True)
    if body.unit_id is not None:
        principal.check_unit(await service.get_unit(session, body.unit_id), writing=True)
    await service.update_user(
        session,
        user,
        full_name=body.full_name,
        unit_id=body.unit_id,
        rank_code=body.rank,
        phone=body.phone,
        disabled=body.disabled,
    )
    if body.password is not None:
        await service.set_password(session, user, body.password)
    await session.commit()
    return await _user_out(session, user)


@router.put("/api/users/{user_id}/roles", response_model=UserOut)
async def set_roles(
    user_id: int, body: RolesIn, session: DbSession, principal: Principal = require("identity.user.manage")
) -> UserOut:
    user = await _visible_user(session, principal, user_id, writing=True)
    _check_grantable(principal, body.roles)
    await service.set_roles(session, user, body.roles)
    await session.commit()
    return await _user_out(session, user)
