"""Tables of bookings (用车申请), their approvals and timeline, and the bureau's frequent places.

A :class:`Booking` is the contract between the people who book and approve and the dispatch that serves it:
pooled dispatch reads approved bookings (windows, seats, ``may_pool``, ``max_ride_minutes``) and writes the
assignment back through :mod:`gongwu.dispatch.bookings.flows` — never by setting columns itself.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, Money, UTCDateTime, utcnow

__all__ = [
    "ACTIVE",
    "STATUSES",
    "Booking",
    "BookingApproval",
    "BookingCounter",
    "BookingEvent",
    "FrequentPlace",
]

STATUSES: dict[str, tuple[str, str]] = {
    "submitted": ("待审批", "Awaiting approval"),
    "approved": ("已批准", "Approved"),
    "rejected": ("已驳回", "Rejected"),
    "assigned": ("已派车", "Car assigned"),
    "in_progress": ("行程中", "On the way"),
    "completed": ("已完成", "Completed"),
    "cancelled": ("已取消", "Cancelled"),
}
"""Every status of a booking with its Chinese and English names."""

ACTIVE = ("submitted", "approved", "assigned", "in_progress")
"""Statuses of a booking that is still going somewhere."""


class Booking(Audited, Base):
    """用车申请: one trip a requester asks for, from its submission to its completion or end.

    ``unit_id`` is the unit that pays (its 30231 line holds the reservation). Times are aware UTC. The
    effective "may be pooled" is :attr:`may_pool`: the requester allows it and it is neither confidential
    (机要) nor a leader trip (定向化保障).
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("passengers >= 1", name="passengers_positive"),
        CheckConstraint("latest_arrival > earliest_pickup", name="window_ordered"),
        CheckConstraint("approved_level <= approval_levels", name="approval_levels"),
        Index("ix_booking_status_pickup", "status", "earliest_pickup"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    passengers: Mapped[int] = mapped_column(Integer)
    passenger_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(255))

    pickup_lat: Mapped[float] = mapped_column(Float)
    pickup_lon: Mapped[float] = mapped_column(Float)
    pickup_address: Mapped[str] = mapped_column(String(200))
    dropoff_lat: Mapped[float] = mapped_column(Float)
    dropoff_lon: Mapped[float] = mapped_column(Float)
    dropoff_address: Mapped[str] = mapped_column(String(200))
    earliest_pickup: Mapped[datetime] = mapped_column(UTCDateTime())
    latest_arrival: Mapped[datetime] = mapped_column(UTCDateTime())

    category: Mapped[str] = mapped_column(String(24))
    min_seats: Mapped[int] = mapped_column(Integer)
    """Seats the car must have, the driver's included (at least passengers + 1)."""
    poolable: Mapped[bool] = mapped_column(Boolean, default=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    leader_trip: Mapped[bool] = mapped_column(Boolean, default=False)
    beyond_city: Mapped[bool] = mapped_column(Boolean, default=False)

    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    approval_levels: Mapped[int] = mapped_column(Integer, default=1)
    """Approvals the booking needs: 1, or 2 for a trip beyond the city."""
    approved_level: Mapped[int] = mapped_column(Integer, default=0)
    """Approvals given so far."""

    estimated_km: Mapped[float] = mapped_column(Float)
    estimated_minutes: Mapped[float] = mapped_column(Float)
    estimate_approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    max_ride_minutes: Mapped[float] = mapped_column(Float)
    """Longest a rider may sit in the car when the trip is pooled (direct drive × factor + extra)."""
    estimated_cost: Mapped[Decimal] = mapped_column(Money())
    budget_line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_line.id"))

    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"), index=True)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("driver.id"), index=True)
    planned_pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_dropoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    checkin_code: Mapped[str] = mapped_column(String(8))
    actual_km: Mapped[float | None] = mapped_column(Float)
    actual_cost: Mapped[Decimal | None] = mapped_column(Money())
    telematics_trip_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trip.id"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @hybrid_property
    def may_pool(self) -> bool:
        """The trip may share a car: the requester allows it, and it is neither confidential nor a leader's."""
        return bool(self.poolable and not self.confidential and not self.leader_trip)

    @may_pool.inplace.expression
    @classmethod
    def _may_pool_expression(cls) -> ColumnElement[bool]:
        return and_(cls.poolable.is_(True), cls.confidential.is_(False), cls.leader_trip.is_(False))

    @property
    def pending_level(self) -> int | None:
        """The approval level awaited now (1 or 2), or None when none is."""
        if self.status != "submitted":
            return None
        return self.approved_level + 1


class BookingApproval(Audited, Base):
    """One approver's decision on one level of a booking (1: the unit's approver; 2: senior, beyond the city)."""

    __tablename__ = "booking_approval"
    __table_args__ = (UniqueConstraint("booking_id", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    approver_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BookingEvent(Base):
    """One line of a booking's timeline as the pages show it (the audit chain holds the full record)."""

    __tablename__ = "booking_event"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class BookingCounter(Base):
    """The last booking number handed out on a local day (codes read ``YC-20261127-0042``)."""

    __tablename__ = "booking_counter"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class FrequentPlace(Audited, Base):
    """A place people often go (the unit's offices, the station, the conference centre), offered on the
    booking page. ``unit_id`` None: offered to everyone; else to that unit's subtree."""

    __tablename__ = "frequent_place"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
