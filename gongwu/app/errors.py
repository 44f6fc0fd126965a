"""The one place where errors become HTTP responses: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException

from gongwu.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
    Unavailable,
)

__all__ = ["STATUS", "error_body", "install"]

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    Unavailable: 503,
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=_status_of(exc), headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if x != "body") or "body"


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."), status_code=400)
    fields = [{"field": _where(tuple(e.get("loc", ()))), "problem": e.get("msg", "")} for e in errors]
    summary = "; ".join(f"{f['field']}: {f['problem']}" for f in fields[:5])
    return JSONResponse(
        error_body("invalid_input", f"The request is not valid — {summary}.", {"fields": fields}),
        status_code=422,
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "http.not_found", 405: "http.method_not_allowed", 401: "auth.unauthenticated"}
    code = codes.get(exc.status_code, f"http.{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else "Request refused."
    if exc.status_code == 400 and "parsing the body" in message:  # undecodable bytes, before JSON parsing
        return JSONResponse(error_body("malformed_json", "The request body is not valid JSON."), status_code=400)
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


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(IntegrityError, _integrity)
