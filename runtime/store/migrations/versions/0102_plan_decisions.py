"""plan decisions: who decided (approved or rejected) a plan and when, apart from who approved it

Revision ID: 0102
Revises: 0005
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0102"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decided_by", sa.String(length=64), nullable=True, comment="Who approved or rejected the plan.")
        )
        batch_op.add_column(sa.Column("decided_at", UTCDateTime(), nullable=True, comment="When it was decided (UTC)."))
    plans = sa.table(
        "plans",
        sa.column("status", sa.String),
        sa.column("approved_by", sa.String),
        sa.column("approved_at", UTCDateTime()),
        sa.column("decided_by", sa.String),
        sa.column("decided_at", UTCDateTime()),
    )
    decided = plans.c.status.in_(("approved", "superseded", "rejected"))
    op.execute(plans.update().where(decided).values(decided_by=plans.c.approved_by, decided_at=plans.c.approved_at))
    # a rejection used to be recorded as an approval: it is not one
    op.execute(plans.update().where(plans.c.status == "rejected").values(approved_by=None, approved_at=None))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
