"""`ems market forecast` and `ems market day` on the shipped JEPX data (the Yamaguchi scenario, HiGHS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from api.cli import app


def test_market_day_writes_the_days_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["market", "day", "--date", "2024-07-01", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "filled buy / sell (kWh)" in result.output
    for name in ("price_forecast", "bid", "fill", "intraday"):
        assert (tmp_path / f"{name}_2024-07-01.csv").stat().st_size > 0, name
    plan = pd.read_csv(tmp_path / "demand_procurement_YGE0001_20240701.csv", encoding="utf-8-sig")
    assert plan["コマ"].tolist() == list(range(1, 49))
    fill = pd.read_csv(tmp_path / "fill_2024-07-01.csv")
    assert fill["slot_start"].iloc[0] == "2024-07-01T00:00:00+09:00"
    bid = pd.read_csv(tmp_path / "bid_2024-07-01.csv")
    assert (bid["quantity_kwh"] % 50 == 0).all()


def test_market_forecast_prints_the_table_and_refuses_days_without_data() -> None:
    result = CliRunner().invoke(app, ["market", "forecast", "--date", "2024-07-01"])
    assert result.exit_code == 0, result.output
    assert "rMAE" in result.output
    bad = CliRunner().invoke(app, ["market", "forecast", "--date", "2031-01-01"])
    assert bad.exit_code == 2
    assert "prices" in bad.output or "history" in bad.output
    typo = CliRunner().invoke(app, ["market", "day", "--date", "2024-02-30"])
    assert typo.exit_code == 2
    assert "--date" in typo.output
