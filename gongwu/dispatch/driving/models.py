"""Tables of the drivers' side: the progress of each task (a booking as its driver serves it) with the link to
the telematics trip that served it, and the refuel / charge / expense entries with their receipt photos.

The cost and audit work builds on both: a :class:`DriverTask` holds planned and actual times and kilometres of
a booking (odometer and telematics), a :class:`DriverExpense` what was paid, for which car, where and when.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, Money, UTCDateTime, utcnow

__all__ = ["EXPENSE_KINDS", "STEPS", "DriverExpense", "DriverTask"]

STEPS: dict[str, tuple[str, str]] = {
    "assigned": ("待接单", "To accept"),
    "accepted": ("已接单", "Accepted"),
    "arrived": ("已到达上车点", "At the pick-up"),
    "boarded": ("乘客已上车", "Rider aboard"),
    "dropped": ("乘客已下车", "Rider dropped off"),
    "finished": ("已完成", "Finished"),
}
"""A task's steps in order, with their Chinese and English names."""

EXPENSE_KINDS: dict[str, tuple[str, str]] = {
    "fuel": ("加油", "Fuel"),
    "charge": ("充电", "Charging"),
    "toll": ("通行费", "Toll"),
    "parking": ("停车费", "Parking"),
    "wash": ("洗车", "Car wash"),
    "repair": ("维修", "Repair"),
    "other": ("其他", "Other"),
}


class DriverTask(Audited, Base):
    """任务: one booking as its driver serves it — accepted, at the pick-up, rider checked in, dropped off,
    finished with the odometer — and the telematics trip that served it (planned vs actual)."""

    __tablename__ = "driver_task"

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("driver.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    step: Mapped[str] = mapped_column(String(12), default="assigned")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    boarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    odometer_start_km: Mapped[float | None] = mapped_column(Float)
    odometer_end_km: Mapped[float | None] = mapped_column(Float)
    planned_pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_dropoff_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_km: Mapped[float | None] = mapped_column(Float)
    actual_km: Mapped[float | None] = mapped_column(Float)
    """From the odometer when both readings exist, else the telematics trip's distance."""
    trip_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trip.id"))
    trip_km: Mapped[float | None] = mapped_column(Float)
    trip_start_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    trip_end_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DriverExpense(Audited, Base):
    """A refuel, a charge or another expense a driver paid for a car, with the photo of its receipt."""

    __tablename__ = "driver_expense"
    __table_args__ = (Index("ix_driver_expense_vehicle_at", "vehicle_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    driver_id: Mapped[int] = mapped_column(ForeignKey("driver.id"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Money())
    litres: Mapped[float | None] = mapped_column(Float)
    kwh: Mapped[float | None] = mapped_column(Float)
    odometer_km: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(String(255))
    receipt_path: Mapped[str] = mapped_column(String(255))
    """Relative to ``DATA_DIR/uploads``."""
    receipt_type: Mapped[str] = mapped_column(String(32))
    receipt_bytes: Mapped[int] = mapped_column(Integer)
    receipt_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    """``submitted``; the cost work settles it (charged to the budget) later."""
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
