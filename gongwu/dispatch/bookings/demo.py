"""The demo bureau's frequent places and a few bookings in every state (seeded after the bureau itself).

Places are on the demo map (central Helsinki stands in for the city); estimates are straight-line ones, since
the demo is seeded before the map is imported. Idempotent: nothing is added when places exist already.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gongwu.core.audit import Actor, set_actor
from gongwu.core.db import Database, utcnow
from gongwu.core.errors import DomainError
from gongwu.core.fleet.models import Driver, Vehicle
from gongwu.core.identity.models import OrgUnit, User
from gongwu.core.identity.service import load_principal
from gongwu.dispatch.bookings import flows, service
from gongwu.dispatch.bookings.estimates import StraightLineEstimator
from gongwu.dispatch.bookings.models import Booking, FrequentPlace
from gongwu.dispatch.bookings.schemas import BookingIn, StopIn
from gongwu.dispatch.settings import DispatchSettings

__all__ = ["PLACES", "seed_bookings"]

log = logging.getLogger(__name__)

# (name, English name, address, lat, lon)
PLACES = [
    ("市机关事务管理局", "Offices Administration Bureau", "Bulevardi", 60.16628, 24.94263),
    ("市发展和改革委员会", "Development and Reform Commission", "Annankatu", 60.16446, 24.94028),
    ("市财政局", "Finance Bureau", "Fabianinkatu", 60.16631, 24.94961),
    ("市生态环境局", "Ecology and Environment Bureau", "Yliopistonkatu", 60.16982, 24.94701),
    ("市应急管理局", "Emergency Management Bureau", "Rauhankatu", 60.1715, 24.95142),
    ("火车站", "Central station", "Rautatientori", 60.1717, 24.94264),
    ("市政府会议中心", "City conference centre", "Pohjoisesplanadi", 60.16771, 24.94484),
    ("滨海会展中心", "Waterfront exhibition centre", "Pitkänsillanranta", 60.17742, 24.94723),
]


@dataclass(frozen=True)
class _Trip:
    requester: str
    purpose: str
    frm: int
    to: int
    start: timedelta
    """From the seeding time to the earliest pick-up."""
    passengers: int
    end_state: str
    approver: str | None = None


TRIPS = [
    _Trip("fgw-staff", "赴火车站接国家发改委调研组", 1, 5, timedelta(days=1, hours=1), 3, "submitted"),
    _Trip("czj-staff", "参加全市预算执行分析会", 2, 6, timedelta(days=1, hours=5), 2, "approved", "czj-leader"),
    _Trip("sthj-staff", "赴监测点核查空气质量数据", 3, 7, timedelta(hours=3), 2, "assigned", "sthj-leader"),
    _Trip("fgw-chief", "向市政府汇报重点项目进展", 1, 6, timedelta(days=-1), 1, "completed", "fgw-leader"),
    _Trip("yjgl-staff", "应急物资储备库检查", 4, 7, timedelta(days=2), 4, "rejected", "yjgl-leader"),
    _Trip("fgw-staff", "参加规划评审会", 1, 3, timedelta(days=3), 2, "cancelled"),
]


async def _user(session: AsyncSession, username: str) -> User:
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        raise LookupError(f"demo user {username} is missing")
    return user


async def _car(session: AsyncSession, seats: int) -> Vehicle | None:
    centre = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == "JGSWJ-GWYC"))
    return await session.scalar(
        select(Vehicle)
        .where(
            Vehicle.unit_id == centre,
            Vehicle.category == "other",
            Vehicle.dedicated.is_(False),
            Vehicle.seats >= seats,
        )
        .order_by(Vehicle.id)
        .limit(1)
    )


async def seed_bookings(db: Database, settings: DispatchSettings, timezone: str = "Asia/Shanghai") -> bool:
    """Seed the places and the bookings; False when places exist already."""
    policy = flows.Policy(settings.model_copy(update={"city_area": None}), timezone)
    async with db.session() as session:
        if await session.scalar(select(func.count(FrequentPlace.id))):
            return False
        set_actor(session, Actor(None, "demo-seed"), context="demo.seed")
        for order, (name, name_en, address, lat, lon) in enumerate(PLACES):
            await service.create_place(
                session, name=name, name_en=name_en, address=address, lat=lat, lon=lon, sort=order
            )
        await session.commit()
        seeded = utcnow().replace(minute=0, second=0, microsecond=0)
        for trip in TRIPS:
            try:
                await _seed_trip(session, policy, trip, seeded)
                await session.commit()
            except DomainError as exc:  # e.g. seeded during a sealed period: leave that booking out
                await session.rollback()
                log.warning("demo booking %r left out: %s", trip.purpose, exc)
    return True


async def _seed_trip(session: AsyncSession, policy: flows.Policy, trip: _Trip, seeded: datetime) -> Booking:
    requester = await load_principal(session, (await _user(session, trip.requester)).id)
    start = seeded + trip.start
    now = min(seeded, start - timedelta(hours=2))
    frm, to = PLACES[trip.frm], PLACES[trip.to]
    body = BookingIn(
        purpose=trip.purpose,
        passengers=trip.passengers,
        pickup=StopIn(lat=frm[3], lon=frm[4], address=frm[0]),
        dropoff=StopIn(lat=to[3], lon=to[4], address=to[0]),
        earliest_pickup=start,
        latest_arrival=start + timedelta(minutes=50),
    )
    booking = await flows.submit_booking(
        session, requester, body, policy=policy, estimator=StraightLineEstimator(), now=now
    )
    if trip.end_state == "cancelled":
        await flows.cancel(session, requester, booking.id, policy=policy, reason="会议延期")
        return booking
    if trip.approver is None:
        return booking
    approver = await load_principal(session, (await _user(session, trip.approver)).id)
    if trip.end_state == "rejected":
        return await flows.reject(session, approver, booking.id, "请合并至下周统一检查", policy=policy)
    await flows.approve(session, approver, booking.id, policy=policy, reason="同意", now=now)
    if trip.end_state == "approved":
        return booking
    car = await _car(session, booking.min_seats)
    driver = await session.scalar(
        select(Driver).join(User, User.id == Driver.user_id).where(User.username == "driver1")
    )
    if car is None or driver is None:
        return booking
    dispatcher = Actor(None, "dispatcher")
    pickup_at = booking.earliest_pickup + timedelta(minutes=5)
    await flows.mark_assigned(
        session,
        booking.id,
        vehicle_id=car.id,
        driver_id=driver.id,
        planned_pickup_at=pickup_at,
        planned_dropoff_at=pickup_at + timedelta(minutes=max(5.0, booking.estimated_minutes + 4)),
        actor=dispatcher,
        policy=policy,
    )
    if trip.end_state == "completed":
        await flows.mark_in_progress(session, booking.id, actor=Actor(driver.user_id, "driver1"), policy=policy)
        await flows.mark_completed(
            session,
            booking.id,
            actual_km=round(booking.estimated_km * 1.1, 1),
            actor=Actor(driver.user_id, "driver1"),
            policy=policy,
        )
    return booking
