"""Engine, sessions and schema migration of the service database (SQLite file or PostgreSQL URL)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

log = logging.getLogger(__name__)
STORAGE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
"""What a failing database raises (SQLite disk I/O or read-only, PostgreSQL gone or refusing connections)."""


@dataclass
class Store:
    """A database handle: engine plus a session factory (sessions keep objects usable after commit)."""

    engine: Engine
    schema: str | None = None
    sessions: sessionmaker[Session] = field(init=False)
    changes: int = 0
    """Committed write transactions of this process, except those touching only ``UNREAD_TABLES`` (read caches
    compare it; writes of other processes are not seen here, so caches also bound their age)."""

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "after_flush", _flag_write)
        event.listen(self.sessions, "do_orm_execute", _flag_dml)
        event.listen(self.sessions, "after_commit", self._count_commit)
        event.listen(self.sessions, "after_soft_rollback", _clear_write)

    def _count_commit(self, session: Session) -> None:
        """After a commit (its rows visible): one more change if the session wrote anything."""
        if session.info.pop(_WROTE, set()) - UNREAD_TABLES:
            with _COUNT_LOCK:
                self.changes += 1

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    @property
    def backend(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


_WROTE = "ems_wrote"
_COUNT_LOCK = threading.Lock()
UNREAD_TABLES = frozenset({"job_runs", "heavy_jobs"})
"""Tables no cached read shows (job marks, written by every step and every storage probe; the heavy-job table):
writes only to them leave ``Store.changes`` as it is."""


def _wrote(session: Session, table: str) -> None:
    session.info.setdefault(_WROTE, set()).add(table)


def _flag_write(session: Session, _context: Any) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(obj, "__table__", None)
        _wrote(session, table.name if table is not None else "*")


def _flag_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _wrote(session=state.session, table=getattr(table, "name", "*"))


def _clear_write(session: Session, _previous: Any) -> None:
    session.info.pop(_WROTE, None)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, schema: str | None = None) -> Engine:
    """An engine for `url`; SQLite files get their folder created, WAL mode and a busy timeout.

    `schema` (PostgreSQL only) puts every table in that schema via the search_path (used for isolated tests).
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, str] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
        with create_engine(url).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


class StorageUnavailableError(RuntimeError):
    """The database cannot be reached or opened; the message is one line naming the URL (password hidden)."""


def open_store(url: str, schema: str | None = None, migrate: bool = True) -> Store:
    """Open the database at `url` and bring its schema to the latest Alembic revision.

    Raises StorageUnavailableError (one line, naming EMS_DATABASE_URL without its password) if it cannot."""
    try:
        store = Store(make_engine(url, schema), schema=schema)
        if migrate:
            from runtime.store.migrate import upgrade

            upgrade(store.engine)
    except STORAGE_ERRORS as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        cause = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise StorageUnavailableError(
            f"EMS_DATABASE_URL: cannot open the database {shown} ({cause}); start the database or fix the URL"
        ) from None
    return store


def drop_schema(url: str, schema: str) -> None:
    """Drop a PostgreSQL schema with everything in it (test cleanup)."""
    with create_engine(url).begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def masked_url(url: str) -> str:
    """`url` with its password replaced by ``***`` (for banners and logs)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable database URL>"
