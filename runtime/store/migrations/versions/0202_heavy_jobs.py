"""heavy jobs: the status of outage plans and what-ifs solved in worker processes, kept across restarts

Revision ID: 0202
Revises: 0201
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0202"
down_revision = "0201"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "heavy_jobs",
        sa.Column("id", sa.String(32), primary_key=True, comment="Job id (URL-safe)."),
        sa.Column("kind", sa.String(16), nullable=False, comment="outage | whatif"),
        sa.Column("owner", sa.String(64), nullable=False, comment="Who submitted it."),
        sa.Column(
            "status", sa.String(24), nullable=False, comment="queued | running | done | failed | lost on restart"
        ),
        sa.Column("submitted_at", UTCDateTime(), nullable=False, comment="When it was submitted (UTC)."),
        sa.Column("finished_at", UTCDateTime(), nullable=True, comment="When it ended (UTC)."),
        sa.Column("error", sa.Text(), nullable=False, comment="Why it failed or was lost (one line)."),
    )
    op.create_index("ix_heavy_jobs_status", "heavy_jobs", ["status"])


def downgrade() -> None:
    op.drop_index("ix_heavy_jobs_status", table_name="heavy_jobs")
    op.drop_table("heavy_jobs")
