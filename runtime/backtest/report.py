"""Months and total of a backtest: money by term apart from penalties, the share of the bound captured, files.

Money (JPY, + paid / - earned): energy (day-ahead fills), intraday, imbalance, wheeling, link, demand, capacity,
wear, curtailment. Demand is billed per month and facility: jpy_per_kw x max(0, the month's highest 30-min
demand - reference), the reference being the contract kW and, under a 12-month ratchet, the highest peak of the
scenario's record and of the months before. Capacity (容量拠出金) is billed per season (Jul-Sep, Dec-Feb by
default): price x max(0, the season's highest summed group demand - the scenario's season peak), booked in the
month whose peak raised it. Penalties and the stored-energy value are reported apart (not money).
share of the bound = (baseline money - forecast engine money) / (baseline money - perfect-foresight money).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scenarios.model import CapacityContribution

MONEY_TERMS = ("energy", "intraday", "imbalance", "wheeling", "link", "demand", "capacity", "wear", "curtailment")


def demand_by_month(peaks: pd.DataFrame) -> pd.DataFrame:
    """Demand charge (JPY) per strategy and month (YYYY-MM) from the daily facility peaks (module doc)."""
    frame = peaks.assign(month=peaks["date"].str[:7])
    monthly = frame.groupby(["strategy", "facility", "month"], sort=True).agg(
        peak_kw=("peak_kw", "max"),
        contract_kw=("contract_kw", "first"),
        ratchet_kw=("ratchet_kw", "first"),
        ratchet=("ratchet", "first"),
        jpy_per_kw=("jpy_per_kw", "first"),
    )
    out: dict[tuple[str, str], float] = {}
    ratchets: dict[tuple[str, str], float] = {}
    for row in monthly.reset_index().to_dict("records"):
        key = (str(row["strategy"]), str(row["facility"]))
        ratchet = ratchets.get(key, float(row["ratchet_kw"]))
        reference = max(float(row["contract_kw"]), ratchet if row["ratchet"] else 0.0)
        charge = float(row["jpy_per_kw"]) * max(0.0, float(row["peak_kw"]) - reference)
        month = (str(row["strategy"]), str(row["month"]))
        out[month] = out.get(month, 0.0) + charge
        if row["ratchet"]:
            ratchets[key] = max(ratchet, float(row["peak_kw"]))
    return pd.Series(out, name="demand_jpy").rename_axis(["strategy", "month"]).reset_index()


def _season(capacity: CapacityContribution, date: pd.Timestamp) -> str:
    if date.month in capacity.summer_months:
        return f"summer-{date.year}"
    if date.month in capacity.winter_months:
        return f"winter-{date.year if date.month >= 7 else date.year - 1}"
    return ""


def capacity_by_month(days: pd.DataFrame, capacity: CapacityContribution) -> pd.DataFrame:
    """Capacity contribution (JPY) per strategy and month: each month pays for what it raised its season's peak."""
    out: dict[tuple[str, str], float] = {}
    price = capacity.jpy_per_season_kw
    for strategy, rows in days.groupby("strategy"):
        dates = pd.to_datetime(rows["date"])
        seasons = [_season(capacity, d) for d in dates]
        frame = rows.assign(season=seasons, month=rows["date"].str[:7]).sort_values("date")
        for season, block in frame[frame["season"] != ""].groupby("season"):
            summer = str(season).startswith("summer")
            top = capacity.summer_peak_so_far_kw if summer else capacity.winter_peak_so_far_kw
            for month, part in block.groupby("month", sort=True):
                new_top = max(top, float(part["group_capacity_peak_kw"].max()))
                out[(str(strategy), str(month))] = out.get((str(strategy), str(month)), 0.0) + price * (new_top - top)
                top = new_top
    return pd.Series(out, name="capacity_jpy", dtype=float).rename_axis(["strategy", "month"]).reset_index()


def monthly(days: pd.DataFrame, peaks: pd.DataFrame, capacity: CapacityContribution) -> pd.DataFrame:
    """Per strategy and month, and a 'total' month: money by term, money, penalties, stored value (JPY)."""
    frame = days.assign(month=days["date"].str[:7])
    numeric = [c for c in frame.columns if c.endswith("_jpy") and c not in ("demand_jpy", "capacity_jpy")]
    volumes = [c for c in ("imbalance_abs_kwh", "intraday_abs_kwh", "lock_deviation_kwh") if c in frame]
    sums = frame.groupby(["strategy", "month"])[[*numeric, *volumes]].sum()
    sums = sums.reset_index()
    for extra in (demand_by_month(peaks), capacity_by_month(days, capacity)):
        sums = sums.merge(extra, on=["strategy", "month"], how="left")
    for term in MONEY_TERMS:
        column = f"{term}_jpy"
        sums[column] = sums[column].fillna(0.0) if column in sums else 0.0
    sums["money_jpy"] = sums[[f"{t}_jpy" for t in MONEY_TERMS]].sum(axis=1)
    penalty_columns = [c for c in sums.columns if c.startswith("penalty_")]
    sums["penalties_jpy"] = sums[penalty_columns].sum(axis=1) if penalty_columns else 0.0
    sums["stored_value_jpy"] = -sums["terminal_value_jpy"].fillna(0.0) if "terminal_value_jpy" in sums else 0.0
    total = sums.drop(columns="month").groupby("strategy").sum().reset_index().assign(month="total")
    keep = ["month", "strategy", *[f"{t}_jpy" for t in MONEY_TERMS], "money_jpy", "penalties_jpy"]
    keep += ["stored_value_jpy", "imbalance_abs_kwh", "intraday_abs_kwh"]
    keep += [c for c in ("intraday_average_jpy", "intraday_adverse_jpy", "lock_deviation_kwh") if c in sums]
    return pd.concat([sums, total], ignore_index=True)[keep]


def bound_table(months: pd.DataFrame) -> pd.DataFrame:
    """Per month and total: money of each strategy, the saving and the share of the perfect-foresight bound."""
    wide = months.pivot(index="month", columns="strategy", values="money_jpy")
    wide = wide.reindex(columns=["baseline", "forecast", "perfect"])
    out = pd.DataFrame(
        {
            "baseline_money_jpy": wide["baseline"],
            "forecast_money_jpy": wide["forecast"],
            "perfect_money_jpy": wide["perfect"],
            "saving_jpy": wide["baseline"] - wide["forecast"],
            "bound_saving_jpy": wide["baseline"] - wide["perfect"],
        }
    )
    bound = out["bound_saving_jpy"].where(out["bound_saving_jpy"].abs() > 1e-9)
    out["share_of_bound"] = out["saving_jpy"] / bound
    order = [*sorted(m for m in out.index if m != "total"), "total"]
    return out.reindex(order).rename_axis("month").reset_index()


def plot(bound: pd.DataFrame, path: Path, title: str) -> Path:
    """PNG: money per month of the three strategies (bars, JPY) and the share of the bound captured (line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the Agg backend

    rows = bound[bound["month"] != "total"]
    x = np.arange(len(rows))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7), sharex=True)
    for i, (column, label) in enumerate(
        (
            ("baseline_money_jpy", "rule-based baseline"),
            ("forecast_money_jpy", "engine, forecast prices"),
            ("perfect_money_jpy", "engine, perfect foresight"),
        )
    ):
        top.bar(x + (i - 1) * 0.27, rows[column] / 1e3, width=0.27, label=label)
    top.set_ylabel("money, thousand JPY (+ paid)")
    top.set_title(title)
    top.legend(fontsize=8)
    bottom.bar(x - 0.2, rows["saving_jpy"] / 1e3, width=0.4, label="saving vs baseline", color="#2a9d8f")
    bottom.bar(x + 0.2, rows["bound_saving_jpy"] / 1e3, width=0.4, label="bound (perfect foresight)", color="#e9c46a")
    bottom.set_ylabel("thousand JPY")
    share = bottom.twinx()
    share.plot(x, 100 * rows["share_of_bound"], color="black", marker="o", label="share of bound %")
    share.set_ylabel("share of the bound captured, %")
    bottom.legend(loc="upper left", fontsize=8)
    bottom.set_xticks(x, rows["month"], rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
