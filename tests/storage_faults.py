"""Real storage failures for the fault tests: an SQLite database made unwritable (``chattr +i`` on the file, its
WAL and its folder when running as root, which chmod does not stop; else chmod read-only), and a PostgreSQL
database that refuses connections (``ALLOW_CONNECTIONS false`` and every session terminated)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def _targets(db: Path) -> list[Path]:
    # not the -shm file: SQLite maps it into memory, and an immutable mapping kills the process (SIGBUS)
    return [p for p in (db, db.with_name(db.name + "-wal"), db.parent) if p.exists()]


@contextlib.contextmanager
def sqlite_unwritable(db: Path) -> Iterator[None]:
    """While inside: writes to the SQLite database `db` fail with 'disk I/O error' or 'readonly database'."""
    paths = _targets(db)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        return
    modes = {p: p.stat().st_mode for p in paths}
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        yield
    finally:
        for p, mode in modes.items():
            p.chmod(mode)


@contextlib.contextmanager
def postgres_down(url: str) -> Iterator[None]:
    """While inside: the database of `url` refuses new connections and every session of it is terminated."""
    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()
