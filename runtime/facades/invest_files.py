"""Files of an investment run: the per-shelter table (CSV), everything as JSON, the plots (PNG), and reading
the last run back for the API. The folder is Settings.invest_dir (CLI --out overrides it).

Per-shelter columns: added pv_kwp, battery_kwh, battery_kw, v2h_chargers; cars allotted; P(72 h) before (no
additions, no car plan) and after with and without the fleet; year operating JPY before and after.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.invest.budget import BudgetChoice
from runtime.facades.invest_planning import InvestRun

SUMMARY_FILE = "invest.json"
TABLE_FILE = "invest_shelters.csv"
CURVE_FILE = "invest_curve.csv"


def shelter_table(run: InvestRun) -> pd.DataFrame:
    """One row per shelter (see the module docstring), index 'shelter'."""
    plan, hours = run.plan, run.plan.hours
    before = {v.site: v for v in plan.before}
    rows = []
    for sizes, after in zip(plan.design.sizes, plan.after, strict=True):
        cars = sorted(c for c, s in plan.design.allotment.items() if s == sizes.site)
        rows.append(
            {
                "shelter": sizes.site,
                "pv_kwp": sizes.pv_kwp,
                "battery_kwh": sizes.battery_kwh,
                "battery_kw": sizes.battery_kw,
                "v2h_chargers": sizes.v2h_chargers,
                "cars": " ".join(cars),
                "p72_before": before[sizes.site].p_survive(hours, with_fleet=False),
                "p72_after_fleet": after.p_survive(hours, with_fleet=True),
                "p72_after_alone": after.p_survive(hours, with_fleet=False),
                "min_h_after": float(after.hours_fleet.min()),
                "operating_jpy_before": before[sizes.site].energy_jpy + before[sizes.site].demand_jpy,
                "operating_jpy_after": after.energy_jpy + after.demand_jpy,
            }
        )
    return pd.DataFrame(rows).set_index("shelter")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary(run: InvestRun) -> dict[str, Any]:
    """JSON-ready summary of a run (the API's payload)."""
    plan, money = run.plan, run.money
    table = shelter_table(run).reset_index()
    return {
        "scenario": run.scenario,
        "weather": run.weather,
        "mode": "budget" if run.budget_jpy is not None else "least_cost",
        "budget_jpy": run.budget_jpy,
        "target": plan.target,
        "hours": plan.hours,
        "with_fleet": run.with_fleet,
        "verified": plan.verified,
        "status": plan.design.status,
        "cars_bought": list(plan.design.cars_bought),
        "allotment": dict(plan.design.allotment),
        "v2h_holds": list(plan.design.v2h_holds),
        "annual_cost_jpy": dict(plan.design.costs),
        "finance": {k: _clean(v) for k, v in money.__dict__.items()},
        "representative_days": [
            {"day": int(d), "weight": float(w), "group": g}
            for d, w, g in zip(run.days.days, run.days.weights, run.days.labels, strict=True)
        ],
        "rounds": [
            {
                "round": it.round,
                "windows": it.windows,
                "status": it.status,
                "milp_s": it.milp_s,
                "verify_s": it.verify_s,
                "below_target": list(it.below_target),
                "worst_p": it.worst_p,
            }
            for it in plan.iterations
        ],
        "seconds": run.seconds,
        "shelters": [{k: _clean(v) for k, v in row.items()} for row in table.to_dict(orient="records")],
        "budget": None if run.budget is None else budget_summary(run.budget),
        "links_in_outage": list(run.links),
    }


def budget_summary(choice: BudgetChoice) -> dict[str, Any]:
    """Budget mode's answer: which path answered ('city-wide' or 'ladder') and why, the city-wide plan's capex
    (JPY), shelters at the target, capex (JPY), whether the ladder finished, the pick per shelter (the target
    its plan was made for, 0 = nothing added; its verified P; its capex)."""
    return {
        "path": choice.path,
        "reason": choice.reason,
        "city_capex_jpy": choice.city_capex_jpy,
        "met": choice.met,
        "shelters": len(choice.chosen),
        "capex_jpy": choice.capex_jpy,
        "status": choice.status,
        "complete": choice.complete,
        "rungs_built": choice.rungs_built,
        "ladder_s": choice.ladder_s,
        "chosen": [
            {"shelter": g.site, "planned_for": g.target, "p": g.p, "capex_jpy": g.capex_jpy} for g in choice.chosen
        ],
    }


def curve_table(runs: list[InvestRun]) -> pd.DataFrame:
    """Cost vs resilience: per target the annual cost (JPY/yr), capex after subsidy (JPY), the worst shelter's
    P(72 h) after, and whether the year verified."""
    return pd.DataFrame(
        [
            {
                "target": r.plan.target,
                "annual_cost_jpy": r.plan.design.annual_cost_jpy,
                "capex_jpy": r.plan.design.capex_jpy,
                "worst_p72": min(v.p_survive(r.plan.hours) for v in r.plan.after),
                "verified": r.plan.verified,
            }
            for r in runs
        ]
    )


def plot_run(run: InvestRun, path: Path) -> None:
    """Bar chart of the added battery kWh and PV kWp per shelter and P(72 h) before / after (Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the Agg backend

    table = shelter_table(run)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    x = range(len(table))
    top.bar([i - 0.2 for i in x], table["battery_kwh"], width=0.4, label="battery added (kWh)")
    top.bar([i + 0.2 for i in x], table["pv_kwp"], width=0.4, label="PV added (kWp)")
    top.legend()
    top.set_title(f"{run.scenario}: investment plan for P({run.plan.hours:g} h) >= {run.plan.target:.2f}")
    bottom.plot(list(x), table["p72_before"], "o", label="before")
    bottom.plot(list(x), table["p72_after_fleet"], "s", label="after, with the fleet")
    bottom.plot(list(x), table["p72_after_alone"], "x", label="after, without the fleet")
    bottom.set_ylabel(f"P({run.plan.hours:g} h)")
    bottom.set_xticks(list(x), list(table.index), rotation=60, ha="right")
    bottom.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_curve(curve: pd.DataFrame, path: Path) -> None:
    """Annual cost (million JPY/yr) against the target P(72 h)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(curve["target"], curve["annual_cost_jpy"] / 1e6, "o-")
    ax.set_xlabel("target P(72 h) of every shelter")
    ax.set_ylabel("annual cost (million JPY/yr)")
    ax.set_title("Cost vs resilience")
    ax.grid(True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_run(run: InvestRun, out_dir: Path, curve: list[InvestRun] | None = None) -> dict[str, Path]:
    """Write the CSV, JSON and plots of a run (and of the curve, if given) into out_dir; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"table": out_dir / TABLE_FILE, "summary": out_dir / SUMMARY_FILE, "plot": out_dir / "invest.png"}
    shelter_table(run).to_csv(paths["table"])
    payload = summary(run)
    if curve:
        frame = curve_table(curve)
        paths["curve"] = out_dir / CURVE_FILE
        paths["curve_plot"] = out_dir / "invest_curve.png"
        frame.to_csv(paths["curve"], index=False)
        plot_curve(frame, paths["curve_plot"])
        payload["curve"] = frame.to_dict(orient="records")
    paths["summary"].write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    plot_run(run, paths["plot"])
    return paths


def read_last(out_dir: Path) -> dict[str, Any] | None:
    """The last run's summary from out_dir (None if there is none); ValueError naming the file if unreadable."""
    path = out_dir / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); re-run `ems invest`") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object; re-run `ems invest`")
    return data
