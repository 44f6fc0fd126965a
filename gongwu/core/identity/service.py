"""Identity use cases on the org tree and users. Never commits: the caller owns the transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from gongwu.core.identity.models import OrgUnit, User, UserRole
from gongwu.core.identity.permissions import ROLES, permissions_of, wide_sight
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.ranks import rank
from gongwu.core.identity.tokens import hash_password, verify_password

__all__ = [
    "UNIT_KINDS",
    "authenticate",
    "create_unit",
    "create_user",
    "get_unit",
    "get_user",
    "list_units",
    "list_users",
    "load_principal",
    "roles_of",
    "set_password",
    "set_roles",
    "update_user",
]

UNIT_KINDS = {
    "bureau": "机关 (the bureau or a client organ)",
    "department": "内设机构 (internal department)",
    "office": "处室 (office / section)",
}
MIN_PASSWORD = 8


async def get_unit(session: AsyncSession, unit_id: int) -> OrgUnit:
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(
            f"Unit {unit_id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit_id}。"
        )
    return unit


async def create_unit(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    kind: str,
    parent_id: int | None,
    name_en: str | None = None,
) -> OrgUnit:
    if kind not in UNIT_KINDS:
        raise InvalidInput(
            f"Unit kind must be one of {sorted(UNIT_KINDS)}.",
            code="identity.bad_unit_kind",
            message_zh="单位类型须为 bureau（机关）、department（内设机构）或 office（处室）。",
        )
    if await session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)):
        raise Conflict(
            f"A unit with code {code!r} exists already.",
            code="identity.unit_code_taken",
            message_zh=f"单位代码 {code!r} 已被使用。",
        )
    parent = await get_unit(session, parent_id) if parent_id is not None else None
    unit = OrgUnit(code=code, name=name, name_en=name_en, kind=kind, parent_id=parent_id, path="")
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def list_units(session: AsyncSession, principal: Principal) -> Sequence[OrgUnit]:
    query = select(OrgUnit).order_by(OrgUnit.path)
    clause = principal.unit_filter(OrgUnit.id)
    if clause is not None:
        query = query.where(clause)
    return (await session.scalars(query)).all()


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(
            f"User {user_id} not found.", code="identity.user_not_found", message_zh=f"未找到用户 {user_id}。"
        )
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"A password needs at least {MIN_PASSWORD} characters.",
            code="identity.weak_password",
            message_zh=f"密码至少需要 {MIN_PASSWORD} 个字符。",
        )


def _check_roles(roles: Sequence[str]) -> None:
    unknown = sorted(set(roles) - ROLES.keys())
    if unknown:
        raise InvalidInput(
            f"Unknown roles {unknown}; use some of {sorted(ROLES)}.",
            code="identity.unknown_role",
            message_zh=f"未知角色 {unknown}。",
        )


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    full_name: str,
    password: str,
    unit_id: int,
    rank_code: str,
    roles: Sequence[str] = ("requester",),
    phone: str | None = None,
) -> User:
    rank(rank_code)
    _check_password(password)
    _check_roles(roles)
    await get_unit(session, unit_id)
    if await session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise Conflict(
            f"The username {username!r} is taken.",
            code="identity.username_taken",
            message_zh=f"用户名 {username!r} 已被使用。",
        )
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        unit_id=unit_id,
        rank=rank_code,
        phone=phone,
    )
    session.add(user)
    await session.flush()
    session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles)))
    await session.flush()
    return user


async def update_user(
    session: AsyncSession,
    user: User,
    *,
    full_name: str | None = None,
    unit_id: int | None = None,
    rank_code: str | None = None,
    phone: str | None = None,
    disabled: bool | None = None,
) -> User:
    if rank_code is not None:
        rank(rank_code)
        user.rank = rank_code
    if unit_id is not None:
        await get_unit(session, unit_id)
        user.unit_id = unit_id
    if full_name is not None:
        user.full_name = full_name
    if phone is not None:
        user.phone = phone
    if disabled is not None:
        user.disabled = disabled
    await session.flush()
    return user


async def set_roles(session: AsyncSession, user: User, roles: Sequence[str]) -> None:
    _check_roles(roles)
    current = {r.role: r for r in await session.scalars(select(UserRole).where(UserRole.user_id == user.id))}
    for role, row in current.items():
        if role not in roles:
            await session.delete(row)
    session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles) - current.keys()))
    await session.flush()


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    _check_password(password)
    user.password_hash = hash_password(password)
    await session.flush()


async def roles_of(session: AsyncSession, user_id: int) -> list[str]:
    return list(await session.scalars(select(UserRole.role).where(UserRole.user_id == user_id)))


async def list_users(session: AsyncSession, principal: Principal, *, unit_id: int | None = None) -> Sequence[User]:
    query = select(User).order_by(User.id)
    clause = principal.unit_filter(User.unit_id)
    if clause is not None:
        query = query.where(clause)
    if unit_id is not None:
        query = query.where(User.unit_id == unit_id)
    return (await session.scalars(query)).all()


_UNKNOWN_USER_HASH: list[str] = []


def _unknown_user_hash() -> str:
    """A hash to check a password against when the username is unknown, so both cases take the same time (no
    telling which usernames exist from how fast the answer comes)."""
    if not _UNKNOWN_USER_HASH:
        _UNKNOWN_USER_HASH.append(hash_password("no-such-user-" + secrets.token_hex(8)))
    return _UNKNOWN_USER_HASH[0]


async def authenticate(session: AsyncSession, username: str, password: str) -> User:
    user = await session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        verify_password(_unknown_user_hash(), password)
    if user is None or not verify_password(user.password_hash, password):
        raise Unauthenticated(
            "Wrong username or password.", code="auth.bad_credentials", message_zh="用户名或密码错误。"
        )
    if user.disabled:
        raise Unauthenticated("This account is disabled.", code="auth.user_disabled", message_zh="该账号已停用。")
    return user


async def load_principal(session: AsyncSession, user_id: int) -> Principal:
    """The acting principal for a user id from a token; disabled or removed users are refused."""
    user = await session.get(User, user_id)
    if user is None:
        raise Unauthenticated("The account no longer exists.", code="auth.token_invalid", message_zh="该账号已不存在。")
    if user.disabled:
        raise Unauthenticated("This account is disabled.", code="auth.user_disabled", message_zh="该账号已停用。")
    unit = await get_unit(session, user.unit_id)
    roles = frozenset(await roles_of(session, user.id))
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        rank=user.rank,
        unit_id=unit.id,
        unit_path=unit.path,
        roles=roles,
        permissions=permissions_of(roles),
        wide_sight=wide_sight(roles),
    )
