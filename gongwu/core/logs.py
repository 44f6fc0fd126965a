"""Logging of every process: human-readable lines by default, one JSON object per line in production.

``configure("json", "INFO")`` makes every record one line ``{"time", "level", "logger", "message", …}`` with the
request id of the HTTP request being served (``request_id``, set by the app's middleware through
:data:`request_id`) and whatever the caller put in ``extra`` (a gateway session adds ``terminal_id``, ``peer``
and ``protocol``), and the exception's traceback as ``exc``. Log shippers (Loki, Elasticsearch, Vector) read it
without parsing rules.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = ["JsonFormatter", "configure", "request_id"]

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the HTTP request being handled (None outside a request)."""

_STANDARD = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime", "taskName"}
)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the request id and the record's ``extra`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class _RequestIdText(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return f"{line} [request {rid}]" if rid is not None else line


def configure(fmt: Literal["text", "json"] = "text", level: str = "INFO") -> None:
    """Send every logger's records to stderr in ``fmt`` (uvicorn's loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else _RequestIdText(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
