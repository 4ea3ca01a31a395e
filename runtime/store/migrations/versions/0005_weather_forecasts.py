"""weather forecasts fetched by the service, stored with their issue time

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runtime.store.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "weather_forecasts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False, comment="When it was fetched (UTC)."),
        sa.Column("provider", sa.String(32), nullable=False, comment="e.g. open-meteo:jma_seamless."),
        sa.Column("latitude", sa.Float(), nullable=False, comment="Requested position, degrees N."),
        sa.Column("longitude", sa.Float(), nullable=False, comment="Requested position, degrees E."),
        sa.Column("payload", sa.JSON(), nullable=False, comment="The response JSON."),
    )
    op.create_index("ix_weather_forecasts_issued_at", "weather_forecasts", ["issued_at"])


def downgrade() -> None:
    op.drop_index("ix_weather_forecasts_issued_at", table_name="weather_forecasts")
    op.drop_table("weather_forecasts")
