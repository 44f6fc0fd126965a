"""The audit chain: an append-only, hash-chained record of every state-changing action.

Every table whose model mixes in :class:`Audited` is recorded automatically: a listener on the session's
flush writes one :class:`AuditRecord` per inserted, updated or deleted row — who (``session.info["actor"]``),
what (table and id, the values before and after), when, and in which use case (``session.info["context"]``,
e.g. ``"dispatch.booking.approve"``) — in the same transaction as the change. No module can forget it.

Each record stores the SHA-256 of its own content and of the previous record's hash, so altering, removing
or reordering a record breaks the chain from that point; :func:`verify` names the first broken record.
On PostgreSQL a trigger also refuses UPDATE and DELETE on the table, and appends are serialised with a
transaction-scoped advisory lock so concurrent transactions never fork the chain.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Connection, String, event, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from gongwu.core.db import Base, BigIntPK, UTCDateTime, utcnow

__all__ = [
    "Actor",
    "AuditRecord",
    "Audited",
    "ChainBreak",
    "record",
    "set_actor",
    "verify",
]

GENESIS = "0" * 64

Row = tuple[str, str, str, Any, Any]
"""A record to append: (action, entity type, entity id, before, after)."""
_ADVISORY_KEY = 0x6E677775  # "ngwu": one lock for the one chain


@dataclass(frozen=True, slots=True)
class Actor:
    id: int | None
    name: str


SYSTEM = Actor(None, "system")


class Audited:
    """Mix into a model to have every insert, update and delete of its rows recorded."""

    __audit_exclude__: ClassVar[frozenset[str]] = frozenset()


class AuditRecord(Base):
    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80), index=True)
    context: Mapped[str | None] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def set_actor(session: AsyncSession | Session, actor: Actor, context: str | None = None) -> None:
    """Say who acts through this session (and, optionally, in which use case)."""
    info = session.info
    info["actor"] = actor
    if context is not None:
        info["context"] = context


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if hasattr(value, "desc") and type(value).__name__.endswith("Element"):  # geoalchemy2 elements
        return str(value.desc)
    return value


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _digest(
    *,
    id: int,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    context: str | None,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    body = _canonical(
        {
            "id": id,
            "at": at.isoformat(),
            "actor_id": actor_id,
            "actor": actor,
            "action": action,
            "context": context,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "before": before,
            "after": after,
        }
    )
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


def _row_values(obj: Any, *, old: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) column values; for an update only the columns that changed."""
    state = inspect(obj)
    exclude = type(obj).__audit_exclude__
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in exclude:
            continue
        hist = state.attrs[key].history
        if old:
            if hist.has_changes():
                before[key] = _jsonable(hist.deleted[0]) if hist.deleted else None
                after[key] = _jsonable(hist.added[0]) if hist.added else None
        else:
            after[key] = _jsonable(getattr(obj, key))
    return before, after


def _entity_id(obj: Any) -> str:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    return "/".join(str(v) for v in key)


def _lock_and_tail(conn: Connection) -> str:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    tail = conn.execute(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1)).scalar()
    return tail or GENESIS


def _append(conn: Connection, actor: Actor, context: str | None, rows: Iterable[Row]) -> None:
    prev = _lock_and_tail(conn)
    next_id = (conn.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc()).limit(1)).scalar() or 0) + 1
    for action, entity_type, entity_id, before, after in rows:
        at = utcnow()
        fields = dict(
            id=next_id,
            at=at,
            actor_id=actor.id,
            actor=actor.name,
            action=action,
            context=context,
            entity_type=entity_type,
            entity_id=entity_id,
            before=before,
            after=after,
        )
        digest = _digest(**fields, prev_hash=prev)
        conn.execute(insert(AuditRecord).values(**fields, prev_hash=prev, hash=digest))
        prev = digest
        next_id += 1


@event.listens_for(Session, "after_flush")
def _record_flush(session: Session, _flush_context: Any) -> None:
    rows: list[Row] = []
    for op, objs in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objs:
            if not isinstance(obj, Audited):
                continue
            table = obj.__tablename__  # type: ignore[attr-defined]
            if op == "update":
                before, after = _row_values(obj, old=True)
                if not after and not before:
                    continue
            elif op == "create":
                before, after = {}, _row_values(obj, old=False)[1]
            else:
                before, after = _row_values(obj, old=False)[1], {}
            rows.append((f"{table}.{op}", table, _entity_id(obj), before or None, after or None))
    if rows:
        rows.sort(key=lambda r: (r[1], r[2], r[0]))  # deterministic order within one flush
        _append(session.connection(), session.info.get("actor", SYSTEM), session.info.get("context"), rows)


async def record(
    session: AsyncSession,
    action: str,
    entity_type: str,
    entity_id: str | int,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an action that changes no audited row (a login, an export, a command sent to a terminal)."""
    actor = session.info.get("actor", SYSTEM)
    context = session.info.get("context")
    conn = await session.connection()
    await conn.run_sync(
        lambda c: _append(c, actor, context, [(action, entity_type, str(entity_id), None, details or None)])
    )


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first record whose content or link does not match the chain."""

    record_id: int
    reason: str


async def verify(session: AsyncSession, *, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; returns (records checked, first break or None)."""
    checked = 0
    prev = GENESIS
    async for rec in _records(session, batch):
        if rec.prev_hash != prev:
            return checked, ChainBreak(
                rec.id,
                "its link to the previous record does not match: a record before it was removed or replaced",
            )
        expected = _digest(
            id=rec.id,
            at=rec.at,
            actor_id=rec.actor_id,
            actor=rec.actor,
            action=rec.action,
            context=rec.context,
            entity_type=rec.entity_type,
            entity_id=rec.entity_id,
            before=rec.before,
            after=rec.after,
            prev_hash=rec.prev_hash,
        )
        if expected != rec.hash:
            return checked, ChainBreak(rec.id, "its content does not match its hash: the record was altered")
        prev = rec.hash
        checked += 1
    return checked, None


async def _records(session: AsyncSession, batch: int) -> AsyncIterator[AuditRecord]:
    last = 0
    while True:
        rows = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.id > last).order_by(AuditRecord.id).limit(batch)
            )
        ).all()
        if not rows:
            return
        for rec in rows:
            yield rec
        last = rows[-1].id
        session.expunge_all()
