# mypy: allow-untyped-defs
"""The shelters' uncertainty reserve in the loop: bands learned from the facility's own stored forecasts and meter
readings, on by default ('auto'), nothing added before enough pairs exist, 'on' and 'off', the request carries it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import service_fixtures
from service_fixtures import TEST_NOW, make_service
from sqlalchemy import update

from forecasts.uncertainty import constant_error_quantiles
from runtime.loop import bands as loop_bands
from runtime.loop.horizon import horizon_index
from runtime.loop.optimise import build_request
from runtime.loop.optimiser_planner import request_inputs
from runtime.store import journal
from runtime.store.models import Aggregate, ForecastRun

any_store = service_fixtures.any_store
DAYS = 10
RUN_EVERY_H = 3


def seed_pairs(store, days: int = DAYS) -> None:
    """A forecast run every 3 h for `days` days before TEST_NOW, forecasting the centre's load at 10 kW for 96 slots,
    and its grid meter reading 10 kW in 7 slots of 10 and 13 kW (+30 %) in the other 3: P50 error 0, P90 +30 %."""
    issues = pd.date_range(end=TEST_NOW - dt.timedelta(hours=1), periods=days * 24 // RUN_EVERY_H, freq="3h")
    for issue in issues:
        start = issue.floor("30min")
        index = pd.date_range(start, periods=96, freq="30min").tz_convert("Asia/Tokyo")
        run_id = journal.save_forecast(store, "test", {"centre": pd.DataFrame({"load": 10.0, "pv": 0.0}, index=index)})
        with store.session() as session:
            session.execute(
                update(ForecastRun).where(ForecastRun.id == run_id).values(created_at=issue.to_pydatetime())
            )
    slots = pd.date_range(end=pd.Timestamp(TEST_NOW).floor("30min"), periods=days * 48, freq="30min", inclusive="left")
    with store.session() as session:
        for i, t in enumerate(slots):
            kw = 13.0 if i % 10 < 3 else 10.0
            session.add(
                Aggregate(
                    slot_start=t.to_pydatetime(), facility_id="centre", device_id="m1", point="power_kw",
                    mean=kw, minimum=kw, maximum=kw, count=3,
                )
            )  # fmt: skip


def service(store, mode: str):
    svc = make_service(store)
    svc.settings = svc.settings.model_copy(update={"uncertainty_reserve": mode})
    return svc


def test_learned_bands_size_the_reserve_by_hand(any_store):
    seed_pairs(any_store)
    svc = service(any_store, "auto")
    learned = loop_bands.learned_load_bands(svc, TEST_NOW)
    assert learned["centre"].source == "facility"
    assert learned["centre"].n_pairs > 336
    table = learned["centre"].quantiles.table
    assert table["q50"].tolist() == pytest.approx([0.0] * 6)
    assert table["q90"].tolist() == pytest.approx([0.3] * 6)
    margin = loop_bands.reserve_margin(svc, TEST_NOW, horizon_index(TEST_NOW)[0])
    # 12:00-16:00 JST (the centre's 4 reserve hours, before the evening peak): 30 % of 2 kW x 4 h = 2.4 kWh
    assert margin.extra_kwh == {"centre": pytest.approx(2.4)}
    assert margin.sources == {"centre": "facility"}


def test_the_plan_request_carries_the_margin(any_store):
    seed_pairs(any_store)
    svc = service(any_store, "auto")
    request = build_request(svc, TEST_NOW)
    assert request.extra_reserve_kwh == {"centre": pytest.approx(2.4)}
    assert any(n.startswith("uncertainty reserve (auto): +2.4 kWh") for n in request.notes)
    centre = next(f for f in request_inputs(request).facilities if f.id == "centre")
    assert centre.reserve_kwh == pytest.approx(4 * 2.0 + 2.4)


def test_auto_adds_nothing_before_a_week_of_pairs(any_store):
    seed_pairs(any_store, days=1)  # 8 runs: too few pairs for the centre (and the city pool)
    svc = service(any_store, "auto")
    margin = loop_bands.reserve_margin(svc, TEST_NOW, horizon_index(TEST_NOW)[0])
    assert margin.extra_kwh == {}
    assert margin.sources == {"centre": "none"}
    assert "+0.0 kWh over 0 shelters (1 none)" in margin.note


def test_on_uses_the_shipped_bands_and_off_nothing(any_store, monkeypatch):
    shipped = constant_error_quantiles(-0.5, 0.0, 1.0)  # stands in for the 7-s household model
    monkeypatch.setattr(loop_bands, "_shipped_model", lambda: shipped)
    svc = service(any_store, "on")
    margin = loop_bands.reserve_margin(svc, TEST_NOW, horizon_index(TEST_NOW)[0])
    assert margin.sources == {"centre": "fallback"}
    assert margin.extra_kwh == {"centre": pytest.approx(1.0 * 2.0 * 4.0)}
    off = loop_bands.reserve_margin(service(any_store, "off"), TEST_NOW, horizon_index(TEST_NOW)[0])
    assert off.extra_kwh == {}
    assert off.note == "uncertainty reserve off"


def test_bands_are_learned_once_a_day(any_store, monkeypatch):
    seed_pairs(any_store)
    svc = service(any_store, "auto")
    calls = []
    real = loop_bands.facility_pairs

    def counted(s, now):
        calls.append(now)
        return real(s, now)

    monkeypatch.setattr(loop_bands, "facility_pairs", counted)
    loop_bands.learned_load_bands(svc, TEST_NOW)
    loop_bands.learned_load_bands(svc, TEST_NOW + dt.timedelta(hours=2))
    assert len(calls) == 1
    loop_bands.learned_load_bands(svc, TEST_NOW + dt.timedelta(days=1))
    assert len(calls) == 2
