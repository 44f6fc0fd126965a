"""Tables of trip supervision: findings with their evidence and the supervisor's decision, each car's normal
pattern (where it spends the night, when in the week it moves), and the record of audit runs.

A :class:`Finding` is keyed by (rule, subject): a rule that runs again on the same trip, day or transaction
updates nothing and adds nothing, so the per-trip audit and the nightly one can both run. Its status changes are
in the audit chain (the table is :class:`~gongwu.core.audit.Audited`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, UTCDateTime, utcnow

__all__ = ["STATUSES", "AuditRun", "Finding", "VehiclePattern"]

STATUSES: dict[str, tuple[str, str]] = {
    "open": ("待核查", "Open"),
    "confirmed": ("已确认违规", "Confirmed"),
    "explained": ("已说明", "Explained"),
    "dismissed": ("已排除", "Dismissed"),
}


class Finding(Audited, Base):
    """疑点: what a rule found on a trip, a car's day or a transaction — with evidence (map geometry, times,
    numbers) — and what a supervisor decided (confirmed, explained, dismissed), with the reason, who and when."""

    __tablename__ = "audit_finding"
    __table_args__ = (
        UniqueConstraint("rule", "subject"),
        Index("ix_audit_finding_status_start", "status", "starts_at"),
        Index("ix_audit_finding_vehicle_start", "vehicle_id", "starts_at"),
    )
    __audit_exclude__ = frozenset({"evidence"})

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(48))
    """What it is about: ``trip:<id>``, ``day:<vehicle>:<date>``, ``fuel:<id>``, ``charging:<id>``, ``booking:<id>``."""
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    booking_id: Mapped[int | None] = mapped_column(Integer)
    trip_id: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary_zh: Mapped[str] = mapped_column(String(255))
    summary_en: Mapped[str] = mapped_column(String(255))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    """``{"numbers": {…}, "times": {…}, "points": [[lon, lat], …], "places": [{name, lon, lat, role}], …}``."""
    status: Mapped[str] = mapped_column(String(12), default="open")
    reason: Mapped[str | None] = mapped_column(String(400))
    decided_by_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_name: Mapped[str | None] = mapped_column(String(80))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VehiclePattern(Base):
    """A car's normal pattern, learnt from its history: where it spends the night (clusters of night parking
    places, with how many nights each) and its weekly rhythm (days it moved, per weekday × hour)."""

    __tablename__ = "vehicle_pattern"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True)
    nights: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """``[{"lat", "lon", "nights"}]`` — night parking clusters."""
    hours: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    """7 × 24 counts: on how many observed days the car moved in that weekday's hour (Monday first)."""
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    """How many days of each weekday were observed."""
    nights_observed: Mapped[int] = mapped_column(Integer, default=0)
    last_day: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditRun(Base):
    """One run of the audit: nightly for a day, or on a trip; how long, how many cars and findings."""

    __tablename__ = "audit_run"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(12))
    day: Mapped[date | None] = mapped_column(Date, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    vehicles: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    trigger: Mapped[str] = mapped_column(String(16), default="timer")
