"""Schema migrations (Alembic) run from the command line, the demo, and the tests."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from gongwu.app.paths import ALEMBIC_INI, MIGRATIONS

__all__ = ["alembic_config", "upgrade"]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database at ``database_url`` to ``revision`` (synchronous; call from a thread under asyncio)."""
    command.upgrade(alembic_config(database_url), revision)
