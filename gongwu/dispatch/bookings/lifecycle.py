"""The machinery every step of a booking's life shares: the allowed transitions, the timeline and audit
context of a step, and its announcement (in-page notifications, the bus event, the webhook notice).

Used by :mod:`.flows` (people's steps) and :mod:`.assignment` (dispatch's steps); other packages use those.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core import audit
from gongwu.core.audit import Actor
from gongwu.core.db import utcnow
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings import service
from gongwu.dispatch.bookings.errors import BadTransition
from gongwu.dispatch.bookings.models import STATUSES, Booking
from gongwu.dispatch.notify import service as notify
from gongwu.dispatch.settings import DispatchSettings

__all__ = [
    "BUDGET_CLASS",
    "CONTEXTS",
    "SOURCE_TYPE",
    "TOPIC",
    "TRANSITIONS",
    "Policy",
    "acting",
    "announce",
    "aware",
    "ensure",
    "step",
]

TOPIC = "dispatch.bookings"
"""Bus topic: ``{booking_id, code, event, status, previous, unit_id, vehicle_id, driver_id, may_pool,
earliest_pickup, latest_arrival, at}`` after every step."""
BUDGET_CLASS = "30231"
"""公务用车运行维护费: the economic class a booking's cost is reserved on."""
SOURCE_TYPE = "dispatch.booking"
"""Source type of the budget ledger entries of bookings (source id: the booking id)."""

TRANSITIONS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"assigned", "cancelled"}),
    "assigned": frozenset({"assigned", "approved", "in_progress", "cancelled"}),
    "in_progress": frozenset({"completed"}),
    "rejected": frozenset(),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
"""Allowed status changes (``assigned → assigned`` is a re-assignment, ``assigned → approved`` an un-assignment)."""

CONTEXTS = {
    "approved": "approve",
    "rejected": "reject",
    "cancelled": "cancel",
    "assigned": "assign",
    "reassigned": "assign",
    "unassigned": "unassign",
    "in_progress": "start",
    "completed": "complete",
}
"""The use case (audit context ``dispatch.booking.<name>``) of each step."""


@dataclass(frozen=True)
class Policy:
    """The bureau's dispatch settings and its wall-clock time zone (booking codes, budget year, texts)."""

    settings: DispatchSettings
    timezone: str = "Asia/Shanghai"


def acting(who: Principal | Actor | None) -> tuple[Actor, str]:
    """The audit actor and the name the timeline shows."""
    if isinstance(who, Principal):
        return Actor(who.user_id, who.username), who.full_name
    if who is None:
        return Actor(None, "dispatch"), "dispatch"
    return who, who.name


def aware(value: datetime, timezone: str) -> datetime:
    """A naive time is the bureau's wall-clock time."""
    return value.replace(tzinfo=ZoneInfo(timezone)) if value.tzinfo is None else value


def ensure(booking: Booking, to: str) -> None:
    """Raise :class:`BadTransition` unless the booking may move to ``to``."""
    now = booking.status
    if to not in TRANSITIONS[now]:
        raise BadTransition(
            f"Booking {booking.code} is {STATUSES[now][1].lower()} ({STATUSES[now][0]}); it cannot become "
            f"{STATUSES[to][1].lower()}.",
            message_zh=f"用车申请 {booking.code} 当前为“{STATUSES[now][0]}”，不能变更为“{STATUSES[to][0]}”。",
            details={"booking_id": booking.id, "status": now, "wanted": to},
        )


async def step(
    session: AsyncSession,
    booking: Booking,
    to: str,
    who: Principal | Actor | None,
    kind: str,
    *,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> str:
    """Move the booking to ``to`` (checked against :data:`TRANSITIONS`), write the timeline and the audit
    context; returns the previous status."""
    previous = booking.status
    ensure(booking, to)
    actor, name = acting(who)
    audit.set_actor(session, actor, context=f"dispatch.booking.{CONTEXTS.get(kind, kind)}")
    booking.status = to
    await session.flush()
    await service.add_event(session, booking, Actor(actor.id, name), kind, previous, note=note, data=data)
    await session.flush()
    return previous


async def announce(
    session: AsyncSession,
    booking: Booking,
    kind: str,
    previous: str | None,
    messages: Iterable[tuple[Iterable[int | None], tuple[str, str]]],
) -> None:
    """Notify each audience its text (in-page) and queue the bus event with the webhook notice."""
    recipients: list[dict[str, Any]] = []
    texts: list[dict[str, str]] = []
    for users, (zh, en) in messages:
        ids = [u for u in dict.fromkeys(users) if u is not None]
        if not ids:
            continue
        await notify.notify(session, ids, kind=kind, text_zh=zh, text_en=en, booking_id=booking.id)
        for contact in await notify.contacts(session, ids):
            recipients.append(contact | {"text": {"zh": zh, "en": en}})
        texts.append({"zh": zh, "en": en})
    payload = {
        "booking_id": booking.id,
        "code": booking.code,
        "event": kind,
        "status": booking.status,
        "previous": previous,
        "unit_id": booking.unit_id,
        "vehicle_id": booking.vehicle_id,
        "driver_id": booking.driver_id,
        "may_pool": booking.may_pool,
        "earliest_pickup": booking.earliest_pickup.isoformat(),
        "latest_arrival": booking.latest_arrival.isoformat(),
        "at": utcnow().isoformat(),
    }
    await notify.enqueue(session, TOPIC, payload, notice={"kind": kind, "recipients": recipients})
