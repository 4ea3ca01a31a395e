"""The optimiser against the rule-based baseline over a week of real JEPX prices (part of bench_optimizer.py).

Two ways: one 336-slot plan with perfect foresight, and the week operated day by day (a 96-slot plan each
midnight from that day's forecasts, its first 48 slots executed, the state carried to the next day: SoC of
batteries and EVs, the plant's output, each facility's 30-min demand peaks of the month and the 12 months, and
the group's capacity-season peak). Every figure is split by ``optimizer.dayahead.headline``: money (energy,
wheeling, links, demand, capacity, wear, curtailment; JPY paid + / earned -), penalties (not money) and the
value of the energy stored at the end (counted once, at the end of the week).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

MONEY_TERMS = ("energy", "wheeling", "link", "demand", "capacity", "wear", "curtailment")


def head(inputs: Any, n: int) -> Any:
    """The first n slots of a PlanInputs (what a day-ahead plan executes before the next one replaces it)."""
    cut = dataclasses.replace
    plant = inputs.plant
    if plant is not None:
        ramps = (
            {}
            if plant.ramp_up_kw is None
            else {"ramp_up_kw": plant.ramp_up_kw[:n], "ramp_down_kw": plant.ramp_down_kw[:n]}
        )
        plant = cut(
            plant,
            forecast_kw=plant.forecast_kw[:n],
            min_kw=plant.min_kw[:n],
            available_kw=plant.available_kw[:n],
            **ramps,
        )
    return cut(
        inputs,
        index=inputs.index[:n],
        hours=inputs.hours[:n],
        price_jpy_per_kwh=inputs.price_jpy_per_kwh[:n],
        facilities=tuple(cut(f, pv_kw=f.pv_kw[:n], load_kw=f.load_kw[:n]) for f in inputs.facilities),
        evs=tuple(
            cut(e, plugged=e.plugged[:n], target_kwh=e.target_kwh[:n], trip_kwh=e.trip_kwh[:n]) for e in inputs.evs
        ),
        plant=plant,
    )


def _split(breakdown: dict[str, float]) -> dict[str, Any]:
    from optimizer.dayahead.headline import split_costs

    s = split_costs(breakdown)
    return {
        "money": s.money_total_jpy,
        "terms": {t: s.money_jpy.get(t, 0.0) for t in MONEY_TERMS},
        "penalties": s.penalties_total_jpy,
        "stored": s.stored_energy_value_jpy,
        "objective": s.total_jpy,
    }


def week_comparison(start: dt.date) -> dict[str, Any]:
    """Optimised vs baseline on one 7-day (336-slot) horizon of real JEPX prices, Yamaguchi, clear-sky PV."""
    from optimizer.dayahead.result import PlanResult, SolveOptions
    from optimizer.dayahead.solve import baseline, solve
    from runtime.facades.dayahead_planning import day_index, plan_inputs
    from scenarios.loader import load_builtin

    inputs = plan_inputs(load_builtin("yamaguchi"), day_index(start, 7 * 48))
    tick = time.perf_counter()
    result = solve(inputs, SolveOptions(time_limit_s=300.0))
    seconds = time.perf_counter() - tick
    assert isinstance(result, PlanResult), result.reason
    return {
        "start": start.isoformat(),
        "opt": _split(result.breakdown),
        "base": _split(baseline(inputs).breakdown),
        "status": result.status,
        "seconds": seconds,
        "price_mean": float(inputs.price_jpy_per_kwh.mean()),
    }


def _carry(inputs: Any, done: Any, state: Any) -> Any:
    """The state after the executed slots: SoC, plant output, month / 12-month / capacity-season peaks."""
    from optimizer.dayahead.costs import demand_kw
    from optimizer.dayahead.from_scenario import Overrides

    executed = head(inputs, done.plant_kw.shape[-1])
    demand = demand_kw(executed, done)
    peaks = {f.id: max(f.peak_so_far_kw, float(demand[j].max())) for j, f in enumerate(executed.facilities)}
    yearly = {f.id: max(f.peak_12_months_kw, peaks[f.id]) for f in executed.facilities}
    capacity = state.capacity_peak_kw
    if executed.capacity_slots:
        group = float(demand[:, list(executed.capacity_slots)].sum(axis=0).max())
        capacity = max(executed.capacity_peak_so_far_kw, group)
    return Overrides(
        battery_soc={
            b.key: min(1.0, max(0.0, done.bat_soc_kwh[i, -1] / b.capacity_kwh)) for i, b in enumerate(inputs.batteries)
        },
        ev_soc={e.id: min(1.0, max(0.0, done.ev_soc_kwh[i, -1] / e.capacity_kwh)) for i, e in enumerate(inputs.evs)},
        peak_this_month_kw=peaks,
        peak_12_months_kw=yearly,
        capacity_peak_kw=capacity,
        plant_output_kw=float(done.plant_kw[-1]) if inputs.plant is not None else None,
    )


def daily_week(start: dt.date) -> dict[str, Any]:
    """Seven day-ahead plans, optimised vs the rule-based baseline, each carrying its own state (module doc).
    Costs of executed slots only; the value of stored energy counts once, at the end of the week."""
    from optimizer.dayahead.baseline import baseline_dispatch
    from optimizer.dayahead.costs import cost_breakdown
    from optimizer.dayahead.decisions import Dispatch
    from optimizer.dayahead.from_scenario import Overrides
    from optimizer.dayahead.result import NoSolution, SolveOptions
    from optimizer.dayahead.solve import solve
    from runtime.facades.dayahead_planning import day_index, plan_inputs
    from scenarios.loader import load_builtin

    scenario = load_builtin("yamaguchi")
    state: dict[str, Any] = {"opt": Overrides(), "base": Overrides()}
    totals: dict[str, dict[str, float]] = {"opt": {}, "base": {}}
    seconds, statuses = 0.0, set()
    for day in range(7):
        for who in ("opt", "base"):
            inputs = plan_inputs(scenario, day_index(start + dt.timedelta(days=day), 96), overrides=state[who])
            if who == "opt":
                tick = time.perf_counter()
                result = solve(inputs, SolveOptions(time_limit_s=120.0))
                seconds += time.perf_counter() - tick
                assert not isinstance(result, NoSolution), result.reason
                statuses.add(result.status)
                dispatch = result.dispatch
            else:
                dispatch = baseline_dispatch(inputs)
            done = Dispatch(**{k: v[..., :48] for k, v in dispatch.__dict__.items()})
            for term, value in cost_breakdown(head(inputs, 48), done).items():
                if term != "terminal_value" or day == 6:
                    totals[who][term] = totals[who].get(term, 0.0) + value
            state[who] = _carry(inputs, done, state[who])
    return {
        "start": start.isoformat(),
        "opt": _split(totals["opt"]),
        "base": _split(totals["base"]),
        "status": "/".join(sorted(statuses)),
        "seconds": seconds,
    }


def _row(label: str, w: dict[str, Any], tail: str) -> str:
    o, b = w["opt"], w["base"]
    return (
        f"| {label} | {b['money']:,.0f} | {o['money']:,.0f} | **{b['money'] - o['money']:,.0f}** | "
        f"{b['penalties']:,.0f} / {o['penalties']:,.0f} | {b['stored']:,.0f} / {o['stored']:,.0f} | "
        f"{b['objective'] - o['objective']:,.0f} | {tail} |"
    )


def _terms(w: dict[str, Any]) -> str:
    diff = {t: w["base"]["terms"][t] - w["opt"]["terms"][t] for t in MONEY_TERMS}
    return ", ".join(f"{t} {v:+,.0f}" for t, v in diff.items() if abs(v) >= 0.5) or "-"


def render_weeks(weeks: list[dict[str, Any]], daily: list[dict[str, Any]]) -> list[str]:
    """Markdown sections of the week comparisons (money apart from penalties and stored-energy value)."""
    header = (
        "| week from | baseline money JPY | optimised money JPY | money saved JPY | penalties base / opt JPY | "
        "stored energy value base / opt JPY | objective difference JPY | {} |"
    )
    lines: list[str] = []
    for title, rows, tail_name in (
        (
            "a week of real JEPX prices as one 336-slot plan (perfect foresight)",
            weeks,
            "mean price JPY/kWh | status | solve s",
        ),
        ("the same weeks operated day by day (realistic day-ahead)", daily, "status | HiGHS+Pyomo s (7 plans)"),
    ):
        if not rows:
            continue
        lines += ["", f"## Optimised vs rule-based baseline, {title}", ""]
        lines += [header.format(tail_name), "|" + "---|" * (7 + tail_name.count("|") + 1)]
        for w in rows:
            tail = f"{w['status']} | {w['seconds']:.1f}"
            if "price_mean" in w:
                tail = f"{w['price_mean']:.2f} | {tail}"
            lines.append(_row(w["start"], w, tail))
        lines += [
            "",
            "Money saved by term (baseline - optimised, JPY): "
            + "; ".join(f"{w['start']}: {_terms(w)}" for w in rows)
            + ".",
        ]
    return lines
