"""outage plan runs kept in the database (the map's autonomy colours and EV routes survive a restart)

Revision ID: 0701
Revises: 0101
Create Date: 2026-12-01 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0701"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_runs",
        sa.Column("run_id", sa.String(32), primary_key=True, comment="The run id of the downloads."),
        sa.Column("created_at", UTCDateTime(), nullable=False, comment="When the plan was made (UTC)."),
        sa.Column("owner", sa.String(64), nullable=False, comment="Who asked for it."),
        sa.Column("start", UTCDateTime(), nullable=False, comment="Start of the outage (UTC)."),
        sa.Column("hours", sa.Float(), nullable=False, comment="Length of the outage planned, h."),
        sa.Column("method", sa.String(32), nullable=False, comment="Planner method (milp, greedy, ...)."),
        sa.Column("status", sa.String(32), nullable=False, comment="Solver status."),
        sa.Column("shelters", sa.JSON(), nullable=False, comment="Per shelter: hours until dark, kWh."),
        sa.Column("itinerary", sa.JSON(), nullable=False, comment="EV moves (OutagePlan.moves)."),
    )
    op.create_index("ix_outage_runs_created_at", "outage_runs", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_outage_runs_created_at", table_name="outage_runs")
    op.drop_table("outage_runs")
