"""Authentication: accounts and roles, API keys (hash stored only) and server-side login sessions.

Roles: ``operator`` (everything), ``facility_manager`` (own facility only), ``disaster_office`` (read all,
outage plans). A login creates a row of the ``sessions`` table; its bearer token (also the session cookie) is a
random ``sess_…`` string of which only the HMAC-SHA256 under the installation's secret key is stored. Logout,
``ems users passwd`` and ``ems users disable`` revoke sessions at once. Passwords: ``runtime.passwords``.
Times are tz-aware UTC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runtime import passwords
from runtime.settings import Settings, UnsafeSettingsError
from runtime.store.db import Store
from runtime.store.models import ApiKey, LoginSession, User

ROLES = ("operator", "facility_manager", "disaster_office")
KEY_PREFIX = "ems_"
SESSION_PREFIX = "sess_"
SESSION_KEEP = dt.timedelta(days=7)  # ended sessions are deleted this long after their expiry
hash_password = passwords.hash_password
verify_password = passwords.verify_password


class WeakPasswordError(ValueError):
    """A password the policy refuses; the message names the account and the reason."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: user name, role and (for facility managers) their facility."""

    username: str
    role: str
    facility_id: str | None = None

    def may_read(self, facility_id: str) -> bool:
        """True if this principal may read that facility."""
        return self.role != "facility_manager" or self.facility_id == facility_id


@dataclass(frozen=True)
class Account:
    """One account as `ems users list` shows it: active keys and unexpired, unrevoked sessions counted."""

    username: str
    role: str
    facility_id: str | None
    active: bool
    password_ok: bool
    keys: int
    sessions: int


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _session_hash(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def _checked(username: str, password: str, enforce: bool) -> bool:
    """True if the password passes the policy; with `enforce` a weak one raises WeakPasswordError."""
    problem = passwords.password_problem(password, username)
    if problem is not None and enforce:
        raise WeakPasswordError(
            f"password: refused for '{username}' because {problem}; choose at least "
            f"{passwords.MIN_PASSWORD_CHARS} characters that are not a common word or the user name"
        )
    return problem is None


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise ValueError(f"username: no user '{username}'; `ems users list` shows the accounts")
    return user


def create_user(
    store: Store, username: str, password: str, role: str, facility_id: str | None = None, enforce: bool = False
) -> User:
    """Create a user; ValueError naming the field on a bad role, a manager without a facility, a name already
    taken, or (with `enforce`, production) a weak password."""
    if role not in ROLES:
        raise ValueError(f"role: '{role}' is not one of {ROLES}")
    if role == "facility_manager" and not facility_id:
        raise ValueError("facility_id: a facility_manager needs the facility they manage")
    ok = _checked(username, password, enforce)
    user = User(
        username=username, password_hash=hash_password(password), role=role, facility_id=facility_id, password_ok=ok
    )
    try:
        with store.session() as session:
            session.add(user)
    except IntegrityError:
        raise ValueError(
            f"username: '{username}' already exists; choose another name or change its password with "
            f"`ems users passwd {username}`"
        ) from None
    return user


def set_password(store: Store, username: str, password: str, now: dt.datetime, enforce: bool = False) -> None:
    """Replace a user's password and revoke all their sessions (API keys stay: revoke them with revoke_key)."""
    ok = _checked(username, password, enforce)
    with store.session() as session:
        user = _user(session, username)
        user.password_hash, user.password_ok = hash_password(password), ok
        _revoke_sessions(session, user.id, now)


def set_active(store: Store, username: str, active: bool, now: dt.datetime) -> None:
    """Enable or disable a user; disabling revokes their sessions (their keys stop working while disabled)."""
    with store.session() as session:
        user = _user(session, username)
        user.active = active
        if not active:
            _revoke_sessions(session, user.id, now)


def _revoke_sessions(session: Session, user_id: int, now: dt.datetime) -> None:
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def ensure_admin(store: Store, username: str, password: str, apply: bool, now: dt.datetime) -> None:
    """Create the initial operator account if missing; with `apply` (production, or EMS_ADMIN_PASSWORD given) an
    existing account gets that password (its sessions are revoked when it changes) and is re-activated."""
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is not None and apply:
            user.active = True
            if not passwords.verify_password(password, user.password_hash):
                user.password_hash = hash_password(password)
                _revoke_sessions(session, user.id, now)
            user.password_ok = passwords.password_problem(password, username) is None
    if user is None:
        create_user(store, username, password, "operator")


def prepare_accounts(store: Store, settings: Settings, now: dt.datetime) -> None:
    """At start: ensure the admin account (its configured password applies in production or when EMS_ADMIN_PASSWORD
    is given); in production refuse (UnsafeSettingsError) while any active account has a default or weak password."""
    apply = not settings.development or "admin_password" in settings.model_fields_set
    ensure_admin(store, settings.admin_user, settings.admin_password.get_secret_value(), apply, now)
    if settings.development:
        return
    weak = weak_accounts(store)
    if weak:
        raise UnsafeSettingsError(
            f"accounts: {', '.join(weak)} still have the default or a weak (or unchecked) password, refused in "
            "production mode; set a strong one with `ems users passwd NAME` or run `ems users disable NAME`"
        )


def weak_accounts(store: Store) -> list[str]:
    """Active accounts whose password was not checked against the policy when set, or is the public default."""
    with store.session() as session:
        users = list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)))
    default = passwords.DEFAULT_ADMIN_PASSWORD
    return [u.username for u in users if not u.password_ok or passwords.verify_password(default, u.password_hash)]


def list_accounts(store: Store, now: dt.datetime) -> list[Account]:
    """Every account with its number of active API keys and live sessions."""
    with store.session() as session:
        keys = dict(
            session.execute(
                select(ApiKey.user_id, func.count()).where(ApiKey.revoked.is_(False)).group_by(ApiKey.user_id)
            ).all()
        )
        live = (LoginSession.revoked_at.is_(None), LoginSession.expires_at > now)
        sessions = dict(
            session.execute(
                select(LoginSession.user_id, func.count()).where(*live).group_by(LoginSession.user_id)
            ).all()
        )
        users = list(session.scalars(select(User).order_by(User.username)))
    return [
        Account(u.username, u.role, u.facility_id, u.active, u.password_ok, keys.get(u.id, 0), sessions.get(u.id, 0))
        for u in users
    ]


def authenticate(store: Store, username: str, password: str) -> Principal | None:
    """The principal for a correct active user/password pair, else None. An unknown name costs one hash check
    like a known one; a legacy scrypt hash that matches is replaced by an Argon2id hash."""
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            passwords.burn_time(password)
            return None
        ok, new_hash = passwords.verify_and_update(password, user.password_hash)
        if not ok or not user.active:
            return None
        if new_hash is not None:
            user.password_hash = new_hash
        return Principal(user.username, user.role, user.facility_id)


def create_api_key(store: Store, username: str, label: str = "") -> str:
    """Create an API key for a user; returns the key (shown once; only its hash is stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        user = _user(session, username)
        session.add(ApiKey(user_id=user.id, prefix=key[:12], key_hash=_key_hash(key), label=label))
    return key


def revoke_key(store: Store, prefix: str, now: dt.datetime) -> str:
    """Revoke the unrevoked API key whose shown prefix (its first 12 characters) is `prefix`; returns its owner."""
    with store.session() as session:
        rows = list(
            session.execute(
                select(ApiKey, User.username)
                .join(User, ApiKey.user_id == User.id)
                .where(ApiKey.prefix == prefix[:12], ApiKey.revoked.is_(False))
            ).all()
        )
        if len(rows) != 1:
            found = "no active key" if not rows else f"{len(rows)} active keys"
            raise ValueError(f"prefix: {found} with prefix '{prefix[:12]}'; `ems users list --keys` shows them")
        key, owner = rows[0]
        key.revoked, key.revoked_at = True, now
    return owner


def rotate_key(store: Store, prefix: str, now: dt.datetime) -> str:
    """Revoke the key with `prefix` and return a new key for the same user and label (shown once)."""
    with store.session() as session:
        label = session.scalars(select(ApiKey.label).where(ApiKey.prefix == prefix[:12])).first() or ""
    owner = revoke_key(store, prefix, now)
    return create_api_key(store, owner, label)


def list_keys(store: Store) -> list[tuple[str, str, str, bool]]:
    """(user, prefix, label, revoked) of every API key."""
    with store.session() as session:
        rows = session.execute(
            select(User.username, ApiKey.prefix, ApiKey.label, ApiKey.revoked)
            .join(User, ApiKey.user_id == User.id)
            .order_by(User.username, ApiKey.id)
        ).all()
        return [(u, p, lab, bool(r)) for u, p, lab, r in rows]


def principal_for_api_key(store: Store, key: str) -> Principal | None:
    """The owner of a valid, unrevoked API key, else None."""
    with store.session() as session:
        row = (
            session.execute(
                select(User)
                .join(ApiKey, ApiKey.user_id == User.id)
                .where(ApiKey.key_hash == _key_hash(key), ApiKey.revoked.is_(False), User.active.is_(True))
            )
            .scalars()
            .first()
        )
    return None if row is None else Principal(row.username, row.role, row.facility_id)


def start_session(
    store: Store, principal: Principal, secret: str, now: dt.datetime, hours: float, address: str = ""
) -> str:
    """A new session for `principal`, valid `hours` from `now`; returns its token (only its HMAC is stored).
    Sessions expired more than SESSION_KEEP ago are deleted on the way."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        user = _user(session, principal.username)
        session.execute(delete(LoginSession).where(LoginSession.expires_at < now - SESSION_KEEP))
        session.add(
            LoginSession(
                token_hash=_session_hash(token, secret),
                user_id=user.id,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
                address=address[:64],
            )
        )
    return token


def end_session(store: Store, token: str, secret: str, now: dt.datetime) -> bool:
    """Revoke the session of `token`; True if a live session was revoked."""
    with store.session() as session:
        result = session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == _session_hash(token, secret), LoginSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def principal_for_session(store: Store, token: str, secret: str, now: dt.datetime) -> Principal | None:
    """The principal of a live (unrevoked, unexpired) session whose user is still active, else None."""
    if not token.startswith(SESSION_PREFIX):
        return None
    with store.session() as session:
        user = session.scalars(
            select(User)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(
                LoginSession.token_hash == _session_hash(token, secret),
                LoginSession.revoked_at.is_(None),
                LoginSession.expires_at > now,
                User.active.is_(True),
            )
        ).first()
        return None if user is None else Principal(user.username, user.role, user.facility_id)
