"""Tables of pooled dispatch: the optimizer's proposals and the plan in force, their routes, stops and the
bookings they leave out, and the dispatcher's overrides.

A :class:`DispatchPlan` is ``proposed`` when the planner stores it, ``accepted`` when a dispatcher (or the
auto-accept setting) puts it in force — the assignments are then written to the bookings through the booking
flows — and ``superseded`` when a newer plan is accepted or a newer proposal replaces it. Plans are machine
output, many a day, so their rows are not in the audit chain; accepting one is (the booking steps it takes are,
and a ``dispatch.plan.accept`` record). :class:`Override` rows are audited: who pinned what, when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, UTCDateTime, utcnow

__all__ = ["PLAN_STATUSES", "DispatchPlan", "Override", "PlanRoute", "PlanStop", "PlanUnserved"]

PLAN_STATUSES: dict[str, tuple[str, str]] = {
    "proposed": ("待确认", "Proposed"),
    "accepted": ("执行中", "In force"),
    "superseded": ("已替代", "Superseded"),
}


class DispatchPlan(Base):
    """One solve of the rolling planner: its routes, stops and the bookings it could not serve."""

    __tablename__ = "dispatch_plan"
    __table_args__ = (Index("ix_dispatch_plan_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="proposed")
    trigger: Mapped[str] = mapped_column(String(16))
    """``timer``, ``change`` (a booking changed), ``demand`` (a dispatcher asked), ``override``, ``demo``."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cost: Mapped[float] = mapped_column(Float)
    """The optimizer's objective: metres driven + stability and readiness penalties."""
    distance_km: Mapped[float] = mapped_column(Float)
    served: Mapped[int] = mapped_column(Integer)
    unserved: Mapped[int] = mapped_column(Integer)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    """Bookings this plan puts on another car than they have now."""
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    """The independent checker found the plan feasible (a plan is only stored if so)."""
    signature: Mapped[str] = mapped_column(String(64))
    """Digest of who serves what in which order: equal signatures mean the same plan (re-timed)."""
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Solver statistics, the cars and drivers considered, the engine of the travel times."""


class PlanRoute(Base):
    """The route of one car in a plan: its driver, where and when it leaves, how far it drives."""

    __tablename__ = "dispatch_plan_route"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_plan.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    driver_id: Mapped[int] = mapped_column(ForeignKey("driver.id"))
    start_lat: Mapped[float] = mapped_column(Float)
    start_lon: Mapped[float] = mapped_column(Float)
    start_source: Mapped[str] = mapped_column(String(8))
    """``live`` (telemetry) or ``depot``."""
    depart_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finish_at: Mapped[datetime] = mapped_column(UTCDateTime())
    distance_km: Mapped[float] = mapped_column(Float)
    readiness: Mapped[float | None] = mapped_column(Float)
    """For an electric car: how charged it is for its trips (1 ready … 0 needs all the charging time)."""


class PlanStop(Base):
    """One stop of a car's route: pick up or drop off a booking's riders, planned arrival and service start."""

    __tablename__ = "dispatch_plan_stop"
    __table_args__ = (Index("ix_dispatch_plan_stop_plan_vehicle", "plan_id", "vehicle_id", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_plan.id", ondelete="CASCADE"))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    driver_id: Mapped[int] = mapped_column(ForeignKey("driver.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    """``pickup`` or ``dropoff``."""
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    arrive_at: Mapped[datetime] = mapped_column(UTCDateTime())
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When service starts (≥ arrival: the car may wait for the window)."""
    load_after: Mapped[int] = mapped_column(Integer)
    previous_vehicle_id: Mapped[int | None] = mapped_column(Integer)
    """The booking's car when the plan was made (None: not assigned); accepting checks it has not changed."""
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    """Pinned by an override or fixed because the leg has started."""


class PlanUnserved(Base):
    """A booking the plan leaves without a car, and why (never dropped silently)."""

    __tablename__ = "dispatch_plan_unserved"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("dispatch_plan.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(32))
    """``held`` (an override keeps it unassigned), ``no_driver``, ``no_vehicle``, ``infeasible``, ``no_room``,
    ``pinned_infeasible``."""
    message: Mapped[str] = mapped_column(String(255))
    previous_vehicle_id: Mapped[int | None] = mapped_column(Integer)


class Override(Audited, Base):
    """A dispatcher's decision the optimizer must respect: pin a booking to a car (and optionally a driver),
    or keep it unassigned (``hold``). Active until removed or the booking is over."""

    __tablename__ = "dispatch_override"
    __table_args__ = (Index("ix_dispatch_override_active", "active", "booking_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    """``pin`` or ``hold``."""
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id"))
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("driver.id"))
    note: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    removed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
