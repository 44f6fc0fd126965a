"""Settings of the shared kernel, read from the environment (prefix ``GONGWU_``).

Each package has its own settings class (``TelematicsSettings``, ``RoutingSettings`` …); the composition root
(``gongwu.app.settings``) puts them together. Only settings modules read the environment.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["PLACEHOLDER_SECRET", "CoreSettings", "SettingsError"]

PLACEHOLDER_SECRET = "dev-only-insecure-secret-change-me"


class SettingsError(ValueError):
    """A setting that would make the platform unsafe or unable to start."""


class CoreSettings(BaseSettings):
    """Database, bus, HTTP and security settings every process shares."""

    model_config = SettingsConfigDict(env_prefix="GONGWU_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", description="Run mode. `production` refuses a placeholder or short secret key."
    )
    data_dir: Path = Field(Path("var"), description="Folder for the embedded database, the imported map, and uploads.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL. Unset: SQLite + SpatiaLite at DATA_DIR/gongwu.db. "
        "A `postgresql+asyncpg://…` URL selects PostgreSQL + PostGIS.",
    )
    redis_url: str | None = Field(
        None, description="Redis URL (`redis://host:6379/0`). Unset: the in-process event bus (one process)."
    )
    http_host: str = Field("127.0.0.1", description="Address the HTTP server binds.")
    http_port: int = Field(8000, description="Port of the API, the pages and the WebSocket feed.")
    secret_key: SecretStr = Field(
        SecretStr(PLACEHOLDER_SECRET),
        description="Key that signs access and refresh tokens; at least 32 characters in production.",
    )
    access_token_minutes: int = Field(30, ge=1, description="Lifetime of an access token.")
    refresh_token_days: int = Field(7, ge=1, description="Lifetime of a refresh token.")
    local_timezone: str = Field(
        "Asia/Shanghai", description="The bureau's wall-clock zone (working hours, daily reports)."
    )
    sql_echo: bool = Field(False, description="Log every SQL statement (debugging only).")
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`text`: human-readable lines (development). `json`: one JSON object per line with level, "
        "logger, message, request id or terminal id (production, for a log shipper).",
    )
    log_level: str = Field("INFO", description="Lowest level logged (DEBUG, INFO, WARNING, ERROR).")
    metrics_token: SecretStr | None = Field(
        None,
        description="When set, `/metrics` answers only requests with `Authorization: Bearer <token>` (the "
        "scraper's); unset, it is open — keep it on the internal network.",
    )
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="`gongwu gateway` and `gongwu consumers` (no HTTP API of their own) serve `/metrics`, "
        "`/health` and `/ready` on this port (unset: not served).",
    )
    gc_threshold: int = Field(
        50_000,
        ge=0,
        description="`gongwu serve`, `gateway` and `consumers` let Python's youngest garbage-collector generation "
        "grow to this many objects (Python's default is 700) and freeze the start-up heap: at the default the "
        "collector took about a fifth of a gateway's CPU. 0 keeps Python's defaults.",
    )
    max_body_bytes: int = Field(
        2_097_152,
        ge=65_536,
        description="Largest request body the API reads (413 above it); the two upload routes have their own "
        "ceiling: a fuel-card statement 10 MiB, a receipt photo 16 MiB (and DRIVING_RECEIPT_MAX_BYTES).",
    )
    login_max_failures: int = Field(
        10, ge=1, description="Failed logins of one username within LOGIN_WINDOW_S before it must wait (429)."
    )
    login_max_failures_per_address: int = Field(
        50, ge=1, description="Failed logins from one client address within LOGIN_WINDOW_S before it must wait."
    )
    login_window_s: float = Field(
        900.0, gt=0, description="The window of the login limits (counted in Redis when configured)."
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret_in_production(self) -> CoreSettings:
        if self.env == "production":
            key = self.secret_key.get_secret_value()
            if key == PLACEHOLDER_SECRET or len(key) < 32:
                raise SettingsError(
                    "GONGWU_SECRET_KEY must be set to a random value of at least 32 characters in production "
                    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)."
                )
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL in effect: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gongwu.db').resolve()}"
