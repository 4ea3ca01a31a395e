"""override first-sent time: an approved override holds from its first dispatch to the end of that slot,
also across a service restart

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("override_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "first_sent_at",
                UTCDateTime(),
                nullable=True,
                comment="When a dispatch first sent this override (UTC); it holds to the end of that slot.",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("override_requests", schema=None) as batch_op:
        batch_op.drop_column("first_sent_at")
