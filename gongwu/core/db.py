"""Database access: one declarative base, engines for PostgreSQL + PostGIS and SQLite + SpatiaLite.

The caller owns the unit of work: services add, query and flush on the session they are given and never
commit; the HTTP route, the CLI command or the worker that opened the session commits or rolls back.

On SQLite the interpreter's ``sqlite3`` often cannot load extensions, so the embedded path runs aiosqlite on
``pysqlite3`` (a current SQLite built with extension loading) and loads Debian's ``mod_spatialite`` on every
connection. Every SQLite transaction starts with ``BEGIN IMMEDIATE``: SQLite has one writer, and taking the
write lock up front turns a would-be deadlock between two read-then-write transactions into a short wait.
"""

from __future__ import annotations

import importlib
import os
import types
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_only

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "BigIntPK",
    "Database",
    "Money",
    "UTCDateTime",
    "is_postgres",
    "is_sqlite",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names follow :data:`NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SPATIALITE_MODULE = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgres(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def _sqlite_dbapi() -> Any:
    """aiosqlite driving pysqlite3 connections, shaped as SQLAlchemy's aiosqlite adapter expects."""
    import aiosqlite
    from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

    try:
        sqlite: Any = importlib.import_module("pysqlite3.dbapi2")
    except ImportError:  # a Python whose sqlite3 can load extensions
        sqlite = importlib.import_module("sqlite3")

    def connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
        return aiosqlite.Connection(lambda: sqlite.connect(database, **kwargs), 64)

    shim = types.SimpleNamespace(
        Connection=aiosqlite.Connection,
        connect=connect,
        __version__=aiosqlite.__version__,
        sqlite_version=sqlite.sqlite_version,
        sqlite_version_info=sqlite.sqlite_version_info,
        **{
            name: getattr(sqlite, name)
            for name in (
                "DatabaseError",
                "Error",
                "IntegrityError",
                "NotSupportedError",
                "OperationalError",
                "ProgrammingError",
            )
        },
    )
    return AsyncAdapt_aiosqlite_dbapi(shim, sqlite)  # type: ignore[arg-type]


def _prepare_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        raw = dbapi_connection.driver_connection
        await_only(raw.enable_load_extension(True))
        await_only(raw.load_extension(SPATIALITE_MODULE))
        await_only(raw.enable_load_extension(False))
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA foreign_keys=ON",
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=30000",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """An engine and its session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            database = self.url.database or ""
            if database and database != ":memory:":
                os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
            kwargs["module"] = _sqlite_dbapi()
        else:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_pre_ping=True)
        self.engine = create_async_engine(self.url, **kwargs)
        if self.is_sqlite:
            _prepare_sqlite(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.url.get_backend_name() == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction the caller commits; anything not committed is rolled back."""
        async with self.sessions() as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone; PostgreSQL uses timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Gongwu stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """An amount in yuan with two decimals, stored exactly as integer fen (分) on every backend."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        fen = Decimal(value) * 100
        if fen != fen.to_integral_value():
            raise ValueError(f"{value} yuan has more than two decimals")
        return int(fen)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(Decimal("0.01"))


BigIntPK = BigInteger().with_variant(Integer, "sqlite")
"""A 64-bit primary key on PostgreSQL that is still SQLite's rowid alias (so it autoincrements)."""


def utcnow() -> datetime:
    return datetime.now(UTC)
