"""The installation's own secret key for development mode: random, made once, kept beside the database.

A SQLite database ``…/ems.db`` keeps it in ``…/ems.db.secret``; any other database (PostgreSQL) in
``var/ems.secret`` of the working directory. The file is created with mode 0600 and never overwritten, so
sessions survive a restart and nobody can sign in with the public default key.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from runtime.settings import DEFAULT_SECRET, Settings

log = logging.getLogger(__name__)


def secret_path(database_url: str) -> Path:
    """Where the secret of the installation using `database_url` is kept."""
    prefix = "sqlite:///"
    if database_url.startswith(prefix) and database_url[len(prefix) :] not in ("", ":memory:"):
        db = Path(database_url[len(prefix) :])
        return db.with_name(db.name + ".secret")
    return Path("var") / "ems.secret"


def installation_secret(path: Path) -> str:
    """The secret in `path`, created (64 hex characters, mode 0600) if the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < 32:
            raise ValueError(
                f"{path}: the installation secret is shorter than 32 characters; delete the file"
            ) from None
        return secret
    secret = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    log.info("created the installation secret %s", path)
    return secret


def with_installation_secret(settings: Settings) -> Settings:
    """`settings` with the installation's secret key when none was given in development mode; else unchanged."""
    if not settings.development or settings.secret_key.get_secret_value() != DEFAULT_SECRET:
        return settings
    secret = installation_secret(secret_path(settings.database_url))
    return settings.model_copy(update={"secret_key": SecretStr(secret)})
