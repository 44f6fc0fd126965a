"""core: identity, budget, fleet, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-27 04:25:26.379813
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gongwu.core.db

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("core",)
depends_on: str | Sequence[str] | None = None


AUDIT_GUARD = (
    """CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_record is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()""",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    else:
        if not bind.exec_driver_sql("SELECT CheckSpatialMetaData()").scalar():
            bind.exec_driver_sql("SELECT InitSpatialMetaData(0, 'WGS84')")
    op.create_table(
        "audit_record",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("context", sa.String(length=80), nullable=True),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_record")),
    )
    op.create_index(op.f("ix_audit_record_action"), "audit_record", ["action"], unique=False)
    op.create_index(op.f("ix_audit_record_at"), "audit_record", ["at"], unique=False)
    op.create_table(
        "fiscal_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_fiscal_year")),
    )
    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    op.create_index(op.f("ix_org_unit_parent_id"), "org_unit", ["parent_id"], unique=False)
    op.create_index(op.f("ix_org_unit_path"), "org_unit", ["path"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=80), nullable=False),
        sa.Column("rank", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_app_user_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_index(op.f("ix_app_user_unit_id"), "app_user", ["unit_id"], unique=False)
    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("economic_class", sa.String(length=8), nullable=False),
        sa.Column("functional_class", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("amount", gongwu.core.db.Money(), nullable=False),
        sa.Column("reserved", gongwu.core.db.Money(), nullable=False),
        sa.Column("charged", gongwu.core.db.Money(), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reserved >= 0 AND charged >= 0 AND amount >= reserved + charged",
            name=op.f("ck_budget_line_not_overspent"),
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_budget_line_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["year"], ["fiscal_year.year"], name=op.f("fk_budget_line_year_fiscal_year")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_line")),
        sa.UniqueConstraint(
            "unit_id",
            "year",
            "economic_class",
            "functional_class",
            name=op.f("uq_budget_line_unit_id_year_economic_class_functional_class"),
        ),
    )
    op.create_index(op.f("ix_budget_line_unit_id"), "budget_line", ["unit_id"], unique=False)
    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("dedicated", sa.Boolean(), nullable=False),
        sa.Column("energy_type", sa.String(length=8), nullable=False),
        sa.Column("make_model", sa.String(length=80), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("purchase_price", gongwu.core.db.Money(), nullable=True),
        sa.Column("odometer_km", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("battery_kwh", sa.Float(), nullable=True),
        sa.Column("kwh_per_100km", sa.Float(), nullable=True),
        sa.Column("fuel_tank_l", sa.Float(), nullable=True),
        sa.Column("l_per_100km", sa.Float(), nullable=True),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seats > 0", name=op.f("ck_vehicle_seats_positive")),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_vehicle_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("plate", name=op.f("uq_vehicle_plate")),
        sa.UniqueConstraint("vin", name=op.f("uq_vehicle_vin")),
    )
    op.create_index(op.f("ix_vehicle_unit_id"), "vehicle", ["unit_id"], unique=False)
    op.create_table(
        "vehicle_quota",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("allowed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_vehicle_quota_unit_id_org_unit")),
        sa.PrimaryKeyConstraint("unit_id", "category", name=op.f("pk_vehicle_quota")),
    )
    op.create_table(
        "budget_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("amount", gongwu.core.db.Money(), nullable=False),
        sa.Column("reserved_delta", gongwu.core.db.Money(), nullable=False),
        sa.Column("charged_delta", gongwu.core.db.Money(), nullable=False),
        sa.Column("source_type", sa.String(length=48), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["line_id"], ["budget_line.id"], name=op.f("fk_budget_entry_line_id_budget_line")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_entry")),
    )
    op.create_index(op.f("ix_budget_entry_created_at"), "budget_entry", ["created_at"], unique=False)
    op.create_index(op.f("ix_budget_entry_line_id"), "budget_entry", ["line_id"], unique=False)
    op.create_index("ix_budget_entry_source", "budget_entry", ["source_type", "source_id"], unique=False)
    op.create_table(
        "driver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("licence_class", sa.String(length=8), nullable=False),
        sa.Column("licence_expiry", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_driver_unit_id_org_unit")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name=op.f("fk_driver_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_driver")),
        sa.UniqueConstraint("user_id", name=op.f("uq_driver_user_id")),
    )
    op.create_index(op.f("ix_driver_unit_id"), "driver", ["unit_id"], unique=False)
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_role_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    op.create_index("ix_user_role_role", "user_role", ["role"], unique=False)
    op.create_table(
        "vehicle_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", gongwu.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["org_unit.id"], name=op.f("fk_vehicle_seal_unit_id_org_unit")),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_vehicle_seal_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_seal")),
    )
    op.create_index(op.f("ix_vehicle_seal_unit_id"), "vehicle_seal", ["unit_id"], unique=False)
    op.create_index(op.f("ix_vehicle_seal_vehicle_id"), "vehicle_seal", ["vehicle_id"], unique=False)
    if bind.dialect.name == "postgresql":
        for statement in AUDIT_GUARD:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_record_append_only ON audit_record")
        op.execute("DROP FUNCTION IF EXISTS audit_record_append_only()")
    op.drop_index(op.f("ix_vehicle_seal_vehicle_id"), table_name="vehicle_seal")
    op.drop_index(op.f("ix_vehicle_seal_unit_id"), table_name="vehicle_seal")
    op.drop_table("vehicle_seal")
    op.drop_index("ix_user_role_role", table_name="user_role")
    op.drop_table("user_role")
    op.drop_index(op.f("ix_driver_unit_id"), table_name="driver")
    op.drop_table("driver")
    op.drop_index("ix_budget_entry_source", table_name="budget_entry")
    op.drop_index(op.f("ix_budget_entry_line_id"), table_name="budget_entry")
    op.drop_index(op.f("ix_budget_entry_created_at"), table_name="budget_entry")
    op.drop_table("budget_entry")
    op.drop_table("vehicle_quota")
    op.drop_index(op.f("ix_vehicle_unit_id"), table_name="vehicle")
    op.drop_table("vehicle")
    op.drop_index(op.f("ix_budget_line_unit_id"), table_name="budget_line")
    op.drop_table("budget_line")
    op.drop_index(op.f("ix_app_user_unit_id"), table_name="app_user")
    op.drop_table("app_user")
    op.drop_index(op.f("ix_org_unit_path"), table_name="org_unit")
    op.drop_index(op.f("ix_org_unit_parent_id"), table_name="org_unit")
    op.drop_table("org_unit")
    op.drop_table("fiscal_year")
    op.drop_index(op.f("ix_audit_record_at"), table_name="audit_record")
    op.drop_index(op.f("ix_audit_record_action"), table_name="audit_record")
    op.drop_table("audit_record")
