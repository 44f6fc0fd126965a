"""The one place where errors become HTTP responses: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException

from gongwu.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)

__all__ = ["STATUS", "error_body", "install", "language_of"]

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    Unavailable: 503,
    RateLimited: 429,
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def language_of(request: Request) -> str:
    """ "zh" when the client's first choice in Accept-Language is Chinese, else "en" (API clients)."""
    header = request.headers.get("accept-language", "")
    first = header.split(",")[0].split(";")[0].strip().lower()
    return "zh" if first.startswith("zh") else "en"


def _say(request: Request, en: str, zh: str) -> str:
    return zh if language_of(request) == "zh" else en


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(int(exc.details.get("retry_after_s", 60)))}
    message = exc.localized(language_of(request))
    return JSONResponse(error_body(exc.code, message, exc.details), status_code=_status_of(exc), headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if x != "body") or "body"


def _malformed(request: Request) -> JSONResponse:
    message = _say(request, "The request body is not valid JSON.", "请求内容不是有效的 JSON。")
    return JSONResponse(error_body("malformed_json", message), status_code=400)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _malformed(request)
    fields = [{"field": _where(tuple(e.get("loc", ()))), "problem": e.get("msg", "")} for e in errors]
    summary = "; ".join(f"{f['field']}: {f['problem']}" for f in fields[:5])
    message = _say(request, f"The request is not valid — {summary}.", f"请求内容不符合要求 — {summary}。")
    return JSONResponse(error_body("invalid_input", message, {"fields": fields}), status_code=422)


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "http.not_found", 405: "http.method_not_allowed", 401: "auth.unauthenticated", 413: "http.too_large"}
    code = codes.get(exc.status_code, f"http.{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else "Request refused."
    if exc.status_code == 400 and "parsing the body" in message:  # undecodable bytes, before JSON parsing
        return _malformed(request)
    if exc.status_code == 404:
        message = _say(request, "No such page or API route.", "没有这个页面或接口。")
    if exc.status_code == 413:
        message = _say(request, "The request is larger than this route accepts.", "请求内容超出该接口允许的大小。")
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


async def _integrity(_: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity error: %s", exc)
    return JSONResponse(
        error_body(
            "conflict.integrity",
            "The change conflicts with existing data (a duplicate or a missing reference).",
        ),
        status_code=409,
    )


def _is_out_of_range(exc: BaseException) -> bool:
    """A value the database cannot hold (an id beyond 64 bits, a number beyond a column's range): SQLite's driver
    raises OverflowError, PostgreSQL's a data exception (SQLSTATE class 22) that SQLAlchemy may wrap as a plain
    DBAPIError."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OverflowError, DataError)) or type(seen).__name__ == "DataError":
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


async def _database(request: Request, exc: Exception) -> JSONResponse:
    """The caller's input that the database cannot hold is a 422, not a server fault; anything else is re-raised
    (a 500, logged)."""
    if not _is_out_of_range(exc):
        raise exc
    log.info("value out of range: %s", exc)
    message = _say(request, "A number in the request is out of range.", "请求中的数值超出范围。")
    return JSONResponse(error_body("invalid_input.out_of_range", message), status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(OverflowError, _database)
