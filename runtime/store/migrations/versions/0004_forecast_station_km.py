"""forecast inputs: distance in km from the weather's recorded position to the facility

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forecast_inputs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "station_km",
                sa.Float(),
                nullable=True,
                comment="Distance in km from the weather's recorded position to the facility; NULL = unknown/none.",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("forecast_inputs", schema=None) as batch_op:
        batch_op.drop_column("station_km")
