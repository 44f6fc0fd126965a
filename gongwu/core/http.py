"""HTTP dependencies every router shares: the database session, the acting principal, permissions.

They read the running platform from ``request.app.state`` (set by the composition root), so domain routers
depend on this module and never on ``gongwu.app``. A route declares the one permission it needs with
``Depends(require("fleet.vehicle.manage"))``; the dependency carries ``.permission`` so a test can list
every route's permission.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database
from gongwu.core.errors import Unauthenticated
from gongwu.core.events import EventBus
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.service import load_principal
from gongwu.core.identity.tokens import TokenService
from gongwu.core.settings import CoreSettings

__all__ = [
    "CurrentPrincipal",
    "DbSession",
    "PlatformState",
    "client_address",
    "current_principal",
    "db_session",
    "principal_from_token",
    "require",
]


class _Settings(Protocol):
    @property
    def core(self) -> CoreSettings: ...


class PlatformState(Protocol):
    db: Database
    bus: EventBus
    tokens: TokenService
    settings: _Settings


def client_address(request: Request) -> str:
    """The client's address (behind a reverse proxy: the one it forwarded, when uvicorn trusts it —
    ``FORWARDED_ALLOW_IPS``)."""
    return request.client.host if request.client else "unknown"


def platform(request: Request) -> PlatformState:
    return request.app.state.platform  # type: ignore[no-any-return]


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; the route commits what it changes, the rest is rolled back."""
    async with platform(request).db.session() as session:
        yield session


DbSession = Annotated[AsyncSession, Depends(db_session)]

_bearer = HTTPBearer(auto_error=False, description="The access token from POST /api/auth/login")


async def principal_from_token(session: AsyncSession, tokens: TokenService, token: str | None) -> Principal:
    if not token:
        raise Unauthenticated("Please log in.", code="auth.missing_token", message_zh="请先登录。")
    principal = await load_principal(session, tokens.user_id(token, "access"))
    set_actor(session, Actor(principal.user_id, principal.username))
    return principal


async def current_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    token = credentials.credentials if credentials else None
    principal = await principal_from_token(session, platform(request).tokens, token)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Any:
    """A dependency that admits a principal holding ``permission`` and returns it."""

    async def _require(principal: CurrentPrincipal) -> Principal:
        principal.require(permission)
        return principal

    _require.permission = permission  # type: ignore[attr-defined]
    _require.__name__ = f"require_{permission.replace('.', '_')}"
    return Depends(_require)


async def websocket_principal(websocket: WebSocket, session: AsyncSession) -> Principal:
    """WebSockets cannot send headers from a browser: the token comes as ``?token=``."""
    tokens: TokenService = websocket.app.state.platform.tokens
    return await principal_from_token(session, tokens, websocket.query_params.get("token"))
