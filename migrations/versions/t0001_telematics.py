"""telematics: terminals, positions (partitioned by day on PostgreSQL), trips, stops, daily summaries,
geofences, working calendars, alarms, commands, consumer state

Revision ID: t0001
Revises:
Create Date: 2026-11-27 04:40:17.879961
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongwu.core.db

revision: str = "t0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("telematics",)
depends_on: str | Sequence[str] | None = "0001"

POSITIONS_PG = (
    """CREATE TABLE vehicle_position (
    vehicle_id integer NOT NULL,
    device_time timestamptz NOT NULL,
    digest integer NOT NULL,
    terminal_id integer NOT NULL,
    received_at timestamptz NOT NULL,
    lat double precision,
    lon double precision,
    altitude_m real,
    speed_kmh real,
    course real,
    ignition boolean,
    fix_valid boolean NOT NULL,
    odometer_km double precision,
    distance_m real NOT NULL,
    fuel_l real,
    soc_pct real,
    alarms varchar(400),
    flags smallint NOT NULL,
    geom geometry(Point, 4326) GENERATED ALWAYS AS (
        CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END
    ) STORED,
    CONSTRAINT pk_vehicle_position PRIMARY KEY (vehicle_id, device_time, digest)
) PARTITION BY RANGE (device_time)""",
    # rows of days without a partition of their own (old re-sends) land here; retention sweeps it
    "CREATE TABLE vehicle_position_default PARTITION OF vehicle_position DEFAULT",
)


def _create_positions() -> None:
    """Positions: declarative partitioning by day on PostgreSQL (the ORM model is for queries); a plain table on
    SQLite. Daily partitions are created ahead at run time (gongwu.telematics.maintenance)."""
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSITIONS_PG:
            op.execute(statement)
        return
    op.create_table(
        "vehicle_position",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("device_time", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("digest", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("received_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("altitude_m", sa.REAL(), nullable=True),
        sa.Column("speed_kmh", sa.REAL(), nullable=True),
        sa.Column("course", sa.REAL(), nullable=True),
        sa.Column("ignition", sa.Boolean(), nullable=True),
        sa.Column("fix_valid", sa.Boolean(), nullable=False),
        sa.Column("odometer_km", sa.Float(), nullable=True),
        sa.Column("distance_m", sa.REAL(), nullable=False),
        sa.Column("fuel_l", sa.REAL(), nullable=True),
        sa.Column("soc_pct", sa.REAL(), nullable=True),
        sa.Column("alarms", sa.String(length=400), nullable=True),
        sa.Column("flags", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("vehicle_id", "device_time", "digest", name=op.f("pk_vehicle_position")),
    )


def upgrade() -> None:
    op.create_table(
        "track_state",
        sa.Column("consumer", sa.String(length=16), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("watermark", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "vehicle_id", name=op.f("pk_track_state")),
    )
    _create_positions()
    op.create_table(
        "calendar_day",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_calendar_day_unit_id_org_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("unit_id", "day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "geofence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("shape", sa.String(length=8), nullable=False),
        sa.Column("geometry", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("center_lat", sa.Float(), nullable=True),
        sa.Column("center_lon", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("approved_area", sa.Boolean(), nullable=False),
        sa.Column("speed_limit_kmh", sa.Float(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_geofence_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geofence")),
    )
    op.create_index(op.f("ix_geofence_unit_id"), "geofence", ["unit_id"], unique=False)
    op.create_table(
        "working_calendar",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("workdays", sa.String(length=7), nullable=False),
        sa.Column("day_start", sa.String(length=5), nullable=False),
        sa.Column("day_end", sa.String(length=5), nullable=False),
        sa.Column("exempt_categories", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_working_calendar_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_working_calendar")),
    )
    op.create_table(
        "alarm",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cleared_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=True),
        sa.Column("details", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("ack_by_id", sa.Integer(), nullable=True),
        sa.Column("ack_by_name", sa.String(length=80), nullable=True),
        sa.Column("ack_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_note", sa.String(length=400), nullable=True),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ack_by_id"], ["app_user.id"], name=op.f("fk_alarm_ack_by_id_app_user")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_alarm_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alarm")),
    )
    op.create_index("ix_alarm_status_started", "alarm", ["status", "started_at"], unique=False)
    op.create_index(op.f("ix_alarm_unit_id"), "alarm", ["unit_id"], unique=False)
    op.create_index("ix_alarm_vehicle_started", "alarm", ["vehicle_id", "started_at"], unique=False)
    op.create_table(
        "daily_summary",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("driving_s", sa.Float(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("max_speed_kmh", sa.Float(), nullable=False),
        sa.Column("fuel_used_l", sa.Float(), nullable=False),
        sa.Column("energy_used_kwh", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_daily_summary_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("vehicle_id", "day", name=op.f("pk_daily_summary")),
    )
    op.create_index(op.f("ix_daily_summary_unit_id"), "daily_summary", ["unit_id"], unique=False)
    op.create_table(
        "geofence_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("geofence_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("time", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["geofence_id"], ["geofence.id"], name=op.f("fk_geofence_event_geofence_id_geofence"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_geofence_event_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_geofence_event")),
    )
    op.create_index(op.f("ix_geofence_event_geofence_id"), "geofence_event", ["geofence_id"], unique=False)
    op.create_index("ix_geofence_event_vehicle_time", "geofence_event", ["vehicle_id", "time"], unique=False)
    op.create_table(
        "terminal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=8), nullable=False),
        sa.Column("identifier", sa.String(length=20), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("auth_code", sa.String(length=32), nullable=True),
        sa.Column("registered_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("maker", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("imei", sa.String(length=20), nullable=False),
        sa.Column("software_version", sa.String(length=32), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("auto_provisioned", sa.Boolean(), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_terminal_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal")),
        sa.UniqueConstraint("protocol", "identifier", name=op.f("uq_terminal_protocol_identifier")),
    )
    op.create_index(op.f("ix_terminal_vehicle_id"), "terminal", ["vehicle_id"], unique=False)
    op.create_table(
        "trip",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("start_time", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_time", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("start_lat", sa.Float(), nullable=True),
        sa.Column("start_lon", sa.Float(), nullable=True),
        sa.Column("end_lat", sa.Float(), nullable=True),
        sa.Column("end_lon", sa.Float(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("max_speed_kmh", sa.Float(), nullable=False),
        sa.Column("fuel_used_l", sa.Float(), nullable=True),
        sa.Column("energy_used_kwh", sa.Float(), nullable=True),
        sa.Column("soc_start", sa.Float(), nullable=True),
        sa.Column("soc_end", sa.Float(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_trip_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trip")),
    )
    op.create_index(op.f("ix_trip_unit_id"), "trip", ["unit_id"], unique=False)
    op.create_index("ix_trip_vehicle_start", "trip", ["vehicle_id", "start_time"], unique=False)
    op.create_table(
        "vehicle_limit",
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("speed_limit_kmh", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicle.id"], name=op.f("fk_vehicle_limit_vehicle_id_vehicle"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vehicle_id", name=op.f("pk_vehicle_limit")),
    )
    op.create_table(
        "vehicle_stop",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("start_time", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_time", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("ignition", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_vehicle_stop_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_stop")),
    )
    op.create_index("ix_vehicle_stop_vehicle_start", "vehicle_stop", ["vehicle_id", "start_time"], unique=False)
    op.create_table(
        "terminal_command",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("gateway_id", sa.String(length=80), nullable=True),
        sa.Column("serial", sa.Integer(), nullable=True),
        sa.Column("answer", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_terminal_command_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["terminal_id"], ["terminal.id"], name=op.f("fk_terminal_command_terminal_id_terminal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terminal_command")),
    )
    op.create_index(op.f("ix_terminal_command_status"), "terminal_command", ["status"], unique=False)
    op.create_index(
        "ix_terminal_command_terminal_created", "terminal_command", ["terminal_id", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_terminal_command_terminal_created", table_name="terminal_command")
    op.drop_index(op.f("ix_terminal_command_status"), table_name="terminal_command")
    op.drop_table("terminal_command")
    op.drop_index("ix_vehicle_stop_vehicle_start", table_name="vehicle_stop")
    op.drop_table("vehicle_stop")
    op.drop_table("vehicle_limit")
    op.drop_index("ix_trip_vehicle_start", table_name="trip")
    op.drop_index(op.f("ix_trip_unit_id"), table_name="trip")
    op.drop_table("trip")
    op.drop_index(op.f("ix_terminal_vehicle_id"), table_name="terminal")
    op.drop_table("terminal")
    op.drop_index("ix_geofence_event_vehicle_time", table_name="geofence_event")
    op.drop_index(op.f("ix_geofence_event_geofence_id"), table_name="geofence_event")
    op.drop_table("geofence_event")
    op.drop_index(op.f("ix_daily_summary_unit_id"), table_name="daily_summary")
    op.drop_table("daily_summary")
    op.drop_index("ix_alarm_vehicle_started", table_name="alarm")
    op.drop_index(op.f("ix_alarm_unit_id"), table_name="alarm")
    op.drop_index("ix_alarm_status_started", table_name="alarm")
    op.drop_table("alarm")
    op.drop_table("working_calendar")
    op.drop_index(op.f("ix_geofence_unit_id"), table_name="geofence")
    op.drop_table("geofence")
    op.drop_table("calendar_day")
    op.execute("DROP TABLE vehicle_position")
    op.drop_table("track_state")
