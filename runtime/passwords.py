"""Password hashing and the password policy.

New hashes are Argon2id through pwdlib (the OWASP minimum cost: 19 MiB, 2 passes, 1 lane). Hashes written before
(``scrypt$n$r$p$salt$hash``, base64) still verify, through a pwdlib hasher of their own, and are replaced by an
Argon2id hash at the next successful login (``verify_and_update``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from runtime.settings import DEFAULT_ADMIN_PASSWORD, MIN_PASSWORD_CHARS

MIN_DISTINCT_CHARS = 5
MIN_REST_CHARS = 6  # characters left once common passwords are taken out
__all__ = [
    "DEFAULT_ADMIN_PASSWORD",
    "MIN_PASSWORD_CHARS",
    "burn_time",
    "hash_password",
    "password_problem",
    "verify_and_update",
    "verify_password",
]
COMMON = frozenset(
    {"password", "passw0rd", "123456", "12345678", "qwerty", "letmein", "admin", "operator", "changeme", "welcome"}
)


class LegacyScryptHasher:
    """Verifies the scrypt hashes of earlier versions (``scrypt$n$r$p$salt$hash``); never makes new ones."""

    PREFIX = "scrypt$"

    @classmethod
    def identify(cls, hash: str | bytes) -> bool:
        """True for an scrypt hash string of this project."""
        return _text(hash).startswith(cls.PREFIX)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        """An scrypt hash (kept for the protocol and for tests that write old-style hashes)."""
        salt = salt or secrets.token_bytes(16)
        n, r, p = 2**14, 8, 1
        digest = hashlib.scrypt(_bytes(password), salt=salt, n=n, r=r, p=p, dklen=32)
        b64 = base64.b64encode
        return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"

    def verify(self, password: str | bytes, hash: str | bytes) -> bool:
        """True if `password` matches (constant-time compare); False for a malformed hash."""
        try:
            _scheme, n, r, p, salt, digest = _text(hash).split("$")
            candidate = hashlib.scrypt(
                _bytes(password), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
            )
            return hmac.compare_digest(candidate, base64.b64decode(digest))
        except ValueError:
            return False

    def check_needs_rehash(self, hash: str | bytes) -> bool:
        """Always: an scrypt hash is replaced by Argon2id at the next login."""
        return True


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


@cache
def hasher() -> PasswordHash:
    """Argon2id first (used for new hashes), then the legacy scrypt verifier."""
    return PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1), LegacyScryptHasher()))


# An Argon2id hash (same cost as new hashes) of a random password nobody knows: checking a password against it
# costs what checking a real account costs, from the very first unknown name on.
DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$3oJ9oE1gfEWNJC6CdZyQvA$utwb246C2CE2/0mXVNeiwpgTWhT15xyFFYVALeuzQ7g"


def hash_password(password: str) -> str:
    """An Argon2id hash string (PHC format, ``$argon2id$...``)."""
    return hasher().hash(password)


def verify_password(password: str, encoded: str) -> bool:
    """True if `password` matches the stored hash (Argon2id or legacy scrypt); False for an unknown format."""
    return verify_and_update(password, encoded)[0]


def verify_and_update(password: str, encoded: str) -> tuple[bool, str | None]:
    """(matches, new hash to store or None): a match on a legacy or weaker hash returns its Argon2id successor."""
    if not any(h.identify(encoded) for h in hasher().hashers):
        return False, None
    return hasher().verify_and_update(password, encoded)


def burn_time(password: str) -> None:
    """Verify against a dummy hash, so that an unknown user name costs the same time as a wrong password."""
    hasher().verify(password, DUMMY_HASH)


def password_problem(password: str, username: str) -> str | None:
    """Why `password` is too weak for production, or None if it passes: at least 12 characters, 5 distinct ones,
    not the development default, not mostly common passwords ("password1234"), not containing the user name."""
    lowered = password.lower()
    if password == DEFAULT_ADMIN_PASSWORD:
        return "it is the public development default"
    if len(password) < MIN_PASSWORD_CHARS:
        return f"it has fewer than {MIN_PASSWORD_CHARS} characters"
    if len(set(password)) < MIN_DISTINCT_CHARS:
        return f"it has fewer than {MIN_DISTINCT_CHARS} different characters"
    rest = lowered
    for word in COMMON:
        rest = rest.replace(word, "")
    if len(rest) < MIN_REST_CHARS:
        return "it is mostly common passwords"
    if username and username.lower() in lowered:
        return "it contains the user name"
    return None
