"""What bidding on forecast prices costs: the Yamaguchi group's market money over recorded days, three ways.

Run: .venv/bin/python benchmarks/bench_market_day.py [--from 2024-07-01] [--days 7]
Prints a markdown table and writes it to benchmarks/results/market_day.md.

For each delivery day the physical plan is the one on the real (published) prices: its net JEPX need per slot is
taken as the actual need (no PV/load forecast error here; the year backtest adds simulated actuals). That need
is bought three ways, and the money of the market position is compared:

- foresight: bid the real-price plan as price takers (the upper bound: spot cost only);
- point: bid the plan on the P50 forecast prices as price takers;
- curve: bid P10/P50/P90 price-quantity curves from plans on the three forecast price columns.

After the clearing, the 12:00 intraday step trades the gap (``optimizer.market.intraday``, adverse prices: the
day's high for buys, low for sells) where cheaper than the expected imbalance (need scenarios ±5 % of load);
what remains is settled at the post-2022 imbalance price model (spot ± 5 JPY/kWh, no scarcity).
Money in JPY, + = paid; the last column is the extra over foresight.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.market.bids import point_bid
from optimizer.market.clearing import clear_bid
from optimizer.market.imbalance import imbalance_cost, imbalance_prices
from runtime.market.day import bid_day, intraday_day, intraday_prices, market_kw, plan_day, real_prices
from scenarios.loader import load_builtin
from scenarios.timegrid import TZ

RESULTS = Path(__file__).parent / "results" / "market_day.md"
STRATEGIES = ("foresight", "point", "curve")


def day_money(scenario, day: dt.date) -> dict[str, dict[str, float]]:
    """Per strategy: spot, intraday and imbalance money (JPY) and traded volumes (kWh) of one delivery day."""
    ops = scenario.market.operations
    real = real_prices(scenario, day)
    curve = bid_day(scenario, day)
    point = bid_day(scenario, day, inputs=curve.plans["p50"].inputs, curves=False)
    actual = plan_day(curve.plans["p50"].inputs, real)
    buy, sell = market_kw(actual)
    need = (buy - sell) * 0.5
    bids = {"foresight": point_bid(day, buy, sell, ops), "point": point.bid, "curve": curve.bid}
    spot_frame = pd.Series(real.to_numpy(), index=real.index)
    prices = imbalance_prices(spot_frame, scenario.market.imbalance, ops)
    intraday = intraday_prices(day)
    noon = pd.Timestamp(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12, 0)), tz=TZ)
    out = {}
    for name, bid in bids.items():
        fill = clear_bid(bid, real)
        trades = intraday_day(scenario, actual, fill.net_kwh, noon, intraday, adverse=True)
        left = need - fill.net_kwh - trades["trade_kwh"].to_numpy()
        imb = imbalance_cost(left, prices["short_jpy_per_kwh"].to_numpy(), prices["surplus_jpy_per_kwh"].to_numpy())
        out[name] = {
            "spot": fill.cost_jpy,
            "intraday": float(trades["trade_cost_jpy"].sum()),
            "imbalance": float(imb.sum()),
            "traded_kwh": float(np.abs(trades["trade_kwh"]).sum()),
            "imbalance_kwh": float(np.abs(left).sum()),
        }
    return out


def main() -> None:
    """Run the days and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", default="2024-07-01")
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    scenario = load_builtin("yamaguchi")
    first = dt.date.fromisoformat(args.first)
    totals = {
        s: dict.fromkeys(("spot", "intraday", "imbalance", "traded_kwh", "imbalance_kwh"), 0.0) for s in STRATEGIES
    }
    t0 = time.perf_counter()
    for k in range(args.days):
        for name, figures in day_money(scenario, first + dt.timedelta(days=k)).items():
            for key, value in figures.items():
                totals[name][key] += value
    seconds = time.perf_counter() - t0
    bound = totals["foresight"]["spot"] + totals["foresight"]["intraday"] + totals["foresight"]["imbalance"]
    lines = [
        f"# Market money of the Yamaguchi group, {args.days} days from {args.first} (JPY, + = paid)",
        "",
        "| bid | spot JPY | intraday JPY | imbalance JPY | total JPY | intraday kWh | imbalance kWh "
        "| extra vs foresight JPY |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in STRATEGIES:
        t = totals[name]
        total = t["spot"] + t["intraday"] + t["imbalance"]
        lines.append(
            f"| {name} | {t['spot']:,.0f} | {t['intraday']:,.0f} | {t['imbalance']:,.0f} | {total:,.0f} | "
            f"{t['traded_kwh']:,.0f} | {t['imbalance_kwh']:,.0f} | {total - bound:,.0f} |"
        )
    lines += ["", f"{args.days} days in {seconds:.0f} s ({seconds / args.days:.1f} s/day: 5 HiGHS solves a day)."]
    out = "\n".join(lines) + "\n"
    print(out)
    RESULTS.write_text(out, encoding="utf-8")


if __name__ == "__main__":
    main()
