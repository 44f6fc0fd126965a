"""Fleet tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, Money, UTCDateTime, utcnow

__all__ = ["Driver", "Vehicle", "VehicleQuota", "VehicleSeal"]


class Vehicle(Audited, Base):
    """An official car (公务用车)."""

    __tablename__ = "vehicle"
    __table_args__ = (CheckConstraint("seats > 0", name="seats_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    vin: Mapped[str | None] = mapped_column(String(17), unique=True)
    category: Mapped[str] = mapped_column(String(24))
    dedicated: Mapped[bool] = mapped_column(Boolean, default=False)
    energy_type: Mapped[str] = mapped_column(String(8))
    make_model: Mapped[str] = mapped_column(String(80), default="")
    seats: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_price: Mapped[Decimal | None] = mapped_column(Money())
    odometer_km: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="available")
    battery_kwh: Mapped[float | None] = mapped_column(Float)
    kwh_per_100km: Mapped[float | None] = mapped_column(Float)
    fuel_tank_l: Mapped[float | None] = mapped_column(Float)
    l_per_100km: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Driver(Audited, Base):
    """A driver (驾驶员) with licence class and expiry; may also be a user who logs in."""

    __tablename__ = "driver"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    licence_class: Mapped[str] = mapped_column(String(8))
    licence_expiry: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VehicleQuota(Audited, Base):
    """编制: how many cars of a category a unit may hold."""

    __tablename__ = "vehicle_quota"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    allowed: Mapped[int] = mapped_column(Integer)


class VehicleSeal(Audited, Base):
    """封存: a period (holiday) during which a car — or every car of a unit — must not be used."""

    __tablename__ = "vehicle_seal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(120))
