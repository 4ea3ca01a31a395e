# mypy: allow-untyped-defs, allow-incomplete-defs
"""Settings: defaults, EMS_ environment prefix, refusal of unsafe credentials outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from runtime.settings import DEFAULT_SECRET, Settings


def test_defaults_are_development_sqlite_yamaguchi(monkeypatch):
    for key in ("EMS_MODE", "EMS_DATABASE_URL", "EMS_SCENARIO"):
        monkeypatch.delenv(key, raising=False)
    s = Settings()
    assert s.database_url == "sqlite:///./var/ems.db"
    assert s.scenario == "yamaguchi"
    assert s.development
    assert s.simulate
    assert not s.dry_run


def test_environment_prefix_is_read(monkeypatch):
    monkeypatch.setenv("EMS_SCENARIO", "tiny")
    monkeypatch.setenv("EMS_POLL_INTERVAL_S", "2.5")
    monkeypatch.setenv("EMS_DRY_RUN", "true")
    s = Settings()
    assert (s.scenario, s.poll_interval_s, s.dry_run) == ("tiny", 2.5, True)


def test_production_refuses_default_secret_naming_the_setting():
    with pytest.raises(ValidationError, match="EMS_SECRET_KEY"):
        Settings(mode="production", secret_key=DEFAULT_SECRET, admin_password="a-long-strong-password")


def test_production_refuses_weak_password_naming_the_setting():
    with pytest.raises(ValidationError, match="EMS_ADMIN_PASSWORD"):
        Settings(mode="production", secret_key="x" * 40, admin_password="short")


def test_production_accepts_strong_credentials():
    s = Settings(mode="production", secret_key="k" * 40, admin_password="a-long-strong-password")
    assert not s.development


def test_bad_cadence_is_refused_with_field_name():
    with pytest.raises(ValidationError, match="poll_interval_s"):
        Settings(poll_interval_s=-1)
