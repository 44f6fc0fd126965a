"""The migrations build exactly the schema the models describe, on PostgreSQL and on SQLite."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from gongwu.app.models import Base
from gongwu.core.db import Database

# Hand-written DDL that the comparison cannot follow: on PostgreSQL `vehicle_position` is partitioned by day with
# a generated PostGIS column (migration t0001); its shape is checked by tests/telematics/test_storage.py.
NOT_COMPARED = frozenset({"vehicle_position"})


def _include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # PostGIS's and SpatiaLite's own tables are not ours; GeoAlchemy2 manages spatial indexes itself
    if type_ == "table" and reflected and compare_to is None:
        return False
    if type_ == "table" and name in NOT_COMPARED:
        return False
    return not (type_ == "index" and name is not None and name.startswith("idx_") and reflected)


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _include, "target_metadata": Base.metadata}
    )
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"the models and the migrations differ; write a migration: {diff}"
