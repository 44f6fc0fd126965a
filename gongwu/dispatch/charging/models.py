"""Charging tables: sites, connectors, tariffs, each car's charging profile, driver SOC reports, recorded
sessions, and the plan in force per site."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, Money, UTCDateTime, utcnow

__all__ = [
    "ChargingConnector",
    "ChargingPlanRecord",
    "ChargingProfile",
    "ChargingSession",
    "ChargingSite",
    "SocReport",
    "Tariff",
    "TariffBand",
]


class Tariff(Audited, Base):
    """A time-of-use tariff (分时电价) of the bureau's electricity bill."""

    __tablename__ = "charging_tariff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    source: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TariffBand(Audited, Base):
    """尖峰/高峰/平段/低谷: a price from ``start`` to ``end`` (local ``HH:MM``; wraps past midnight)."""

    __tablename__ = "charging_tariff_band"
    __table_args__ = (CheckConstraint("price >= 0", name="price_not_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("charging_tariff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    price: Mapped[float] = mapped_column(Float)
    """Yuan per kWh."""


class ChargingSite(Audited, Base):
    """A charging site (充电场站) of a unit: its supply cap and tariff."""

    __tablename__ = "charging_site"
    __table_args__ = (CheckConstraint("cap_kw > 0", name="cap_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    cap_kw: Mapped[float] = mapped_column(Float)
    tariff_id: Mapped[int] = mapped_column(ForeignKey("charging_tariff.id"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChargingConnector(Audited, Base):
    """A charging point (充电枪) at a site."""

    __tablename__ = "charging_connector"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("kw > 0", name="kw_positive"),
        CheckConstraint("kind IN ('ac', 'dc')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("charging_site.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(2))
    kw: Mapped[float] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ChargingProfile(Audited, Base):
    """How a new-energy car charges: its home site, on-board charger (AC) and DC limits, SOC window."""

    __tablename__ = "charging_profile"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True)
    home_site_id: Mapped[int | None] = mapped_column(ForeignKey("charging_site.id", ondelete="SET NULL"), index=True)
    max_ac_kw: Mapped[float] = mapped_column(Float, default=7.0)
    max_dc_kw: Mapped[float | None] = mapped_column(Float)
    min_soc_pct: Mapped[float] = mapped_column(Float, default=10.0)
    max_soc_pct: Mapped[float] = mapped_column(Float, default=100.0)


class SocReport(Base):
    """A driver's SOC reading for a car without GB/T 32960 (or whose terminal is silent)."""

    __tablename__ = "charging_soc_report"
    __table_args__ = (Index("ix_charging_soc_report_vehicle_time", "vehicle_id", "reported_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"))
    soc_pct: Mapped[float] = mapped_column(Float)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reported_by: Mapped[int | None] = mapped_column(Integer)


class ChargingSession(Audited, Base):
    """A charging session that happened: energy, cost, SOC before and after, where it came from
    (``telematics``: GB/T 32960 charging state; ``entered``: by hand), and the budget charge it made."""

    __tablename__ = "charging_session"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "started_at"),
        CheckConstraint("energy_kwh > 0", name="energy_positive"),
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        Index("ix_charging_session_unit_start", "unit_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("charging_site.id", ondelete="SET NULL"))
    connector_id: Mapped[int | None] = mapped_column(ForeignKey("charging_connector.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime())
    energy_kwh: Mapped[float] = mapped_column(Float)
    cost: Mapped[Decimal] = mapped_column(Money())
    soc_before: Mapped[float | None] = mapped_column(Float)
    soc_after: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(12))
    budget_line_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(255))
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChargingPlanRecord(Base):
    """The plan in force for a site (the newest row), as the timeline and the drivers' instructions show it."""

    __tablename__ = "charging_plan"
    __table_args__ = (Index("ix_charging_plan_site_created", "site_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("charging_site.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(40))
    cost: Mapped[float] = mapped_column(Float)
    peak_kw: Mapped[float] = mapped_column(Float)
    unserved: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
