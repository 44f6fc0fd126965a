"""The rules of official-car use a booking must keep, each refused with its own code and a clear message.

| code | status | rule |
|---|---|---|
| `dispatch.window_order` | 422 | the latest arrival is after the earliest pick-up |
| `dispatch.window_past` | 422 | the pick-up is in the future (and at least `min_lead_minutes` away) |
| `dispatch.window_too_far` | 422 | … and at most `max_days_ahead` days away |
| `dispatch.window_too_short` | 422 | the window holds the routed drive plus boarding and alighting |
| `dispatch.unknown_category` | 422 | the category is one of the fleet's |
| `dispatch.confidential_category` | 422 | a confidential (机要) trip goes in a confidential car, and only it |
| `dispatch.leader_rank` | 403 | a leader trip (定向化保障) is booked by a leader of at least `leader_min_rank` |
| `dispatch.category_not_allowed` | 403 | a category outside `open_categories` needs the unit's quota (编制) of it |
| `dispatch.no_car_fits` | 422 | some car of the category has the seats (passengers + driver, or `min_seats`) |
| `dispatch.unit_sealed` | 409 | the unit (or a unit above it) is not in a sealed period (封存) during the window |
| `dispatch.fleet_sealed` | 409 | some fitting car is not sealed during the window |
| `dispatch.monthly_quota` | 409 | the unit has bookings left this month (`unit_monthly_bookings`) |
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.errors import Forbidden
from gongwu.core.fleet.models import Vehicle, VehicleQuota, VehicleSeal
from gongwu.core.fleet.service import CATEGORIES, UNCOUNTED
from gongwu.core.identity.models import OrgUnit
from gongwu.core.identity.principal import Principal
from gongwu.core.identity.ranks import RANKS
from gongwu.dispatch.bookings.errors import BookingRefused, RuleBroken
from gongwu.dispatch.bookings.estimates import TripEstimate
from gongwu.dispatch.bookings.models import Booking
from gongwu.dispatch.settings import DispatchSettings

__all__ = [
    "check_category",
    "check_fits",
    "check_leader",
    "check_monthly_quota",
    "check_not_sealed",
    "check_seats",
    "check_unit_may_use",
    "check_window",
    "rank_order",
]

GRACE = timedelta(minutes=1)
"""A pick-up this close to now still counts as "now" (the form took a moment to send)."""


def rank_order(rank: str) -> int:
    found = RANKS.get(rank)
    return found.order if found else 0


def check_window(settings: DispatchSettings, earliest: datetime, latest: datetime, now: datetime) -> None:
    if latest <= earliest:
        raise BookingRefused(
            "The latest arrival must be after the earliest pick-up (最晚到达时间须晚于最早上车时间).",
            code="dispatch.window_order",
            message_zh="最晚到达时间须晚于最早上车时间。",
            details={"earliest_pickup": earliest.isoformat(), "latest_arrival": latest.isoformat()},
        )
    lead = timedelta(minutes=settings.min_lead_minutes)
    if earliest < now + lead - GRACE:
        raise BookingRefused(
            "The pick-up time has passed; book a trip in the future (上车时间已过)."
            if lead == timedelta(0)
            else f"Trips are booked at least {settings.min_lead_minutes:g} minutes ahead (须提前预约).",
            code="dispatch.window_past",
            message_zh="上车时间已过，请预约今后的行程。"
            if lead == timedelta(0)
            else f"用车须至少提前 {settings.min_lead_minutes:g} 分钟预约。",
            details={"earliest_pickup": earliest.isoformat(), "now": now.isoformat()},
        )
    if earliest > now + timedelta(days=settings.max_days_ahead):
        raise BookingRefused(
            f"Trips are booked at most {settings.max_days_ahead} days ahead (超出可预约天数).",
            code="dispatch.window_too_far",
            message_zh=f"最多只能提前 {settings.max_days_ahead} 天预约用车，已超出可预约天数。",
            details={"max_days_ahead": settings.max_days_ahead},
        )


def check_fits(settings: DispatchSettings, earliest: datetime, latest: datetime, estimate: TripEstimate) -> None:
    """The window must hold the drive plus boarding and alighting."""
    needed = estimate.minutes + 2 * settings.service_minutes
    have = (latest - earliest).total_seconds() / 60.0
    if have + 1e-9 < needed:
        raise BookingRefused(
            f"The drive takes about {estimate.minutes:.0f} minutes ({needed:.0f} with boarding); the window "
            f"from pick-up to arrival is only {have:.0f} minutes (时间窗口不足以完成行程).",
            code="dispatch.window_too_short",
            message_zh=f"行程约需 {estimate.minutes:.0f} 分钟（含上下车共 {needed:.0f} 分钟），"
            f"而从上车到到达的时间窗口只有 {have:.0f} 分钟，不足以完成行程。",
            details={"needed_minutes": round(needed, 1), "window_minutes": round(have, 1)},
        )


def check_category(category: str, confidential: bool) -> None:
    if category not in CATEGORIES:
        raise BookingRefused(
            f"Unknown car category {category!r}; use one of {', '.join(CATEGORIES)}.",
            code="dispatch.unknown_category",
            message_zh=f"未知的车辆类别 {category!r}，可选：{', '.join(CATEGORIES)}。",
            details={"categories": list(CATEGORIES)},
        )
    if confidential != (category == "confidential"):
        raise BookingRefused(
            "A confidential trip (机要) goes in a confidential-communications car, and such a car carries only "
            "confidential trips.",
            code="dispatch.confidential_category",
            message_zh="机要行程须使用机要通信车辆，机要通信车辆也只承担机要行程。",
            details={"category": category, "confidential": confidential},
        )


def check_leader(settings: DispatchSettings, principal: Principal, leader_trip: bool) -> None:
    if leader_trip and rank_order(principal.rank) < rank_order(settings.leader_min_rank):
        wanted = RANKS.get(settings.leader_min_rank)
        raise Forbidden(
            f"Leader trips (定向化保障) are for leaders of rank {wanted.name_zh if wanted else '?'} and above.",
            code="dispatch.leader_rank",
            message_zh=f"领导定向化保障仅限 {wanted.name_zh if wanted else '?'} 及以上职级的领导使用。",
            details={"rank": principal.rank, "min_rank": settings.leader_min_rank},
        )


async def check_unit_may_use(
    session: AsyncSession, settings: DispatchSettings, chain: list[int], category: str
) -> None:
    """Categories outside ``open_categories`` need a quota (编制) of the unit or a unit above it."""
    if category in settings.open_categories:
        return
    allowed = await session.scalar(
        select(func.coalesce(func.max(VehicleQuota.allowed), 0)).where(
            VehicleQuota.unit_id.in_(chain), VehicleQuota.category == category
        )
    )
    if not allowed:
        raise Forbidden(
            f"Your unit holds no quota (编制) of {CATEGORIES[category][0]} cars, so it cannot book one.",
            code="dispatch.category_not_allowed",
            message_zh=f"本单位没有{CATEGORIES[category][0]}车辆编制，不能申请此类车辆。",
            details={"category": category},
        )


async def check_seats(session: AsyncSession, category: str, min_seats: int) -> None:
    biggest = await session.scalar(
        select(func.max(Vehicle.seats)).where(Vehicle.category == category, Vehicle.status.not_in(UNCOUNTED))
    )
    if biggest is None or biggest < min_seats:
        raise BookingRefused(
            f"No {CATEGORIES[category][0]} car has {min_seats} seats (the driver's included); the biggest has "
            f"{biggest or 0}. Split the party or choose another category (没有座位足够的车辆).",
            code="dispatch.no_car_fits",
            message_zh=f"没有座位足够的{CATEGORIES[category][0]}车辆：需要 {min_seats} 个座位（含驾驶员），"
            f"最多的一辆只有 {biggest or 0} 个。请分批乘车或选择其他车辆类别。",
            details={"category": category, "min_seats": min_seats, "biggest": biggest or 0},
        )


async def check_not_sealed(
    session: AsyncSession, chain: list[int], category: str, min_seats: int, start: datetime, end: datetime
) -> None:
    """Neither the unit nor every fitting car may be sealed (封存) during [start, end)."""
    seals = (
        await session.scalars(select(VehicleSeal).where(VehicleSeal.starts_at < end, VehicleSeal.ends_at > start))
    ).all()
    if not seals:
        return
    unit_seal = next((s for s in seals if s.unit_id in chain), None)
    if unit_seal is not None:
        raise RuleBroken(
            f"Your unit's cars are sealed (封存: {unit_seal.reason}) from {unit_seal.starts_at:%Y-%m-%d %H:%M} to "
            f"{unit_seal.ends_at:%Y-%m-%d %H:%M} UTC.",
            code="dispatch.unit_sealed",
            message_zh=f"本单位车辆已封存（{unit_seal.reason}），封存期为 {unit_seal.starts_at:%Y-%m-%d %H:%M} 至 "
            f"{unit_seal.ends_at:%Y-%m-%d %H:%M}（UTC）。",
            details={"seal_id": unit_seal.id, "reason": unit_seal.reason},
        )
    sealed_units = {s.unit_id for s in seals if s.unit_id is not None}
    sealed_cars = {s.vehicle_id for s in seals if s.vehicle_id is not None}
    cars = await session.execute(
        select(Vehicle.id, OrgUnit.path)
        .join(OrgUnit, OrgUnit.id == Vehicle.unit_id)
        .where(Vehicle.category == category, Vehicle.seats >= min_seats, Vehicle.status.not_in(UNCOUNTED))
    )
    for vehicle_id, path in cars:
        units = {int(x) for x in path.strip("/").split("/") if x}
        if vehicle_id not in sealed_cars and not units & sealed_units:
            return
    reason = seals[0].reason
    raise RuleBroken(
        f"Every car that fits the trip is sealed (封存: {reason}) during the requested time.",
        code="dispatch.fleet_sealed",
        message_zh=f"所有符合条件的车辆在申请时段内均处于封存期（{reason}）。",
        details={"reason": reason},
    )


async def check_monthly_quota(
    session: AsyncSession, settings: DispatchSettings, unit_id: int, at: datetime, timezone: str
) -> None:
    limit = settings.unit_monthly_bookings
    if not limit:
        return
    tz = ZoneInfo(timezone)
    local = at.astimezone(tz)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    used = await session.scalar(
        select(func.count(Booking.id)).where(
            Booking.unit_id == unit_id,
            Booking.status.not_in(("rejected", "cancelled")),
            Booking.earliest_pickup >= first,
            Booking.earliest_pickup < following,
        )
    )
    if (used or 0) >= limit:
        raise RuleBroken(
            f"Your unit has used its {limit} bookings of {local:%Y-%m} (本月用车次数已满).",
            code="dispatch.monthly_quota",
            message_zh=f"本单位 {local:%Y-%m} 的 {limit} 次用车次数已用完，本月用车次数已满。",
            details={"limit": limit, "used": used},
        )
