"""server-side login sessions (revocable), password policy flag, API key use and revocation times

Revision ID: 0101
Revises: 0102
Create Date: 2026-12-01 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0101"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True, comment="HMAC-SHA256 of the token."),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False, comment="Login time (UTC)."),
        sa.Column("expires_at", UTCDateTime(), nullable=False, comment="End of validity (UTC)."),
        sa.Column("revoked_at", UTCDateTime(), nullable=True, comment="Logout or revocation time (UTC)."),
        sa.Column("address", sa.String(64), nullable=False, server_default="", comment="Client address at login."),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "password_ok",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="True when the password was checked against the policy as it was set.",
            )
        )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True, comment="Revocation time (UTC)."))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_ok")
    op.drop_index("ix_sessions_user_id", table_name="sessions")
    op.drop_table("sessions")
