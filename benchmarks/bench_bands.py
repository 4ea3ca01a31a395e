"""Cost of learning the shelters' load bands in the loop (runtime.loop.bands) on Yamaguchi with 14 days of stored
forecast runs (one every 30 min, as the service stores them) and grid-meter aggregates, on SQLite.

Rows: the once-a-day learning (query the kept runs + aggregates, build pairs, fit quantiles per shelter), the
same learning with every run kept (``every_h`` = 0.5), and the baseline measured in the same run: reading the
newest forecast run (what every optimise step already does). The stored errors are synthetic (measured load =
forecast x a repeating +0/+30 % pattern), so the table is about time, not about band width.

    .venv/bin/python benchmarks/bench_bands.py [--days 14] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from sqlalchemy import insert, update

from forecasts.bands import learn_facility_bands
from forecasts.uncertainty import constant_error_quantiles
from runtime.loop import bands as loop_bands
from runtime.loop.build import default_planner
from runtime.loop.service import Service
from runtime.loop.store_forecaster import store_forecaster
from runtime.settings import Settings
from runtime.store import journal
from runtime.store.db import Store, open_store
from runtime.store.models import Aggregate, ForecastRun
from scenarios.loader import load_scenario

NOW = dt.datetime(2024, 6, 10, 3, 10, tzinfo=dt.UTC)


def seed(store: Store, service: Service, days: int) -> int:
    """Forecast runs every 30 min for `days` days (96 slots, every shelter's load) and grid-meter aggregates."""
    shelters = [f for f in service.scenario.supplied if f.shelter is not None]
    issues = pd.date_range(end=NOW - dt.timedelta(minutes=30), periods=days * 48, freq="30min")
    for issue in issues:
        index = pd.date_range(issue.floor("30min"), periods=96, freq="30min").tz_convert("Asia/Tokyo")
        frames = {f.id: pd.DataFrame({"load": 10.0}, index=index) for f in shelters}
        run_id = journal.save_forecast(store, "bench", frames)
        with store.session() as session:
            session.execute(
                update(ForecastRun).where(ForecastRun.id == run_id).values(created_at=issue.to_pydatetime())
            )
    slots = pd.date_range(end=pd.Timestamp(NOW).floor("30min"), periods=days * 48, freq="30min", inclusive="left")
    rows = [
        {"slot_start": t.to_pydatetime(), "facility_id": f.id, "device_id": m.id, "point": "power_kw",
         "mean": kw, "minimum": kw, "maximum": kw, "count": 3}
        for i, t in enumerate(slots)
        for kw in [13.0 if i % 10 < 3 else 10.0]
        for f in shelters
        for m in f.meters
        if m.role == "grid"
    ]  # fmt: skip
    with store.session() as session:
        session.execute(insert(Aggregate), rows)
    return len(issues)


def timed(fn: Callable[[], object], repeats: int) -> float:
    """Median seconds of `repeats` calls."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'ems.db'}")
        svc = Service(Settings(), load_scenario("yamaguchi"), store, None, store_forecaster(store), default_planner())
        started = time.perf_counter()
        runs = seed(store, svc, args.days)
        print(f"seeded {runs} runs in {time.perf_counter() - started:.1f} s")

        def learn(every_h: float) -> Callable[[], object]:
            return lambda: learn_facility_bands(
                loop_bands.facility_pairs(svc, NOW, every_h=every_h), constant_error_quantiles()
            )

        base = timed(lambda: journal.latest_forecast(store), args.repeats)
        kept = timed(learn(3.0), args.repeats)
        every = timed(learn(0.5), args.repeats)
        learned = learn_facility_bands(loop_bands.facility_pairs(svc, NOW), constant_error_quantiles())
        sources = pd.Series([b.source for b in learned.values()]).value_counts().to_dict()
        store.dispose()
    print(f"\n| step ({args.days} days stored, Yamaguchi) | median s | ratio to baseline |")
    print("| --- | ---: | ---: |")
    print(f"| baseline: read the newest forecast run | {base:.3f} | 1.00 |")
    print(f"| learn bands, one run per 3 h (the loop's) | {kept:.3f} | {kept / base:.1f} |")
    print(f"| learn bands, every run | {every:.3f} | {every / base:.1f} |")
    print(f"\nbands by source: {sources}")


if __name__ == "__main__":
    main()
