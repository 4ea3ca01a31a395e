"""`ems users ...`: accounts held in the database (add, list, passwd, disable, enable) and their API keys
(key, revoke-key, rotate-key). Errors are one line naming the problem, exit code 2; no hash or traceback is
printed. In production mode a weak password is refused (runtime.passwords.password_problem)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import typer

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario
from api.cli.service import _settings

if TYPE_CHECKING:
    from runtime.settings import Settings
    from runtime.store.db import Store

users_app = typer.Typer(help="Accounts of the service (held in the database).", no_args_is_help=True)
app.add_typer(users_app, name="users")
T = TypeVar("T")
PREFIX_HELP = "The key's first 12 characters (`ems users list --keys`)."


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[red]{message}[/red]", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@contextmanager
def _store(settings: Settings) -> Iterator[Store]:
    """The settings' database; an unreachable one is one error line."""
    from runtime.store.db import masked_url, open_store

    try:
        store = open_store(settings.database_url)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(f"database: cannot open {masked_url(settings.database_url)} ({first})") from None
    try:
        yield store
    finally:
        store.dispose()


def _run(action: Callable[[Store, Settings], T]) -> T:
    """Run `action` on the database; ValueError/KeyError become one error line and exit code 2."""
    settings = _settings()
    with _store(settings) as store:
        try:
            return action(store, settings)
        except (ValueError, KeyError) as exc:
            raise _fail(str(exc).strip("'\"")) from None


def _now() -> dt.datetime:
    from scenarios.timegrid import utcnow

    return utcnow()


@users_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help="operator | facility_manager | disaster_office."),
    facility: str = typer.Option(None, help="Facility id (facility managers)."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Password (prompted when omitted)."
    ),
) -> None:
    """Create an account (production refuses weak passwords)."""
    from runtime import security

    def act(store: Store, settings: Settings) -> None:
        if facility is not None:
            open_scenario(settings.scenario).facility(facility)
        security.create_user(store, username, password, role, facility, enforce=not settings.development)

    _run(act)
    console.print(f"user '{username}' ({role}{', ' + facility if facility else ''}) created", highlight=False)


@users_app.command("list")
def list_users(keys: bool = typer.Option(False, "--keys", help="Also list the API keys (prefix, label).")) -> None:
    """The accounts: role, facility, active, password policy checked, active keys and live sessions."""
    from rich.table import Table

    from runtime import security

    accounts = _run(lambda store, _s: security.list_accounts(store, _now()))
    table = Table("user", "role", "facility", "active", "password ok", "keys", "sessions")
    for a in accounts:
        table.add_row(
            a.username, a.role, a.facility_id or "", "yes" if a.active else "no",
            "yes" if a.password_ok else "no", str(a.keys), str(a.sessions),
        )  # fmt: skip
    console.print(table)
    if keys:
        key_table = Table("user", "key prefix", "label", "revoked")
        for user, prefix, label, revoked in _run(lambda store, _s: security.list_keys(store)):
            key_table.add_row(user, prefix, label, "yes" if revoked else "no")
        console.print(key_table)


@users_app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="User name."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="New password (prompted when omitted)."
    ),
) -> None:
    """Change a password; every session of the user is revoked (production refuses weak passwords)."""
    from runtime import security

    _run(lambda store, s: security.set_password(store, username, password, _now(), enforce=not s.development))
    console.print(f"password of '{username}' changed; their sessions are revoked", highlight=False)


@users_app.command("disable")
def disable(username: str = typer.Argument(..., help="User name.")) -> None:
    """Deactivate an account: its sessions are revoked and its API keys stop working."""
    from runtime import security

    _run(lambda store, _s: security.set_active(store, username, False, _now()))
    console.print(f"user '{username}' disabled", highlight=False)


@users_app.command("enable")
def enable(username: str = typer.Argument(..., help="User name.")) -> None:
    """Re-activate an account (its unrevoked API keys work again)."""
    from runtime import security

    _run(lambda store, _s: security.set_active(store, username, True, _now()))
    console.print(f"user '{username}' enabled", highlight=False)


@users_app.command("key")
def add_key(
    username: str = typer.Argument(..., help="User the key acts as."),
    label: str = typer.Option("", help="What the key is for."),
) -> None:
    """Create an API key for a user (send it in the X-API-Key header; it is shown once)."""
    from runtime import security

    console.print(_run(lambda store, _s: security.create_api_key(store, username, label)), highlight=False)


@users_app.command("revoke-key")
def revoke_key(
    prefix: str = typer.Argument(..., help="The key's first 12 characters (`ems users list --keys`)."),
) -> None:
    """Revoke an API key: it stops working at once."""
    from runtime import security

    owner = _run(lambda store, _s: security.revoke_key(store, prefix, _now()))
    console.print(f"key {prefix[:12]}… of '{owner}' revoked", highlight=False)


@users_app.command("rotate-key")
def rotate_key(
    prefix: str = typer.Argument(..., help="The key's first 12 characters (`ems users list --keys`)."),
) -> None:
    """Replace an API key: the old one is revoked, the new one (same user and label) is printed once."""
    from runtime import security

    console.print(_run(lambda store, _s: security.rotate_key(store, prefix, _now())), highlight=False)
