"""`ems backtest` on the tiny scenario, in-process (--workers 0): the table, the CSV files with units, the plot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from api.cli import app


def test_backtest_writes_csv_with_units_and_a_plot(tmp_path: Path) -> None:
    out = tmp_path / "bt"
    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--scenario",
            "tiny",
            "--from",
            "2023-07-04",
            "--to",
            "2023-07-04",
            "--workers",
            "0",
            "--out",
            str(out),
            "--replan-hours",
            "12",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "share" in result.output
    assert "total" in result.output
    days = pd.read_csv(out / "backtest_days.csv")
    assert sorted(days["strategy"]) == ["baseline", "forecast", "perfect"]
    assert {"energy_jpy", "intraday_jpy", "imbalance_jpy", "imbalance_abs_kwh", "group_capacity_peak_kw"} <= set(
        days.columns
    )
    months = pd.read_csv(out / "backtest_months.csv")
    assert {"demand_jpy", "capacity_jpy", "money_jpy", "penalties_jpy"} <= set(months.columns)
    bound = pd.read_csv(out / "backtest_bound.csv")
    assert list(bound["month"]) == ["2023-07", "total"]
    assert (out / "backtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = (out / "backtest.json").read_text(encoding="utf-8")
    assert "optimizer.market" in meta  # the market steps it ran on are named
    assert (out / "backtest_peaks.csv").exists()


def test_backtest_refuses_an_end_before_the_start() -> None:
    result = CliRunner().invoke(app, ["backtest", "--scenario", "tiny", "--from", "2023-07-04", "--to", "2023-07-01"])
    assert result.exit_code == 2
    assert "--to" in result.output


def test_backtest_refuses_a_bad_date() -> None:
    result = CliRunner().invoke(app, ["backtest", "--scenario", "tiny", "--from", "July", "--to", "2023-07-01"])
    assert result.exit_code == 2
    assert "--from: 'July' is not a date" in result.output


def test_backtest_refuses_an_unknown_intraday_price() -> None:
    result = CliRunner().invoke(
        app,
        ["backtest", "--scenario", "tiny", "--from", "2023-07-04", "--to", "2023-07-04", "--intraday-price", "best"],
    )
    assert result.exit_code == 2
    assert "intraday_price" in result.output
