"""dispatch: bookings, approvals, timeline, frequent places, notifications, outbox

Revision ID: d0001
Revises:
Create Date: 2026-11-27 05:24:55.056808
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongwu.core.db

revision: str = "d0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("dispatch",)
depends_on: str | Sequence[str] | None = ["0001", "t0001"]


def upgrade() -> None:

    op.create_table(
        "booking_counter",
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_booking_counter")),
    )
    op.create_table(
        "dispatch_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("notice", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("webhook_state", sa.String(length=8), nullable=False),
        sa.Column("webhook_attempts", sa.Integer(), nullable=False),
        sa.Column("webhook_next_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("webhook_error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_outbox")),
    )
    with op.batch_alter_table("dispatch_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_dispatch_outbox_published", ["published_at"], unique=False)
        batch_op.create_index("ix_dispatch_outbox_webhook", ["webhook_state", "webhook_next_at"], unique=False)

    op.create_table(
        "frequent_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_frequent_place_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequent_place")),
    )
    with op.batch_alter_table("frequent_place", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_frequent_place_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("passengers", sa.Integer(), nullable=False),
        sa.Column("passenger_names", sa.JSON(), nullable=False),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("pickup_lat", sa.Float(), nullable=False),
        sa.Column("pickup_lon", sa.Float(), nullable=False),
        sa.Column("pickup_address", sa.String(length=200), nullable=False),
        sa.Column("dropoff_lat", sa.Float(), nullable=False),
        sa.Column("dropoff_lon", sa.Float(), nullable=False),
        sa.Column("dropoff_address", sa.String(length=200), nullable=False),
        sa.Column("earliest_pickup", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("latest_arrival", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("min_seats", sa.Integer(), nullable=False),
        sa.Column("poolable", sa.Boolean(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("leader_trip", sa.Boolean(), nullable=False),
        sa.Column("beyond_city", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approval_levels", sa.Integer(), nullable=False),
        sa.Column("approved_level", sa.Integer(), nullable=False),
        sa.Column("estimated_km", sa.Float(), nullable=False),
        sa.Column("estimated_minutes", sa.Float(), nullable=False),
        sa.Column("estimate_approximate", sa.Boolean(), nullable=False),
        sa.Column("max_ride_minutes", sa.Float(), nullable=False),
        sa.Column("estimated_cost", gongwu.core.db.Money(), nullable=False),
        sa.Column("budget_line_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.Column("planned_pickup_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("planned_dropoff_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checkin_code", sa.String(length=8), nullable=False),
        sa.Column("actual_km", sa.Float(), nullable=True),
        sa.Column("actual_cost", gongwu.core.db.Money(), nullable=True),
        sa.Column("telematics_trip_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("approved_level <= approval_levels", name=op.f("ck_booking_approval_levels")),
        sa.CheckConstraint("latest_arrival > earliest_pickup", name=op.f("ck_booking_window_ordered")),
        sa.CheckConstraint("passengers >= 1", name=op.f("ck_booking_passengers_positive")),
        sa.ForeignKeyConstraint(
            ["budget_line_id"], ["budget_line.id"], name=op.f("fk_booking_budget_line_id_budget_line")
        ),
        sa.ForeignKeyConstraint(["driver_id"], ["driver.id"], name=op.f("fk_booking_driver_id_driver")),
        sa.ForeignKeyConstraint(["requester_id"], ["app_user.id"], name=op.f("fk_booking_requester_id_app_user")),
        sa.ForeignKeyConstraint(["telematics_trip_id"], ["trip.id"], name=op.f("fk_booking_telematics_trip_id_trip")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_booking_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["vehicle_id"], ["vehicle.id"], name=op.f("fk_booking_vehicle_id_vehicle")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("code", name=op.f("uq_booking_code")),
    )
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_driver_id"), ["driver_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_status"), ["status"], unique=False)
        batch_op.create_index("ix_booking_status_pickup", ["status", "earliest_pickup"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_vehicle_id"), ["vehicle_id"], unique=False)

    op.create_table(
        "booking_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approver_id"], ["app_user.id"], name=op.f("fk_booking_approval_approver_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_approval_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_approval")),
        sa.UniqueConstraint("booking_id", "level", name=op.f("uq_booking_approval_booking_id_level")),
    )
    with op.batch_alter_table("booking_approval", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_approval_booking_id"), ["booking_id"], unique=False)

    op.create_table(
        "booking_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("data", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_booking_event_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_event")),
    )
    with op.batch_alter_table("booking_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_event_booking_id"), ["booking_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("text_zh", sa.String(length=255), nullable=False),
        sa.Column("text_en", sa.String(length=255), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["booking.id"], name=op.f("fk_notification_booking_id_booking"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_notification_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_notification_user_read", ["user_id", "read_at"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_user_read")
        batch_op.drop_index(batch_op.f("ix_notification_booking_id"))

    op.drop_table("notification")
    with op.batch_alter_table("booking_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_event_booking_id"))

    op.drop_table("booking_event")
    with op.batch_alter_table("booking_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_approval_booking_id"))

    op.drop_table("booking_approval")
    with op.batch_alter_table("booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_booking_unit_id"))
        batch_op.drop_index("ix_booking_status_pickup")
        batch_op.drop_index(batch_op.f("ix_booking_status"))
        batch_op.drop_index(batch_op.f("ix_booking_requester_id"))
        batch_op.drop_index(batch_op.f("ix_booking_driver_id"))

    op.drop_table("booking")
    with op.batch_alter_table("frequent_place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_frequent_place_unit_id"))

    op.drop_table("frequent_place")
    with op.batch_alter_table("dispatch_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_outbox_webhook")
        batch_op.drop_index("ix_dispatch_outbox_published")

    op.drop_table("dispatch_outbox")
    op.drop_table("booking_counter")
