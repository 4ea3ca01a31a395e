# mypy: allow-untyped-defs, allow-incomplete-defs
"""`ems users ...` and the start-up refusals: one-line errors without hashes or tracebacks, weak passwords
refused in production, list / passwd / disable / enable / revoke-key / rotate-key, masked database passwords,
no non-loopback bind in development, no production start with weak accounts."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from runtime import security
from runtime.store.db import masked_url, open_store

EMS = str(Path(sys.executable).with_name("ems"))
STRONG = "Kintaikyo-bridge-1673"
NOW = dt.datetime(2024, 6, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'ems.db'}"
    monkeypatch.setenv("EMS_DATABASE_URL", url)
    monkeypatch.setenv("EMS_SCENARIO", "tiny")
    return url


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_duplicate_add_is_one_line_without_the_hash(db):
    runner = CliRunner()
    add = ["users", "add", "x", "--role", "operator", "--password", STRONG]
    assert runner.invoke(app, add).exit_code == 0
    line = _one_line_error(runner.invoke(app, add))
    assert "username: 'x' already exists" in line
    assert "argon2" not in line
    assert "scrypt" not in line


def test_weak_password_refused_in_production_only(db, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(app, ["users", "add", "dev", "--role", "operator", "--password", "a"]).exit_code == 0
    monkeypatch.setenv("EMS_MODE", "production")
    monkeypatch.setenv("EMS_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("EMS_ADMIN_PASSWORD", STRONG)
    line = _one_line_error(runner.invoke(app, ["users", "add", "prod", "--role", "operator", "--password", "a"]))
    assert line.startswith("password: refused for 'prod' because it has fewer than 12 characters")
    assert runner.invoke(app, ["users", "add", "prod", "--role", "operator", "--password", STRONG]).exit_code == 0
    line = _one_line_error(runner.invoke(app, ["users", "passwd", "dev", "--password", "password-password"]))
    assert "password: refused for 'dev'" in line


def test_list_passwd_disable_enable_and_keys(db):
    runner = CliRunner()
    runner.invoke(
        app, ["users", "add", "m", "--role", "facility_manager", "--facility", "centre", "--password", STRONG]
    )
    key = runner.invoke(app, ["users", "key", "m", "--label", "scada"]).output.strip()
    store = open_store(db)
    token = security.start_session(store, security.Principal("m", "facility_manager", "centre"), "s" * 40, NOW, 1e5)
    listing = runner.invoke(app, ["users", "list", "--keys"])
    assert listing.exit_code == 0
    row = next(line for line in listing.output.splitlines() if " m " in f" {line} " and "facility_manager" in line)
    assert row.split()[1:] == [
        "m",
        "│",
        "facility_manager",
        "│",
        "centre",
        "│",
        "yes",
        "│",
        "yes",
        "│",
        "1",
        "│",
        "1",
        "│",
    ]
    assert key[:12] in listing.output
    assert runner.invoke(app, ["users", "passwd", "m", "--password", "Hagi-castle-town-1604"]).exit_code == 0
    assert security.principal_for_session(store, token, "s" * 40, NOW) is None
    assert security.authenticate(store, "m", "Hagi-castle-town-1604") is not None
    assert runner.invoke(app, ["users", "disable", "m"]).exit_code == 0
    assert security.principal_for_api_key(store, key) is None
    assert security.authenticate(store, "m", "Hagi-castle-town-1604") is None
    assert runner.invoke(app, ["users", "enable", "m"]).exit_code == 0
    assert security.principal_for_api_key(store, key) is not None
    rotated = runner.invoke(app, ["users", "rotate-key", key[:12]])
    new = rotated.output.strip()
    assert rotated.exit_code == 0
    assert new.startswith("ems_")
    assert security.principal_for_api_key(store, key) is None
    assert security.principal_for_api_key(store, new) is not None
    assert runner.invoke(app, ["users", "revoke-key", new[:12]]).exit_code == 0
    assert security.principal_for_api_key(store, new) is None
    assert "no active key" in _one_line_error(runner.invoke(app, ["users", "revoke-key", new[:12]]))
    assert "no user 'ghost'" in _one_line_error(runner.invoke(app, ["users", "disable", "ghost"]))
    store.dispose()


def test_database_password_is_masked():
    url = "postgresql+psycopg://ems:hunter2-secret@db.example:5432/ems"
    assert masked_url(url) == "postgresql+psycopg://ems:***@db.example:5432/ems"
    runner = CliRunner()
    env = {"EMS_DATABASE_URL": "postgresql+psycopg://ems:hunter2-secret@127.0.0.1:1/ems"}
    line = _one_line_error(runner.invoke(app, ["users", "list"], env=env))
    assert line.startswith("database: cannot open postgresql+psycopg://ems:***@127.0.0.1:1/ems")
    assert "hunter2" not in line


def _ems(args, env, tmp_path):
    full = {**os.environ, "EMS_SCENARIO": "tiny", "EMS_DATABASE_URL": f"sqlite:///{tmp_path / 'ems.db'}", **env}
    return subprocess.run([EMS, *args], env=full, capture_output=True, text=True, timeout=120, check=False)


def test_development_refuses_a_public_bind(tmp_path):
    done = _ems(["up", "--port", "1"], {"EMS_HOST": "0.0.0.0"}, tmp_path)  # noqa: S104
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "EMS_HOST: '0.0.0.0' is not a loopback address" in lines[0]


def test_production_start_refused_while_an_account_is_weak(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'ems.db'}")
    security.create_user(store, "clerk", "a", "disaster_office")
    store.dispose()
    production = {"EMS_MODE": "production", "EMS_SECRET_KEY": "k" * 40, "EMS_ADMIN_PASSWORD": STRONG}
    done = _ems(["up", "--port", "1"], production, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "accounts: clerk still have the default or a weak" in lines[0]
