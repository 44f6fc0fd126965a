"""The domain error tree.

Every error a user can cause is a :class:`DomainError` with a stable ``code`` (``"budget.insufficient"``),
a message a person understands — in English, and in Chinese where ``message_zh`` is given (the composition
root answers in the language the client asks for) — and optional ``details``. Services raise them; the composition root
(``gongwu.app.errors``) maps each family to one HTTP status in one place. Nothing here knows about HTTP.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
]


class DomainError(Exception):
    """Base of every error a caller can act on."""

    code: str = "error"
    default_message: str = "The request could not be completed."

    default_message_zh: str | None = None

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        message_zh: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.message_zh = message_zh or (None if message else self.default_message_zh)
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = dict(details or {})
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"

    def localized(self, language: str) -> str:
        """The message in ``language`` ("zh" or "en"); English when there is no Chinese text."""
        return self.message_zh if language == "zh" and self.message_zh else self.message

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        return {"code": self.code, "message": self.localized(language), "details": self.details}


class InvalidInput(DomainError):
    """The input breaks a rule of the domain (a bad plate, a window that ends before it starts)."""

    code = "invalid_input"
    default_message = "The input is not valid."
    default_message_zh = "输入不符合要求。"


class NotFound(DomainError):
    """The thing does not exist, or is outside what the caller may see (the two are not told apart)."""

    code = "not_found"
    default_message = "Not found."
    default_message_zh = "未找到。"


class Conflict(DomainError):
    """The input is valid but the current state forbids it (budget exhausted, quota full, wrong status)."""

    code = "conflict"
    default_message = "The request conflicts with the current state."
    default_message_zh = "当前状态不允许此操作。"


class Unauthenticated(DomainError):
    """No valid credentials: wrong password, expired or tampered token, disabled user."""

    code = "auth.unauthenticated"
    default_message = "Please log in."
    default_message_zh = "请先登录。"


class Forbidden(DomainError):
    """Authenticated, but the caller's roles or unit do not allow this action."""

    code = "auth.forbidden"
    default_message = "You are not allowed to do this."
    default_message_zh = "您无权执行此操作。"


class Unavailable(DomainError):
    """A component this needs is not ready (no map imported, optimizer busy, engine unreachable)."""

    code = "unavailable"
    default_message = "This is not available right now."
    default_message_zh = "该功能暂不可用。"


class RateLimited(DomainError):
    """Too many attempts (failed logins): wait ``details["retry_after_s"]`` seconds."""

    code = "rate_limited"
    default_message = "Too many attempts; try again later."
    default_message_zh = "尝试次数过多，请稍后再试。"
