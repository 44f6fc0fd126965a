"""The booking tables: codes, rows, the timeline, approvals, scoped reads, frequent places. Never commits.

Use cases that change a booking's status live in :mod:`.flows`; this module only reads and writes rows.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor
from gongwu.core.db import utcnow
from gongwu.core.errors import NotFound
from gongwu.core.fleet.models import Driver
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings.errors import BookingNotFound
from gongwu.dispatch.bookings.models import (
    Booking,
    BookingApproval,
    BookingCounter,
    BookingEvent,
    FrequentPlace,
)

__all__ = [
    "add_event",
    "approvals_of",
    "create_place",
    "events_of",
    "get_booking",
    "list_bookings",
    "list_places",
    "new_checkin_code",
    "next_code",
    "overlapping",
    "unit_chain",
    "visible_clause",
]

CHECKIN_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""Characters of check-in codes: none that read alike (0/O, 1/I)."""


async def next_code(session: AsyncSession, at: datetime, timezone: str) -> str:
    """The next booking code of the local day of ``at``: ``YC-20261127-0042`` (the day's 42nd booking)."""
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(BookingCounter).values(day=day, last=0).on_conflict_do_nothing())
    await session.execute(
        update(BookingCounter)
        .where(BookingCounter.day == day)
        .values(last=BookingCounter.last + 1)
        .execution_options(synchronize_session=False)
    )
    number = await session.scalar(
        select(BookingCounter.last).where(BookingCounter.day == day).execution_options(populate_existing=True)
    )
    return f"YC-{day}-{int(number or 0):04d}"


def new_checkin_code() -> str:
    """A short code the rider shows the driver (4 characters that cannot be misread)."""
    return "".join(secrets.choice(CHECKIN_ALPHABET) for _ in range(4))


def visible_clause(principal: Principal, *, senior: bool = False) -> ColumnElement[bool] | None:
    """Which bookings the principal sees: bureau-wide roles all (None); approvers and unit administrators
    those of their unit subtree; everyone their own, those their driver serves and those they decided on;
    ``senior`` approvers (see :func:`.people.is_senior`) also the beyond-city trips awaiting a second approval."""
    if principal.wide_sight:
        return None
    clauses = [
        Booking.requester_id == principal.user_id,
        Booking.driver_id.in_(select(Driver.id).where(Driver.user_id == principal.user_id)),
        Booking.id.in_(select(BookingApproval.booking_id).where(BookingApproval.approver_id == principal.user_id)),
    ]
    if principal.can("dispatch.booking.approve") or "unit_admin" in principal.roles:
        subtree = principal.unit_filter(Booking.unit_id)
        if subtree is not None:
            clauses.append(subtree)
    if senior:
        clauses.append(and_(Booking.status == "submitted", Booking.approval_levels == 2, Booking.approved_level == 1))
    return or_(*clauses)


def _scoped(query: Select[Any], principal: Principal | None, senior: bool = False) -> Select[Any]:
    if principal is None:
        return query
    clause = visible_clause(principal, senior=senior)
    return query if clause is None else query.where(clause)


async def get_booking(
    session: AsyncSession,
    booking_id: int,
    principal: Principal | None = None,
    *,
    lock: bool = False,
    senior: bool = False,
) -> Booking:
    """The booking, if the principal may see it (None: internal use, no scoping); ``lock`` holds its row."""
    query = _scoped(select(Booking).where(Booking.id == booking_id), principal, senior)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    booking: Booking | None = await session.scalar(query)
    if booking is None:
        raise BookingNotFound(
            f"Booking {booking_id} not found.",
            message_zh=f"未找到用车申请 {booking_id}。",
            details={"booking_id": booking_id},
        )
    return booking


async def list_bookings(
    session: AsyncSession,
    principal: Principal | None,
    *,
    statuses: Sequence[str] | None = None,
    mine: bool = False,
    unit_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
    senior: bool = False,
) -> Sequence[Booking]:
    """Bookings in sight, newest pick-up first; ``mine``: only the principal's own."""
    query = _scoped(select(Booking), principal, senior)
    if mine and principal is not None:
        query = query.where(Booking.requester_id == principal.user_id)
    if statuses:
        query = query.where(Booking.status.in_(statuses))
    if unit_id is not None:
        query = query.where(Booking.unit_id == unit_id)
    if start is not None:
        query = query.where(Booking.latest_arrival >= start)
    if end is not None:
        query = query.where(Booking.earliest_pickup < end)
    query = query.order_by(Booking.earliest_pickup.desc(), Booking.id.desc()).limit(limit)
    rows: Sequence[Booking] = (await session.scalars(query)).all()
    return rows


async def add_event(
    session: AsyncSession,
    booking: Booking,
    actor: Actor,
    kind: str,
    from_status: str | None,
    note: str | None = None,
    data: dict[str, object] | None = None,
) -> BookingEvent:
    event = BookingEvent(
        booking_id=booking.id,
        at=utcnow(),
        actor_id=actor.id,
        actor_name=actor.name,
        kind=kind,
        from_status=from_status,
        to_status=booking.status,
        note=note,
        data=data,
    )
    session.add(event)
    return event


async def events_of(session: AsyncSession, booking_id: int) -> Sequence[BookingEvent]:
    query = select(BookingEvent).where(BookingEvent.booking_id == booking_id).order_by(BookingEvent.id)
    return (await session.scalars(query)).all()


async def approvals_of(session: AsyncSession, booking_id: int) -> Sequence[BookingApproval]:
    query = select(BookingApproval).where(BookingApproval.booking_id == booking_id).order_by(BookingApproval.level)
    return (await session.scalars(query)).all()


async def list_places(session: AsyncSession, principal: Principal) -> Sequence[FrequentPlace]:
    """Places offered to the principal: the bureau-wide ones and those of units above or at theirs."""
    chain = [int(x) for x in principal.unit_path.strip("/").split("/") if x]
    query = select(FrequentPlace).where(or_(FrequentPlace.unit_id.is_(None), FrequentPlace.unit_id.in_(chain)))
    if principal.wide_sight:
        query = select(FrequentPlace)
    return (await session.scalars(query.order_by(FrequentPlace.sort, FrequentPlace.id))).all()


async def create_place(
    session: AsyncSession,
    *,
    name: str,
    address: str,
    lat: float,
    lon: float,
    unit_id: int | None = None,
    name_en: str | None = None,
    sort: int = 0,
) -> FrequentPlace:
    place = FrequentPlace(
        name=name, name_en=name_en, address=address, lat=lat, lon=lon, unit_id=unit_id, sort=sort, created_at=utcnow()
    )
    session.add(place)
    await session.flush()
    return place


async def unit_chain(session: AsyncSession, unit_id: int) -> tuple[OrgUnit, list[int]]:
    """The unit and the ids from the root down to it."""
    unit = await session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound(
            f"Unit {unit_id} not found.", code="identity.unit_not_found", message_zh=f"未找到单位 {unit_id}。"
        )
    return unit, [int(x) for x in unit.path.strip("/").split("/") if x]


def overlapping(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Bookings whose planned (else requested) time overlaps [start, end)."""
    begins = Booking.planned_pickup_at
    ends = Booking.planned_dropoff_at
    return or_(
        and_(begins.is_not(None), begins < end, ends > start),
        and_(begins.is_(None), Booking.earliest_pickup < end, Booking.latest_arrival > start),
    )
