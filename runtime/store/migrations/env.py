"""Alembic environment: uses a connection handed in by runtime.store.migrate, else the configured URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection, create_engine

from runtime.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=connection.dialect.name == "sqlite"
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against the handed-in connection or a fresh engine on EMS_DATABASE_URL / sqlalchemy.url."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = os.environ.get("EMS_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or ""
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()


run_migrations_online()
