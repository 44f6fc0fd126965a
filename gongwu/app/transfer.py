"""``gongwu export FILE`` / ``gongwu import FILE``: a bureau's master data as one versioned JSON document, to
move from the embedded default (SQLite) to PostgreSQL, or between servers.

What moves: the org tree, users (password hashes and roles), the fleet (cars, quotas, seals, drivers), budget
years, lines and their ledger, terminals (with their auth codes: no terminal has to register again), geofences,
working calendars, speed limits, charging sites, connectors, tariffs and car profiles, frequent places, fuel
stations, cost quotas and fixed costs — and the audit chain. What does not: positions and everything derived
from them (trips, stops, alarms, summaries), bookings, plans, tasks, expenses, cost postings, notifications.
Positions are history: keep them with ``pg_dump`` (see README, *Backup and restore*).

**The audit chain moves as it is.** Its records are copied verbatim (ids, times, hashes), verified on the way
in — a file whose chain does not verify is refused whole — and one record ``system.import`` (the file's SHA-256,
its format version, the rows per table) is appended to it. So ``gongwu audit verify`` on the new database proves
both the history and the move. (Starting a new chain would cut the evidence of everything done before the move;
the ids the records name are kept by the import, so they still point at the right rows.)

The target must be migrated (``gongwu db upgrade``) and hold no org tree yet; the import is one transaction, and
on PostgreSQL the id sequences are moved past the imported ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, DateTime, LargeBinary, Numeric, Table, Time, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gongwu.app.models import Base
from gongwu.core import audit
from gongwu.core.db import Database
from gongwu.core.errors import Conflict, InvalidInput

__all__ = ["FORMAT", "MASTER_TABLES", "VERSION", "export_data", "import_data"]

FORMAT = "gongwu-master-data"
VERSION = 1
MASTER_TABLES = (
    "org_unit",
    "app_user",
    "user_role",
    "vehicle",
    "vehicle_quota",
    "vehicle_seal",
    "vehicle_limit",
    "driver",
    "fiscal_year",
    "budget_line",
    "budget_entry",
    "terminal",
    "geofence",
    "working_calendar",
    "calendar_day",
    "charging_tariff",
    "charging_tariff_band",
    "charging_site",
    "charging_connector",
    "charging_profile",
    "frequent_place",
    "fuel_station",
    "cost_quota",
    "fixed_cost",
    "audit_record",
)
"""In an order that inserts parents before children."""


def _tables() -> list[Table]:
    order = {t.name: i for i, t in enumerate(Base.metadata.sorted_tables)}
    tables = [Base.metadata.tables[name] for name in MASTER_TABLES]
    return sorted(tables, key=lambda t: order[t.name])


def _dump(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _loader(column: Any) -> Any:
    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(kind, DateTime) or isinstance(impl, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date) or isinstance(impl, Date):
        return date.fromisoformat
    if isinstance(kind, Time) or isinstance(impl, Time):
        return time.fromisoformat
    if isinstance(kind, Numeric) or isinstance(impl, Numeric):
        return Decimal
    if isinstance(kind, LargeBinary) or isinstance(impl, LargeBinary):
        return base64.b64decode
    return None


async def _schema(conn: AsyncConnection) -> list[str]:
    return sorted((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all())


async def export_data(db: Database) -> dict[str, Any]:
    """The master data of the database as a JSON-ready document."""
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "tables": {}}
    async with db.engine.connect() as conn:
        out["schema"] = await _schema(conn)
        out["exported_at"] = datetime.now().astimezone().isoformat(timespec="seconds")
        for table in _tables():
            columns = [c for c in table.columns if c.computed is None]
            keys = list(table.primary_key.columns) or columns
            rows = (await conn.execute(select(*columns).order_by(*keys))).all()
            out["tables"][table.name] = {
                "columns": [c.name for c in columns],
                "rows": [[_dump(v) for v in row] for row in rows],
            }
    return out


def digest(document: dict[str, Any]) -> str:
    """SHA-256 of the document's canonical JSON (what the import records in the audit chain)."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check(document: dict[str, Any]) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidInput(f"Not a {FORMAT} file.", code="transfer.bad_format", message_zh=f"不是 {FORMAT} 文件。")
    if document.get("version") != VERSION:
        raise InvalidInput(
            f"Format version {document.get('version')} is not {VERSION}; export again with this version.",
            code="transfer.bad_version",
            message_zh=f"文件格式版本 {document.get('version')} 不是 {VERSION}，请用当前版本重新导出。",
        )
    tables = document.get("tables")
    if not isinstance(tables, dict):
        raise InvalidInput("The file has no tables.", code="transfer.bad_format", message_zh="文件中没有数据表。")
    unknown = set(tables) - set(MASTER_TABLES)
    if unknown:
        raise InvalidInput(
            f"Unknown tables {sorted(unknown)}.",
            code="transfer.bad_format",
            message_zh=f"未知的数据表 {sorted(unknown)}。",
        )


async def import_data(db: Database, document: dict[str, Any], *, actor: str = "gongwu import") -> dict[str, int]:
    """Load an exported document into an empty, migrated database (one transaction); rows per table."""
    _check(document)
    counts: dict[str, int] = {}
    async with db.session() as session:
        conn = await session.connection()
        if await conn.scalar(select(func.count()).select_from(Base.metadata.tables["org_unit"])):
            raise Conflict(
                "The target database already holds an org tree; import into an empty (migrated) database.",
                code="transfer.target_not_empty",
                message_zh="目标数据库已有组织机构，请导入到空的（已完成迁移的）数据库。",
            )
        if await conn.scalar(select(func.count()).select_from(audit.AuditRecord.__table__)):
            raise Conflict(
                "The target database already has an audit chain.",
                code="transfer.target_not_empty",
                message_zh="目标数据库已有审计链。",
            )
        for table in _tables():
            block = document["tables"].get(table.name)
            if not block:
                counts[table.name] = 0
                continue
            names = block["columns"]
            known = {c.name: c for c in table.columns if c.computed is None}
            if set(names) - set(known):
                raise InvalidInput(
                    f"{table.name}: unknown columns {sorted(set(names) - set(known))}.",
                    code="transfer.bad_format",
                    message_zh=f"{table.name}：未知的列 {sorted(set(names) - set(known))}。",
                )
            loaders = [_loader(known[n]) for n in names]
            rows = [
                {n: (load(v) if load is not None and v is not None else v) for n, load, v in zip(names, loaders, row,
                                                                                                   strict=True)}
                for row in block["rows"]
            ]  # fmt: skip
            for start in range(0, len(rows), 500):
                await conn.execute(insert(table), rows[start : start + 500])
            counts[table.name] = len(rows)
        checked, broken = await audit.verify(session)
        if broken is not None:
            raise InvalidInput(
                f"The file's audit chain is broken at record {broken.record_id}: {broken.reason}. Nothing imported.",
                code="transfer.chain_broken",
                message_zh=f"文件中的审计链在第 {broken.record_id} 条记录处断裂：{broken.reason}。未导入任何数据。",
                details={"record_id": broken.record_id, "verified": checked},
            )
        if db.is_postgres:
            await _advance_sequences(conn)
        audit.set_actor(session, audit.Actor(None, actor), context="system.import")
        details = {"sha256": digest(document), "format": FORMAT, "version": VERSION, "from_schema":
                   document.get("schema"), "rows": counts}  # fmt: skip
        await audit.record(session, "system.import", "database", "master-data", details)
        await session.commit()
    return counts


async def _advance_sequences(conn: AsyncConnection) -> None:
    """Move every serial id sequence past the imported ids (PostgreSQL)."""
    for table in _tables():
        for column in table.primary_key.columns:
            if not column.autoincrement or len(table.primary_key.columns) != 1:
                continue
            sequence = await conn.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            )
            if sequence:
                await conn.execute(
                    text(f"SELECT setval(:s, GREATEST((SELECT max({column.name}) FROM {table.name}), 1))"),
                    {"s": sequence},
                )
