"""forecast inputs: per run and facility, the PV input tier, missing weather and measured-yield correction

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_inputs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column(
            "pv_input",
            sa.String(length=16),
            nullable=False,
            comment="PV input tier: ghi_dni_dhi | ghi | cloud_cover | clear_sky | none (no PV).",
        ),
        sa.Column(
            "weather_missing", sa.Boolean(), nullable=False, comment="Weather values missing while the sun was up."
        ),
        sa.Column("weather_source", sa.String(length=64), nullable=False, comment="provider[:station]; '' = none."),
        sa.Column("yield_corrected", sa.Boolean(), nullable=False, comment="PV scaled by a measured-yield correction."),
        sa.Column(
            "yield_scale", sa.Float(), nullable=False, comment="Facility PV scale (kWp-weighted mean), 1 = none."
        ),
        sa.Column("yield_scales", sa.JSON(), nullable=False, comment="{array id: scale}."),
        sa.Column("load_from_telemetry", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["forecast_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "facility_id", name="uq_forecast_input"),
    )


def downgrade() -> None:
    op.drop_table("forecast_inputs")
