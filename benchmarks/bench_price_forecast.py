"""Accuracy of the JEPX Chugoku day-ahead price forecast, measured as epftoolbox (Lago et al.) does.

Run: .venv/bin/python benchmarks/bench_price_forecast.py [--from 2024-04-01] [--to 2025-03-31] [--window 364]
Prints a markdown table and writes it to benchmarks/results/price_forecast.md.

Held-out year: every delivery day of FY2024 (2024-04-01..2025-03-31) is forecast from the shipped prices up to
the day before delivery (the bid deadline is 10:00 the day before; the first days calibrate on FY2023 only). Per
month and in total: MAE (JPY/kWh) of the model and of the naive benchmark (same weekday a week earlier on
Monday/Saturday/Sunday, the day before otherwise), rMAE = MAE_model / MAE_naive, and the share of real prices
inside the model's P10-P90 band (80 % if calibrated). A second model row, the day-type profile (the mean of
the last four same-day-type days, no regression), shows what the ridge adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.prices import daily_matrix, forecast_day_ahead_prices, naive_day_ahead_prices
from scenarios.datasets import day_type, jepx_prices, jepx_span

RESULTS = Path(__file__).parent / "results" / "price_forecast.md"


def profile_forecast(table: pd.DataFrame, delivery_day: dt.date) -> np.ndarray:
    """Mean of the last four days before delivery_day - 1 (inclusive) with the same day type, JPY/kWh."""
    kind = day_type(delivery_day)
    same = [d for d in table.index if d < delivery_day and day_type(d) == kind][-4:]
    return np.asarray(table.loc[same].mean(axis=0).to_numpy(dtype=float))


def run(first: dt.date, last: dt.date, window: int) -> pd.DataFrame:
    """One row per delivery day and slot: real, model p10/p50/p90, naive, profile (JPY/kWh)."""
    start, end = jepx_span()
    history = jepx_prices(start, end + pd.Timedelta(minutes=30))
    table = daily_matrix(history)
    rows = []
    day = first
    while day <= last:
        fc = forecast_day_ahead_prices(history, day, window_days=window)
        real = table.loc[day].to_numpy(dtype=float)
        naive = naive_day_ahead_prices(history, day).to_numpy()
        prof = profile_forecast(table, day)
        for k in range(48):
            rows.append(
                (
                    day,
                    real[k],
                    fc.frame["p10"].iloc[k],
                    fc.frame["p50"].iloc[k],
                    fc.frame["p90"].iloc[k],
                    naive[k],
                    prof[k],
                )
            )
        day += dt.timedelta(days=1)
    return pd.DataFrame(rows, columns=["day", "real", "p10", "p50", "p90", "naive", "profile"])


def table(frame: pd.DataFrame) -> str:
    """Markdown table by month and total."""
    frame = frame.assign(month=[d.strftime("%Y-%m") for d in frame["day"]])
    lines = [
        "| month | MAE model | MAE naive | rMAE model | rMAE day-type profile | P10-P90 coverage |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    groups = [*frame.groupby("month"), ("total", frame)]
    for name, part in groups:
        mae_model = float(np.mean(np.abs(part["p50"] - part["real"])))
        mae_naive = float(np.mean(np.abs(part["naive"] - part["real"])))
        mae_prof = float(np.mean(np.abs(part["profile"] - part["real"])))
        cover = float(np.mean((part["real"] >= part["p10"]) & (part["real"] <= part["p90"])))
        lines.append(
            f"| {name} | {mae_model:.3f} | {mae_naive:.3f} | {mae_model / mae_naive:.3f} | "
            f"{mae_prof / mae_naive:.3f} | {cover:.1%} |"
        )
    return "\n".join(lines)


def main() -> None:
    """Forecast every day of the test span and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="2024-04-01")
    parser.add_argument("--to", dest="last", default="2025-03-31")
    parser.add_argument("--window", type=int, default=364)
    args = parser.parse_args()
    t0 = time.perf_counter()
    frame = run(dt.date.fromisoformat(args.first), dt.date.fromisoformat(args.last), args.window)
    seconds = time.perf_counter() - t0
    days = frame["day"].nunique()
    out = (
        f"# JEPX Chugoku day-ahead price forecast ({args.first} to {args.last}, window {args.window} days)\n\n"
        f"{table(frame)}\n\n{days} delivery days forecast in {seconds:.1f} s ({seconds / days * 1000:.0f} ms/day).\n"
    )
    print(out)
    RESULTS.write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
