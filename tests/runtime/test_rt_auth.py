# mypy: allow-untyped-defs, allow-incomplete-defs
"""Accounts, passwords and sessions (runtime.security, runtime.passwords, runtime.installation, runtime.throttle)
on SQLite and PostgreSQL: production refuses default and weak passwords and applies EMS_ADMIN_PASSWORD, old
scrypt hashes verify and are rehashed as Argon2id at login, logout / passwd / disable revoke sessions, keys are
revoked and rotated, the development secret is random per installation, and failed logins back off."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pytest
from service_fixtures import any_store  # noqa: F401 - fixture
from sqlalchemy import func, select

from runtime import passwords, security
from runtime.installation import secret_path, with_installation_secret
from runtime.settings import DEFAULT_SECRET, Settings, UnsafeSettingsError
from runtime.store.models import LoginSession, User
from runtime.throttle import LoginThrottle

NOW = dt.datetime(2024, 6, 10, 3, 0, tzinfo=dt.UTC)
STRONG = "Kintaikyo-bridge-1673"
SECRET = "s" * 40


def _hash_of(store, name):
    with store.session() as session:
        return session.scalars(select(User.password_hash).where(User.username == name)).one()


def test_production_applies_the_admin_password_and_refuses_the_default(any_store):  # noqa: F811
    # first start in development: the default operator account
    security.prepare_accounts(any_store, Settings(), NOW)
    assert security.authenticate(any_store, "operator", "ems-dev-password") is not None
    production = Settings(mode="production", secret_key=SECRET, admin_password=STRONG)
    security.prepare_accounts(any_store, production, NOW)  # no weak account left: starts
    assert security.authenticate(any_store, "operator", "ems-dev-password") is None
    assert security.authenticate(any_store, "operator", STRONG) == security.Principal("operator", "operator")


def test_production_refuses_to_start_with_a_weak_account(any_store):  # noqa: F811
    security.create_user(any_store, "clerk", "a", "disaster_office")  # allowed in development
    production = Settings(mode="production", secret_key=SECRET, admin_password=STRONG)
    with pytest.raises(UnsafeSettingsError, match=r"accounts: clerk .*ems users passwd"):
        security.prepare_accounts(any_store, production, NOW)
    security.set_password(any_store, "clerk", "Hagi-castle-town-1604", NOW, enforce=True)
    security.prepare_accounts(any_store, production, NOW)


def test_weak_passwords_refused_when_enforced(any_store):  # noqa: F811
    for weak, why in (
        ("a", "fewer than 12"),
        ("ems-dev-password", "development default"),
        ("aaaaaaaaaaaaaaa", "different characters"),
        ("password1234", "common"),
        ("bob-is-the-best-99", "user name"),
    ):
        with pytest.raises(security.WeakPasswordError, match=why):
            security.create_user(any_store, "bob", weak, "operator", enforce=True)
    security.create_user(any_store, "bob", STRONG, "operator", enforce=True)


def test_duplicate_user_is_a_one_line_error_without_the_hash(any_store):  # noqa: F811
    security.create_user(any_store, "dup", STRONG, "operator")
    with pytest.raises(ValueError, match="username: 'dup' already exists") as info:
        security.create_user(any_store, "dup", STRONG, "operator")
    assert "argon2" not in str(info.value)
    assert "\n" not in str(info.value)


def test_argon2id_hashes_and_legacy_scrypt_rehashed_at_login(any_store):  # noqa: F811
    user = security.create_user(any_store, "new", STRONG, "operator")
    assert user.password_hash.startswith("$argon2id$")
    legacy = passwords.LegacyScryptHasher().hash("old-scrypt-password-1")
    with any_store.session() as session:
        session.add(User(username="old", password_hash=legacy, role="operator", password_ok=True))
    assert security.authenticate(any_store, "old", "wrong-password-xx") is None
    assert _hash_of(any_store, "old") == legacy  # a failed login changes nothing
    assert security.authenticate(any_store, "old", "old-scrypt-password-1") is not None
    rehashed = _hash_of(any_store, "old")
    assert rehashed.startswith("$argon2id$")
    assert security.authenticate(any_store, "old", "old-scrypt-password-1") is not None


def test_unknown_user_costs_a_hash_check(any_store, monkeypatch):  # noqa: F811
    calls: list[str] = []
    real = passwords.burn_time

    def spy(password: str) -> None:
        calls.append(password)
        real(password)

    monkeypatch.setattr(passwords, "burn_time", spy)
    assert security.authenticate(any_store, "nobody", "whatever-password") is None
    assert calls == ["whatever-password"]


def test_the_dummy_hash_has_the_cost_of_new_hashes():
    assert not passwords.hasher().current_hasher.check_needs_rehash(passwords.DUMMY_HASH)
    assert passwords.DUMMY_HASH.split("$")[:4] == passwords.hash_password("x").split("$")[:4]


def test_sessions_are_revoked_by_logout_passwd_and_disable(any_store):  # noqa: F811
    security.create_user(any_store, "op", STRONG, "operator")
    principal = security.Principal("op", "operator")
    token = security.start_session(any_store, principal, SECRET, NOW, hours=12)
    assert token.startswith("sess_")
    assert security.principal_for_session(any_store, token, SECRET, NOW) == principal
    assert security.principal_for_session(any_store, token, "another-secret" * 3, NOW) is None
    assert security.principal_for_session(any_store, token, SECRET, NOW + dt.timedelta(hours=12, seconds=1)) is None
    assert security.end_session(any_store, token, SECRET, NOW)
    assert security.principal_for_session(any_store, token, SECRET, NOW) is None
    assert not security.end_session(any_store, token, SECRET, NOW)  # already ended

    second = security.start_session(any_store, principal, SECRET, NOW, hours=12)
    security.set_password(any_store, "op", "Akiyoshidai-karst-2024", NOW)
    assert security.principal_for_session(any_store, second, SECRET, NOW) is None
    third = security.start_session(any_store, principal, SECRET, NOW, hours=12)
    key = security.create_api_key(any_store, "op")
    security.set_active(any_store, "op", False, NOW)
    assert security.principal_for_session(any_store, third, SECRET, NOW) is None
    assert security.principal_for_api_key(any_store, key) is None
    assert security.authenticate(any_store, "op", "Akiyoshidai-karst-2024") is None
    security.set_active(any_store, "op", True, NOW)
    assert security.principal_for_api_key(any_store, key) == principal
    assert security.principal_for_session(any_store, third, SECRET, NOW) is None  # revoked for good
    later = NOW + dt.timedelta(days=8)  # a login a week after the others expired deletes them
    security.start_session(any_store, principal, SECRET, later, hours=12)
    with any_store.session() as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 1
    accounts = {a.username: a for a in security.list_accounts(any_store, NOW)}
    assert (accounts["op"].keys, accounts["op"].sessions, accounts["op"].active) == (1, 1, True)


def test_old_hmac_tokens_are_not_accepted(any_store):  # noqa: F811
    import hashlib
    import hmac

    security.create_user(any_store, "operator", STRONG, "operator")
    payload = f"operator.{int(NOW.timestamp()) + 3600}"
    forged = payload + "." + hmac.new(DEFAULT_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert security.principal_for_session(any_store, forged, DEFAULT_SECRET, NOW) is None


def test_keys_are_revoked_and_rotated(any_store):  # noqa: F811
    security.create_user(any_store, "m", STRONG, "facility_manager", "centre")
    key = security.create_api_key(any_store, "m", "scada")
    new = security.rotate_key(any_store, key[:12], NOW)
    assert security.principal_for_api_key(any_store, key) is None
    assert security.principal_for_api_key(any_store, new) == security.Principal("m", "facility_manager", "centre")
    assert ("m", new[:12], "scada", False) in security.list_keys(any_store)
    assert security.revoke_key(any_store, new[:12], NOW) == "m"
    assert security.principal_for_api_key(any_store, new) is None
    with pytest.raises(ValueError, match="prefix: no active key"):
        security.revoke_key(any_store, new[:12], NOW)


def test_development_secret_is_random_per_installation_and_kept(tmp_path):
    one = Settings(database_url=f"sqlite:///{tmp_path / 'a' / 'ems.db'}")
    two = Settings(database_url=f"sqlite:///{tmp_path / 'b' / 'ems.db'}")
    first = with_installation_secret(one).secret_key.get_secret_value()
    assert first != DEFAULT_SECRET
    assert len(first) == 64
    assert with_installation_secret(one).secret_key.get_secret_value() == first  # kept across restarts
    assert with_installation_secret(two).secret_key.get_secret_value() != first
    path = secret_path(one.database_url)
    assert path == tmp_path / "a" / "ems.db.secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    given = Settings(secret_key="x" * 40)
    assert with_installation_secret(given) is given


def test_development_refuses_a_non_loopback_bind():
    for host in ("0.0.0.0", "192.168.1.10", "ems.example.jp"):  # noqa: S104
        with pytest.raises(ValueError, match="EMS_HOST"):
            Settings(host=host)
    for host in ("127.0.0.1", "::1", "localhost"):
        assert Settings(host=host).host == host
    assert Settings(host="0.0.0.0", mode="production", secret_key=SECRET, admin_password=STRONG)  # noqa: S104


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_login_backoff_per_account_and_address():
    clock = Clock()
    throttle = LoginThrottle(account_free=3, address_free=5, base_s=1.0, max_s=60.0, clock=clock)
    for _ in range(3):
        assert throttle.retry_after_s("op", "10.0.0.1") == 0
        throttle.failed("op", "10.0.0.1")
    assert throttle.retry_after_s("op", "10.0.0.1") == 0  # three free failures
    throttle.failed("op", "10.0.0.1")  # 4th: wait 1 s
    assert throttle.retry_after_s("op", "10.0.0.9") == 1.0  # the account waits, from any address
    clock.t += 1.0
    throttle.failed("op", "10.0.0.2")  # 5th: 2 s
    assert throttle.retry_after_s("op", "10.0.0.3") == 2.0
    clock.t += 2.0
    throttle.failed("op", "10.0.0.2")  # 6th: 4 s
    assert throttle.retry_after_s("op", "10.0.0.3") == 4.0
    throttle.succeeded("op")
    assert throttle.retry_after_s("op", "10.0.0.3") == 0
    # spraying names from one address: the address backs off after 5 failures
    for i in range(5):
        throttle.failed(f"user{i}", "10.9.9.9")
    assert throttle.retry_after_s("someone-else", "10.9.9.9") == 0
    throttle.failed("user5", "10.9.9.9")
    assert throttle.retry_after_s("someone-else", "10.9.9.9") == 1.0
    for _ in range(40):
        throttle.failed("op", "10.0.0.1")
    assert throttle.retry_after_s("op", "10.0.0.7") == 60.0  # capped at max_s
