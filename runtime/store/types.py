"""Column types shared by the models: timestamps stored as UTC, returned tz-aware on every backend."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from scenarios.timegrid import utcnow

__all__ = ["UTCDateTime", "utcnow"]  # utcnow lives in scenarios.timegrid; re-exported for the store's callers


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A tz-aware datetime: refused if naive, stored in UTC, read back as UTC (SQLite has no zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no timezone; store tz-aware times only")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        stored: dt.datetime = value
        if stored.tzinfo is None:
            return stored.replace(tzinfo=dt.UTC)
        return stored.astimezone(dt.UTC)
