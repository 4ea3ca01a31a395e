"""audit spool uid: rows drained from the durable audit spool keep their uid (unique), so a repeated drain adds none

Revision ID: 0201
Revises: 0101
Create Date: 2026-12-01 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0201"
down_revision = "0701"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("setpoint_audit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "spool_uid",
                sa.String(length=32),
                nullable=True,
                comment="Uid in the audit spool, for a row drained from it.",
            )
        )
        batch_op.create_unique_constraint("uq_setpoint_audit_spool_uid", ["spool_uid"])


def downgrade() -> None:
    with op.batch_alter_table("setpoint_audit", schema=None) as batch_op:
        batch_op.drop_constraint("uq_setpoint_audit_spool_uid", type_="unique")
        batch_op.drop_column("spool_uid")
