"""Tables of the running costs: the cost ledger and its budget postings, the sources that feed it (fuel-card
transactions of the fixed supplier, work orders of the fixed repair shops, annual fixed costs), the settlement of
each booking's trip, the month's close per car, and the running-cost quota (定额) per category.

A :class:`CostEntry` is one cost of one car on one day. A cash entry is posted in one or more
:class:`CostPosting` rows whose amounts add up to it exactly once the month is closed; each posting names the
budget ledger entry (``budget_entry``) that carried it. Depreciation and drivers' pay are costs of the car
(全成本) but not spending of the 30231 line: their entries are ``cash = False`` and never posted.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, Money, UTCDateTime, utcnow

__all__ = [
    "CASH_CATEGORIES",
    "CATEGORIES",
    "POOL_CATEGORIES",
    "CostEntry",
    "CostImport",
    "CostPosting",
    "CostQuota",
    "FixedCost",
    "FuelStation",
    "FuelTransaction",
    "MonthClose",
    "TripCost",
    "WorkOrder",
]

CATEGORIES: dict[str, tuple[str, str]] = {
    "fuel": ("燃油费", "Fuel"),
    "energy": ("充电费", "Electricity"),
    "repair": ("维修费", "Repairs"),
    "maintenance": ("保养费", "Maintenance"),
    "insurance": ("保险费", "Insurance"),
    "inspection": ("年检费", "Annual inspection"),
    "toll": ("过路过桥费", "Tolls"),
    "parking": ("停车费", "Parking"),
    "other": ("其他费用", "Other"),
    "depreciation": ("折旧", "Depreciation"),
    "driver": ("驾驶员成本", "Driver"),
}
"""Cost categories of the sheet, in its order, with Chinese and English names."""

CASH_CATEGORIES = ("fuel", "energy", "repair", "maintenance", "insurance", "inspection", "toll", "parking", "other")
"""Categories spent from the 公务用车运行维护费 (30231) line; depreciation and drivers are not."""

POOL_CATEGORIES = ("fuel", "repair", "maintenance", "toll", "parking", "other")
"""The running costs the car's trips pay for by the kilometre (a trip's own tolls and parking go to it whole)."""


class CostEntry(Audited, Base):
    """One cost of one car (单车费用): what, when, how much, where it came from, and how much is posted."""

    __tablename__ = "cost_entry"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id"),
        CheckConstraint("amount >= 0 AND posted >= 0 AND posted <= amount", name="posted_within_amount"),
        Index("ix_cost_entry_vehicle_month", "vehicle_id", "month"),
        Index("ix_cost_entry_month_unit", "month", "unit_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    """The car's owning unit when the cost arose."""
    day: Mapped[date] = mapped_column(Date)
    """Local calendar day of the cost."""
    month: Mapped[str] = mapped_column(String(7))
    """``YYYY-MM`` of ``day``: the sheet it is on."""
    category: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money())
    cash: Mapped[bool] = mapped_column(Boolean, default=True)
    posted: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    """How much of ``amount`` is posted to budget lines so far (all of it once the month is closed)."""
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    """A cost of one booking's trip (its tolls, its parking): posted to that booking's unit whole."""
    quantity: Mapped[float | None] = mapped_column(Float)
    """Litres of fuel, kWh of electricity."""
    source_kind: Mapped[str] = mapped_column(String(24))
    """``fuel_card``, ``charging``, ``work_order``, ``fixed``, ``expense``, ``depreciation``, ``driver``, ``manual``."""
    source_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CostPosting(Base):
    """A part of a cost entry posted to one budget line: for a trip (``trip``: the booking's unit pays its km
    share; ``direct``: the booking's own toll or parking), for the owner (``owner``: what the trips did not take,
    at the month's close; ``fixed``: insurance and inspection), or posted by the source itself (``source``:
    charging sessions). ``budget_entry_id`` is the ledger entry that carried it."""

    __tablename__ = "cost_posting"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cost_entry.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    budget_entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("budget_entry.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CostImport(Audited, Base):
    """One imported file (a fuel supplier's statement): who, when, how many rows. A file is imported once."""

    __tablename__ = "cost_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money())
    imported_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FuelStation(Audited, Base):
    """A station of the fixed fuel supplier (定点加油站), where its card transactions happen."""

    __tablename__ = "fuel_station"

    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    supplier: Mapped[str] = mapped_column(String(40), default="")


class FuelTransaction(Base):
    """A fuel-card transaction (加油卡消费记录) and what the car's track says about it: the stop at the station it
    matched (``matched``), the car seen elsewhere at that time (``elsewhere``, with the distance), or no data."""

    __tablename__ = "fuel_transaction"
    __table_args__ = (Index("ix_fuel_transaction_vehicle_at", "vehicle_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    txn_id: Mapped[str] = mapped_column(String(40), unique=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("cost_import.id"))
    card_no: Mapped[str] = mapped_column(String(32))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    station_code: Mapped[str | None] = mapped_column(String(24))
    station_name: Mapped[str] = mapped_column(String(80))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    product: Mapped[str] = mapped_column(String(16))
    litres: Mapped[float] = mapped_column(Float)
    unit_price: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    match_status: Mapped[str] = mapped_column(String(12), default="no_track")
    """``matched`` (a stop at the station), ``elsewhere`` (the car was far away), ``no_stop``, ``no_track``."""
    stop_id: Mapped[int | None] = mapped_column(BigInteger)
    distance_m: Mapped[float | None] = mapped_column(Float)
    """How far the car was from the station at the transaction's time."""
    car_lat: Mapped[float | None] = mapped_column(Float)
    car_lon: Mapped[float | None] = mapped_column(Float)
    entry_id: Mapped[int | None] = mapped_column(BigInteger)


class WorkOrder(Audited, Base):
    """A repair or maintenance work order (维修/保养工单) of a fixed repair shop (定点维修厂): parts and labour."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    shop: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))
    """``repair`` or ``maintenance``."""
    closed_on: Mapped[date] = mapped_column(Date)
    parts: Mapped[Decimal] = mapped_column(Money())
    labour: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    odometer_km: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str] = mapped_column(String(255), default="")
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FixedCost(Audited, Base):
    """An annual cost of a car over a period: insurance (保险, a policy) or the annual inspection (年检).
    Each month of the period gets its share as a cost entry, posted to the owning unit's line."""

    __tablename__ = "fixed_cost"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    payee: Mapped[str] = mapped_column(String(80))
    reference: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    first_month: Mapped[str] = mapped_column(String(7))
    months: Mapped[int] = mapped_column(Integer, default=12)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TripCost(Audited, Base):
    """The settlement of one completed booking: its kilometres and their share when the car was pooled, the
    car's running rate, what its trip costs, what was charged to its unit's line, what is still pending (the
    car's running costs not imported yet), and what was released of the reservation."""

    __tablename__ = "trip_cost"

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    line_id: Mapped[int | None] = mapped_column(ForeignKey("budget_line.id"))
    month: Mapped[str] = mapped_column(String(7), index=True)
    trip_id: Mapped[int | None] = mapped_column(BigInteger)
    km: Mapped[float] = mapped_column(Float)
    """The kilometres this booking pays for (its share of a pooled run)."""
    shared_with: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Other bookings of the same pooled run."""
    rate_per_km: Mapped[float] = mapped_column(Float)
    rate_basis: Mapped[str] = mapped_column(String(12))
    """``history`` (the car's own running cost per km) or ``quota`` (the category's rate)."""
    running: Mapped[Decimal] = mapped_column(Money())
    direct: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    energy_value: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    """A new-energy car's electricity for the trip at its charging price (charged by the charging module)."""
    charged: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    pending: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    released: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    status: Mapped[str] = mapped_column(String(12))
    """``settled``, ``pending`` (waits for the car's running costs), ``waiting`` (a pooled run not finished),
    ``failed`` (the budget refused; ``reason`` says why)."""
    reason: Mapped[str | None] = mapped_column(String(255))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MonthClose(Base):
    """The close of one car's month (月结): its running costs, what its trips took, what the owner got."""

    __tablename__ = "cost_close"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    cash: Mapped[Decimal] = mapped_column(Money())
    to_trips: Mapped[Decimal] = mapped_column(Money())
    to_owner: Mapped[Decimal] = mapped_column(Money())
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class CostQuota(Audited, Base):
    """运行费用定额 of a car category: yuan per car and year (the month's quota is a twelfth), and the running
    rate per km a trip is charged when a car has too little history of its own."""

    __tablename__ = "cost_quota"

    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    annual_yuan: Mapped[Decimal] = mapped_column(Money())
    rate_per_km: Mapped[float] = mapped_column(Float)
