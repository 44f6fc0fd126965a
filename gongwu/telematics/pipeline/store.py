"""Writing batches of positions: one COPY per batch on PostgreSQL, one ``executemany`` on SQLite.

A re-sent report must be stored once, and COPY cannot skip a conflicting row, so on PostgreSQL a batch is
COPYed into a session-local staging table and moved with ``INSERT … SELECT … ON CONFLICT DO NOTHING``
(``mode="staging"``). ``mode="unnest"`` sends the batch as arrays in one ``INSERT … SELECT FROM unnest(…)``;
``mode="copy"`` is the plain COPY into the partitioned table — no de-duplication, the ceiling the benchmark
compares against. The connections are asyncpg's own (binary COPY needs the raw driver).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from sqlalchemy import exc as sa_exc
from sqlalchemy import insert

from gongwu.core.db import Database
from gongwu.telematics.models import PositionRow
from gongwu.telematics.pipeline.fix import COLUMNS

__all__ = ["PgPositionStore", "PositionStore", "SqlitePositionStore", "open_store", "refusal"]

Record = tuple[Any, ...]
Mode = Literal["staging", "unnest", "copy"]

_STAGING = "vehicle_position_staging"
_STAGING_DDL = f"""CREATE TEMP TABLE IF NOT EXISTS {_STAGING} (
    vehicle_id integer, device_time timestamptz, digest integer, terminal_id integer, received_at timestamptz,
    lat double precision, lon double precision, altitude_m real, speed_kmh real, course real, ignition boolean,
    fix_valid boolean, odometer_km double precision, distance_m real, fuel_l real, soc_pct real,
    alarms varchar(400), flags smallint
) ON COMMIT DELETE ROWS"""
_COLS = ", ".join(COLUMNS)
_FROM_STAGING = f"INSERT INTO vehicle_position ({_COLS}) SELECT {_COLS} FROM {_STAGING} ON CONFLICT DO NOTHING"
_TYPES = (
    "int4",
    "timestamptz",
    "int4",
    "int4",
    "timestamptz",
    "float8",
    "float8",
    "float4",
    "float4",
    "float4",
    "bool",
    "bool",
    "float8",
    "float4",
    "float4",
    "float4",
    "varchar",
    "int2",
)
_UNNEST = (
    f"INSERT INTO vehicle_position ({_COLS}) SELECT * FROM unnest("
    + ", ".join(f"${i}::{t}[]" for i, t in enumerate(_TYPES, 1))
    + ") ON CONFLICT DO NOTHING"
)


class PositionStore(Protocol):
    """Durably stores a batch (committed when ``write`` returns); rows already there are skipped."""

    async def open(self) -> None: ...

    async def write(self, records: Sequence[Record]) -> None: ...

    async def close(self) -> None: ...


class PgPositionStore:
    """A small asyncpg pool (one connection per concurrent batch) writing into ``vehicle_position``."""

    def __init__(self, dsn: str, *, size: int = 2, mode: Mode = "staging") -> None:
        self.dsn = dsn
        self.size = size
        self.mode = mode
        self._pool: Any = None

    async def open(self) -> None:
        import asyncpg

        async def init(conn: Any) -> None:
            await conn.execute(_STAGING_DDL)

        self._pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=self.size, init=init)

    async def write(self, records: Sequence[Record]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            if self.mode == "staging":
                await conn.copy_records_to_table(_STAGING, records=records, columns=COLUMNS)
                await conn.execute(_FROM_STAGING)
            elif self.mode == "unnest":
                await conn.execute(_UNNEST, *(list(column) for column in zip(*records, strict=True)))
            else:
                await conn.copy_records_to_table("vehicle_position", records=records, columns=COLUMNS)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class SqlitePositionStore:
    """The embedded path: ``INSERT OR IGNORE`` of the batch in one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._insert = insert(PositionRow.__table__).prefix_with("OR IGNORE")  # type: ignore[arg-type]

    async def open(self) -> None:
        return None

    async def write(self, records: Sequence[Record]) -> None:
        rows = [dict(zip(COLUMNS, r, strict=True)) for r in records]
        async with self.db.session() as session:
            await session.execute(self._insert, rows)
            await session.commit()

    async def close(self) -> None:
        return None


def refusal(exc: BaseException) -> str | None:
    """Why the database refused the rows for their data, or None when the failure is not about the data (an
    outage, a lost connection: the batch is retried as it is).

    Refused: a data exception (SQLSTATE class 22: a value out of range, a bad encoding …) or a constraint
    violation (class 23) other than the unique conflict the writer skips; the driver's own refusal to encode a
    value for its column (asyncpg: ValueError / OverflowError, value out of int32 or float32 range; sqlite3:
    OverflowError, an integer past 64 bits); SQLAlchemy's IntegrityError / DataError (SQLite's constraints).
    """
    original = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if isinstance(sqlstate, str):
        if sqlstate[:2] == "22" or (sqlstate[:2] == "23" and sqlstate != "23505"):
            return f"{type(original).__name__} ({sqlstate}): {original}"[:300]
        return None
    if isinstance(exc, sa_exc.IntegrityError | sa_exc.DataError):
        return f"{type(original).__name__}: {original}"[:300]
    if isinstance(exc, ValueError | OverflowError) and not isinstance(exc, sa_exc.SQLAlchemyError):
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def pg_dsn(db: Database) -> str:
    """The libpq DSN of a SQLAlchemy ``postgresql+asyncpg://`` URL (for asyncpg itself)."""
    return db.url.set(drivername="postgresql").render_as_string(hide_password=False)


def open_store(db: Database, *, size: int = 2, mode: Mode = "staging") -> PositionStore:
    """The store for the configured database (not yet opened)."""
    if db.is_postgres:
        return PgPositionStore(pg_dsn(db), size=size, mode=mode)
    return SqlitePositionStore(db)
