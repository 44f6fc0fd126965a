"""Who is concerned by a booking: its unit's approvers, the senior approvers of beyond-city trips, the driver,
the dispatchers. Used to check an approver and to address notifications."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.fleet.models import Driver
from gongwu.core.identity.models import OrgUnit, User, UserRole
from gongwu.core.identity.permissions import ROLES
from gongwu.core.identity.principal import Principal
from gongwu.dispatch.bookings.models import Booking, BookingApproval
from gongwu.dispatch.bookings.rules import rank_order
from gongwu.dispatch.settings import DispatchSettings

__all__ = [
    "APPROVE",
    "dispatchers",
    "driver_user",
    "first_approval",
    "is_senior",
    "senior_approvers",
    "senior_needed_rank",
    "unit_approvers",
]

APPROVE = "dispatch.booking.approve"


def _approver_roles() -> list[str]:
    """Roles that approve within their unit subtree (bureau-wide roles such as admin are not unit approvers)."""
    return [r.code for r in ROLES.values() if APPROVE in r.permissions and not r.wide_sight]


async def _senior_paths(session: AsyncSession, settings: DispatchSettings) -> list[str]:
    if not settings.senior_approver_units:
        return []
    rows = await session.scalars(select(OrgUnit.path).where(OrgUnit.code.in_(settings.senior_approver_units)))
    return list(rows)


async def is_senior(session: AsyncSession, principal: Principal, settings: DispatchSettings) -> bool:
    """An approver of a senior unit (the bureau's leadership) of at least the senior rank."""
    if not principal.can(APPROVE) or rank_order(principal.rank) < rank_order(settings.senior_min_rank):
        return False
    return any(principal.unit_path.startswith(p) for p in await _senior_paths(session, settings))


async def first_approval(session: AsyncSession, booking_id: int) -> BookingApproval | None:
    return await session.scalar(
        select(BookingApproval).where(BookingApproval.booking_id == booking_id, BookingApproval.level == 1)
    )


async def senior_needed_rank(session: AsyncSession, booking: Booking, settings: DispatchSettings) -> int:
    """The rank order a level-2 approver needs: the senior minimum, and at least the first approver's."""
    needed = rank_order(settings.senior_min_rank)
    first = await first_approval(session, booking.id)
    if first is not None:
        first_rank = await session.scalar(select(User.rank).where(User.id == first.approver_id))
        needed = max(needed, rank_order(first_rank or ""))
    return needed


async def unit_approvers(session: AsyncSession, booking: Booking) -> list[int]:
    """Approvers at the booking's unit or above it (they see its subtree), the requester left out."""
    unit = await session.get(OrgUnit, booking.unit_id)
    chain = [int(x) for x in (unit.path if unit else "").strip("/").split("/") if x]
    rows = await session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role.in_(_approver_roles()),
            User.unit_id.in_(chain),
            User.disabled.is_(False),
            User.id != booking.requester_id,
        )
        .distinct()
    )
    return sorted(rows)


async def senior_approvers(session: AsyncSession, booking: Booking, settings: DispatchSettings) -> list[int]:
    """Who may give the second approval: approvers in sight of the unit or of a senior unit, senior enough,
    neither the requester nor the first approver."""
    unit = await session.get(OrgUnit, booking.unit_id)
    chain = {int(x) for x in (unit.path if unit else "").strip("/").split("/") if x}
    senior = await _senior_paths(session, settings)
    needed = await senior_needed_rank(session, booking, settings)
    first = await first_approval(session, booking.id)
    rows = await session.execute(
        select(User.id, User.rank, User.unit_id, OrgUnit.path)
        .join(UserRole, UserRole.user_id == User.id)
        .join(OrgUnit, OrgUnit.id == User.unit_id)
        .where(UserRole.role.in_(_approver_roles()), User.disabled.is_(False), User.id != booking.requester_id)
        .distinct()
    )
    out = []
    for user_id, rank, unit_id, path in rows:
        if first is not None and user_id == first.approver_id:
            continue
        if rank_order(rank) < needed:
            continue
        if unit_id in chain or any(path.startswith(p) for p in senior):
            out.append(user_id)
    return sorted(out)


async def driver_user(session: AsyncSession, driver_id: int | None) -> int | None:
    if driver_id is None:
        return None
    return await session.scalar(select(Driver.user_id).where(Driver.id == driver_id))


async def dispatchers(session: AsyncSession) -> list[int]:
    rows = await session.scalars(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "dispatcher", User.disabled.is_(False))
        .distinct()
    )
    return sorted(rows)
