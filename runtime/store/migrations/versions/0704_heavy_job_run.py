"""heavy jobs point at their stored outage run: a nullable run_id on heavy_jobs

Revision ID: 0704
Revises: 0703
Create Date: 2026-12-01 19:45:00

Written when an outage job has finished and its plan is stored (outage_runs, outage_run_files), so polling the job
after a restart answers the run id and the links to its downloads and page. Rows from before this revision, what-if
jobs and outage runs that could not be stored keep NULL (the job answers as before: done, no result). No foreign key:
the job row is a status record, and SQLite would need a table rebuild to add one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0704"
down_revision = "0703"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "heavy_jobs",
        sa.Column(
            "run_id",
            sa.String(32),
            nullable=True,
            comment="The stored outage run (outage_runs.run_id) of a finished outage job; NULL otherwise.",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("heavy_jobs") as batch:
        batch.drop_column("run_id")
