"""Tables of telematics: terminals, positions, trips and stops, daily summaries, geofences, working calendars,
alarms, commands, and the per-car state of the ordered bus consumers.

``vehicle_position`` is partitioned by day on PostgreSQL (hand-written DDL in migration t0001, a generated
PostGIS ``geom`` point, partitions created ahead and dropped after the retention period by
:mod:`gongwu.telematics.maintenance`); on SQLite it is one plain table with the same columns. The ORM class is
for queries; ingest writes it in batches (:mod:`gongwu.telematics.pipeline.writer`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    REAL,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gongwu.core.audit import Audited
from gongwu.core.db import Base, BigIntPK, UTCDateTime, utcnow

__all__ = [
    "Alarm",
    "CalendarDay",
    "DailySummary",
    "Geofence",
    "GeofenceEvent",
    "PositionRow",
    "Terminal",
    "TerminalCommand",
    "TrackState",
    "Trip",
    "VehicleLimit",
    "VehicleStop",
    "WorkingCalendar",
]

PROTOCOLS = ("jt808", "gb32960", "nmea")


class Terminal(Audited, Base):
    """An in-car terminal (车载终端) bound to one car: JT/T 808 phone/terminal id, GB/T 32960 VIN, or an NMEA id.

    ``auth_code`` is the random code handed out on JT/T 808 registration (鉴权码); None: not registered.
    """

    __tablename__ = "terminal"
    __table_args__ = (UniqueConstraint("protocol", "identifier"),)
    __audit_exclude__ = frozenset({"auth_code"})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    protocol: Mapped[str] = mapped_column(String(8))
    identifier: Mapped[str] = mapped_column(String(20))
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    auth_code: Mapped[str | None] = mapped_column(String(32))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    maker: Mapped[str] = mapped_column(String(32), default="")
    model: Mapped[str] = mapped_column(String(32), default="")
    imei: Mapped[str] = mapped_column(String(20), default="")
    software_version: Mapped[str] = mapped_column(String(32), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_provisioned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PositionRow(Base):
    """One stored position (raw point). Primary key = the de-duplication key: a re-sent report is stored once."""

    __tablename__ = "vehicle_position"

    vehicle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_time: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    digest: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    terminal_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    altitude_m: Mapped[float | None] = mapped_column(REAL)
    speed_kmh: Mapped[float | None] = mapped_column(REAL)
    course: Mapped[float | None] = mapped_column(REAL)
    ignition: Mapped[bool | None] = mapped_column(Boolean)
    fix_valid: Mapped[bool] = mapped_column(Boolean)
    odometer_km: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float] = mapped_column(REAL)
    fuel_l: Mapped[float | None] = mapped_column(REAL)
    soc_pct: Mapped[float | None] = mapped_column(REAL)
    alarms: Mapped[str | None] = mapped_column(String(400))
    flags: Mapped[int] = mapped_column(SmallInteger)


class Trip(Base):
    """A trip from ignition and motion: start and end, distance, duration, max speed, fuel or energy used."""

    __tablename__ = "trip"
    __table_args__ = (Index("ix_trip_vehicle_start", "vehicle_id", "start_time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_lat: Mapped[float | None] = mapped_column(Float)
    start_lon: Mapped[float | None] = mapped_column(Float)
    end_lat: Mapped[float | None] = mapped_column(Float)
    end_lon: Mapped[float | None] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    max_speed_kmh: Mapped[float] = mapped_column(Float, default=0.0)
    fuel_used_l: Mapped[float | None] = mapped_column(Float)
    energy_used_kwh: Mapped[float | None] = mapped_column(Float)
    soc_start: Mapped[float | None] = mapped_column(Float)
    soc_end: Mapped[float | None] = mapped_column(Float)
    points: Mapped[int] = mapped_column(Integer, default=0)


class VehicleStop(Base):
    """A standstill of a car between trips (or inside one, ignition on): where, from when, how long."""

    __tablename__ = "vehicle_stop"
    __table_args__ = (Index("ix_vehicle_stop_vehicle_start", "vehicle_id", "start_time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    start_time: Mapped[datetime] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    ignition: Mapped[bool] = mapped_column(Boolean, default=False)


class DailySummary(Base):
    """One car's day (local calendar day): distance, driving time, trips, max speed, fuel and energy."""

    __tablename__ = "daily_summary"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    distance_km: Mapped[float] = mapped_column(Float, default=0.0)
    driving_s: Mapped[float] = mapped_column(Float, default=0.0)
    trips: Mapped[int] = mapped_column(Integer, default=0)
    max_speed_kmh: Mapped[float] = mapped_column(Float, default=0.0)
    fuel_used_l: Mapped[float] = mapped_column(Float, default=0.0)
    energy_used_kwh: Mapped[float] = mapped_column(Float, default=0.0)


class Geofence(Audited, Base):
    """A polygon or circle of a unit: an approved area (leaving it is an alarm), a speed zone, or a place
    whose entries and exits are recorded. Coordinates WGS-84; ``geometry`` is a GeoJSON Polygon."""

    __tablename__ = "geofence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    shape: Mapped[str] = mapped_column(String(8))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    center_lat: Mapped[float | None] = mapped_column(Float)
    center_lon: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
    approved_area: Mapped[bool] = mapped_column(Boolean, default=False)
    speed_limit_kmh: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GeofenceEvent(Base):
    """A car entering or leaving a geofence."""

    __tablename__ = "geofence_event"
    __table_args__ = (Index("ix_geofence_event_vehicle_time", "vehicle_id", "time"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    geofence_id: Mapped[int] = mapped_column(ForeignKey("geofence.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    kind: Mapped[str] = mapped_column(String(8))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class WorkingCalendar(Audited, Base):
    """A unit's working hours: weekdays (``"12345"``: Monday–Friday) and the local day's start and end.
    Cars of categories in ``exempt_categories`` (comma-separated) are not alarmed outside working hours."""

    __tablename__ = "working_calendar"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), primary_key=True)
    workdays: Mapped[str] = mapped_column(String(7), default="12345")
    day_start: Mapped[str] = mapped_column(String(5), default="08:00")
    day_end: Mapped[str] = mapped_column(String(5), default="18:00")
    exempt_categories: Mapped[str] = mapped_column(String(120), default="emergency")


class CalendarDay(Audited, Base):
    """An exception to a unit's weekdays: a public holiday (``holiday``) or a working weekend day (调休,
    ``workday``)."""

    __tablename__ = "calendar_day"

    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(40), default="")


class VehicleLimit(Audited, Base):
    """A car's own overspeed limit (a speed zone's limit applies inside the zone)."""

    __tablename__ = "vehicle_limit"

    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True)
    speed_limit_kmh: Mapped[float] = mapped_column(Float)


class Alarm(Base):
    """An alarm raised from a car's data; stays open until a person acknowledges it (who, when, note)."""

    __tablename__ = "alarm"
    __table_args__ = (
        Index("ix_alarm_status_started", "status", "started_at"),
        Index("ix_alarm_vehicle_started", "vehicle_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"))
    unit_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    speed_kmh: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    ack_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    ack_by_name: Mapped[str | None] = mapped_column(String(80))
    ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_note: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TerminalCommand(Base):
    """A command sent to a terminal and what became of it: queued → sent → answered / failed / timeout."""

    __tablename__ = "terminal_command"
    __table_args__ = (Index("ix_terminal_command_terminal_created", "terminal_id", "created_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_by_name: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    gateway_id: Mapped[str | None] = mapped_column(String(80))
    serial: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class TrackState(Base):
    """The state an ordered bus consumer keeps per car (trips, geofences, alarms): up to which device time it
    has applied the car's positions (``watermark``) and its state machine. Updated in the transaction that
    writes what the positions produced, so a consumer that dies loses nothing and repeats nothing."""

    __tablename__ = "track_state"

    consumer: Mapped[str] = mapped_column(String(16), primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watermark: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
