"""Authentication: scrypt password hashes, API keys (hash stored only), signed session tokens, users/roles.

Roles: ``operator`` (everything), ``facility_manager`` (own facility only), ``disaster_office`` (read all,
outage plans). Tokens are ``<user>.<expiry unix s>.<hmac-sha256>``, signed with the settings' secret key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select

from runtime.store.db import Store
from runtime.store.models import ApiKey, User

ROLES = ("operator", "facility_manager", "disaster_office")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
KEY_PREFIX = "ems_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: user name, role and (for facility managers) their facility."""

    username: str
    role: str
    facility_id: str | None = None

    def may_read(self, facility_id: str) -> bool:
        """True if this principal may read that facility."""
        return self.role != "facility_manager" or self.facility_id == facility_id


def hash_password(password: str) -> str:
    """An scrypt hash string ``scrypt$n$r$p$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches the stored scrypt hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_user(store: Store, username: str, password: str, role: str, facility_id: str | None = None) -> User:
    """Create a user; ValueError naming the field on a bad role or a manager without a facility."""
    if role not in ROLES:
        raise ValueError(f"role: '{role}' is not one of {ROLES}")
    if role == "facility_manager" and not facility_id:
        raise ValueError("facility_id: a facility_manager needs the facility they manage")
    with store.session() as session:
        user = User(username=username, password_hash=hash_password(password), role=role, facility_id=facility_id)
        session.add(user)
        return user


def ensure_user(store: Store, username: str, password: str, role: str, facility_id: str | None = None) -> User:
    """Create the user unless one with that name exists (the existing one is returned unchanged)."""
    with store.session() as session:
        existing = session.scalars(select(User).where(User.username == username)).first()
    return existing if existing is not None else create_user(store, username, password, role, facility_id)


def authenticate(store: Store, username: str, password: str) -> Principal | None:
    """The principal for a correct active user/password pair, else None."""
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    if user is None or not verify_password(password, user.password_hash):
        return None
    return Principal(user.username, user.role, user.facility_id)


def create_api_key(store: Store, username: str, label: str = "") -> str:
    """Create an API key for a user; returns the key (shown once; only its hash is stored)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise ValueError(f"username: no user '{username}'")
        session.add(ApiKey(user_id=user.id, prefix=key[:12], key_hash=_key_hash(key), label=label))
    return key


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


def issue_token(principal: Principal, secret: str, hours: float, now: float | None = None) -> str:
    """A signed session token for `principal`, valid `hours` from `now` (unix seconds)."""
    expiry = int((now if now is not None else time.time()) + hours * 3600)
    payload = f"{principal.username}.{expiry}"
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{signature}"


def principal_for_token(store: Store, token: str, secret: str, now: float | None = None) -> Principal | None:
    """The principal of a valid, unexpired token whose user is still active, else None."""
    try:
        username, expiry, signature = token.rsplit(".", 2)
        expires = int(expiry)
    except ValueError:
        return None
    expected = hmac.new(secret.encode(), f"{username}.{expiry}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature) or expires < (now if now is not None else time.time()):
        return None
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username, User.active.is_(True))).first()
    return None if user is None else Principal(user.username, user.role, user.facility_id)
