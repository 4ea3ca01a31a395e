"""outage runs keep their downloads (shelters.csv, itinerary.csv, cars.csv, plan.json) byte for byte

Revision ID: 0703
Revises: 0202
Create Date: 2026-12-01 18:30:00

Runs stored before this revision have no files: their downloads answer 404 saying the run predates stored plans.
The per-shelter tier figures need no change of schema (more keys in outage_runs.shelters, a JSON column).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0703"
down_revision = "0202"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outage_run_files",
        sa.Column(
            "run_id",
            sa.String(32),
            sa.ForeignKey("outage_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
            comment="The run (outage_runs).",
        ),
        sa.Column("name", sa.String(32), primary_key=True, comment="File name, e.g. cars.csv."),
        sa.Column("media_type", sa.String(64), nullable=False, comment="Content type of the download."),
        sa.Column("size_bytes", sa.Integer(), nullable=False, comment="Length of the download, bytes (uncompressed)."),
        sa.Column("body_gz", sa.LargeBinary(), nullable=False, comment="The download's bytes, gzip-compressed."),
    )


def downgrade() -> None:
    op.drop_table("outage_run_files")
