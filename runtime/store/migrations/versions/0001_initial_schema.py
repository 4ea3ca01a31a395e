"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 02:21:57.236198
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "aggregates_30min",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("slot_start", UTCDateTime(), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("point", sa.String(length=32), nullable=False),
        sa.Column("mean", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("maximum", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot_start", "facility_id", "device_id", "point", name="uq_aggregate_key"),
    )
    with op.batch_alter_table("aggregates_30min", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aggregates_30min_slot_start"), ["slot_start"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False, comment="info | warning | alarm"),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_facility_id"), ["facility_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_ts"), ["ts"], unique=False)

    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False, comment="Which forecaster produced it."),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forecast_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forecast_runs_created_at"), ["created_at"], unique=False)

    op.create_table(
        "imbalances",
        sa.Column("slot_start", UTCDateTime(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("planned_kwh", sa.Float(), nullable=False),
        sa.Column("actual_kwh", sa.Float(), nullable=False),
        sa.Column("imbalance_kwh", sa.Float(), nullable=False, comment="actual - planned grid draw (+ = shortfall)."),
        sa.Column("price_jpy_per_kwh", sa.Float(), nullable=False),
        sa.Column("cost_jpy", sa.Float(), nullable=False, comment="Estimated imbalance settlement cost (+ = pay)."),
        sa.PrimaryKeyConstraint("slot_start"),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("last_run", UTCDateTime(), nullable=False),
        sa.Column("last_ok", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job"),
    )
    op.create_table(
        "latest_values",
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("point", sa.String(length=32), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("quality", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("facility_id", "device_id", "point"),
    )
    op.create_table(
        "override_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("point", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, comment="requested | approved | rejected | applied"),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("override_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_override_requests_facility_id"), ["facility_id"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, comment="Monotonic plan version."),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("horizon_start", UTCDateTime(), nullable=False),
        sa.Column("horizon_end", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="optimal | shifted | safe | whatif"),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="proposed | approved | superseded | rejected"
        ),
        sa.Column("solver_status", sa.String(length=64), nullable=False),
        sa.Column("objective_jpy", sa.Float(), nullable=True),
        sa.Column("inputs_summary", sa.JSON(), nullable=False),
        sa.Column("cost_breakdown", sa.JSON(), nullable=False),
        sa.Column("slack_report", sa.JSON(), nullable=False),
        sa.Column("setpoints", sa.JSON(), nullable=False, comment="{facility: {device: [kW per slot]}}"),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plans_created_at"), ["created_at"], unique=False)

    op.create_table(
        "readings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False, comment="Measurement time (UTC)."),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column(
            "device_id", sa.String(length=64), nullable=False, comment="Asset id within the facility, e.g. 'bat1'."
        ),
        sa.Column("point", sa.String(length=32), nullable=False, comment="Point name with unit, e.g. 'p_kw', 'soc'."),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("quality", sa.String(length=16), nullable=False, comment="good | stale | bad | substituted"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index("ix_readings_device_point_ts", ["device_id", "point", "ts"], unique=False)
        batch_op.create_index("ix_readings_ts", ["ts"], unique=False)

    op.create_table(
        "setpoint_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("point", sa.String(length=32), nullable=False),
        sa.Column("requested", sa.Float(), nullable=False),
        sa.Column("applied", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False, comment="plan | override | safe | shifted"),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("setpoint_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_setpoint_audit_facility_id"), ["facility_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_setpoint_audit_ts"), ["ts"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_prefix"), ["prefix"], unique=False)
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "forecast_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("slot_start", UTCDateTime(), nullable=False),
        sa.Column("kw", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["forecast_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("forecast_values", schema=None) as batch_op:
        batch_op.create_index("ix_forecast_values_run_fac", ["run_id", "facility_id"], unique=False)

    op.create_table(
        "plan_slots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slot_start", UTCDateTime(), nullable=False),
        sa.Column("plant_kw", sa.Float(), nullable=False),
        sa.Column("jepx_buy_kw", sa.Float(), nullable=False),
        sa.Column("jepx_sell_kw", sa.Float(), nullable=False),
        sa.Column("pv_kw", sa.Float(), nullable=False),
        sa.Column("battery_kw", sa.Float(), nullable=False, comment="Net discharge (+) / charge (-)."),
        sa.Column("interchange_kw", sa.Float(), nullable=False),
        sa.Column("load_kw", sa.Float(), nullable=False),
        sa.Column("price_jpy_per_kwh", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "slot_start", name="uq_plan_slot"),
    )
    with op.batch_alter_table("plan_slots", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_slots_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("plan_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_slots_plan_id"))

    op.drop_table("plan_slots")
    with op.batch_alter_table("forecast_values", schema=None) as batch_op:
        batch_op.drop_index("ix_forecast_values_run_fac")

    op.drop_table("forecast_values")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))
        batch_op.drop_index(batch_op.f("ix_api_keys_prefix"))

    op.drop_table("api_keys")
    op.drop_table("users")
    with op.batch_alter_table("setpoint_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_setpoint_audit_ts"))
        batch_op.drop_index(batch_op.f("ix_setpoint_audit_facility_id"))

    op.drop_table("setpoint_audit")
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_ts")
        batch_op.drop_index("ix_readings_device_point_ts")

    op.drop_table("readings")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plans_created_at"))

    op.drop_table("plans")
    with op.batch_alter_table("override_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_override_requests_facility_id"))

    op.drop_table("override_requests")
    op.drop_table("latest_values")
    op.drop_table("job_runs")
    op.drop_table("imbalances")
    with op.batch_alter_table("forecast_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_forecast_runs_created_at"))

    op.drop_table("forecast_runs")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_ts"))
        batch_op.drop_index(batch_op.f("ix_events_kind"))
        batch_op.drop_index(batch_op.f("ix_events_facility_id"))

    op.drop_table("events")
    with op.batch_alter_table("aggregates_30min", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aggregates_30min_slot_start"))

    op.drop_table("aggregates_30min")
