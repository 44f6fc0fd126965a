"""Passwords (argon2id) and signed tokens (JWT, HS256): a short access token and a longer refresh token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gongwu.core.errors import Unauthenticated

__all__ = ["TokenPair", "TokenService", "hash_password", "verify_password"]

_hasher = PasswordHasher()

TokenKind = Literal["access", "refresh"]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


class TokenService:
    def __init__(self, secret: str, *, access_minutes: int, refresh_days: int) -> None:
        self._secret = secret
        self._access = timedelta(minutes=access_minutes)
        self._refresh = timedelta(days=refresh_days)

    def issue(self, user_id: int, *, now: datetime | None = None) -> TokenPair:
        now = now or datetime.now(UTC)
        return TokenPair(
            access_token=self._encode(user_id, "access", now, self._access),
            refresh_token=self._encode(user_id, "refresh", now, self._refresh),
            expires_in=int(self._access.total_seconds()),
        )

    def _encode(self, user_id: int, kind: TokenKind, now: datetime, ttl: timedelta) -> str:
        claims = {"sub": str(user_id), "typ": kind, "iat": now, "exp": now + ttl, "jti": secrets.token_hex(8)}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def user_id(self, token: str, kind: TokenKind) -> int:
        """The user a valid token of ``kind`` was issued to; Unauthenticated otherwise."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["exp", "sub", "typ"]}
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated(
                "Your session has expired; log in again.",
                code="auth.token_expired",
                message_zh="登录已过期，请重新登录。",
            ) from None
        except jwt.PyJWTError:
            raise Unauthenticated(
                "The token is not valid.", code="auth.token_invalid", message_zh="令牌无效。"
            ) from None
        if claims.get("typ") != kind:
            raise Unauthenticated(
                f"An {kind} token is needed here.", code="auth.token_invalid", message_zh="令牌类型不对。"
            )
        try:
            return int(claims["sub"])
        except (TypeError, ValueError):
            raise Unauthenticated(
                "The token is not valid.", code="auth.token_invalid", message_zh="令牌无效。"
            ) from None
