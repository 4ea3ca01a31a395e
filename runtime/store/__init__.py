"""Storage: SQLAlchemy 2 models, repository functions and Alembic migrations (SQLite or PostgreSQL)."""

from runtime.store.db import Store, open_store

__all__ = ["Store", "open_store"]
