"""Benchmark of the plan optimiser: Pyomo + persistent HiGHS against the same LP/MILP passed to highspy directly.

Sizes: the Yamaguchi scenario (all supplied facilities x 96 slots, forecasts from the forecasts package, real
JEPX prices of 2024-08-01/02) and copies with the facilities repeated 5x and 20x. Each measurement runs in its
own subprocess so peak memory (ru_maxrss) belongs to one front-end:

* pyomo worker: model build s, hand-over s (Pyomo -> HiGHS and the solution back), HiGHS s, total;
  then a re-plan after a data-only change (horizon moved by one slot, loads x1.03, prices of the new slots,
  SoC from the first plan): Param update s, push of the changed Params s, HiGHS s; and the same re-plan as a
  fresh rebuild. It writes both HiGHS models (before and after the change) as MPS files.
* highspy worker (the floor): reads the MPS files once (not timed: this is the matrix Pyomo built), then times
  passModel + run + reading the solution for the one-shot solve, and changeColsCost/changeColsBounds/
  changeRowsBounds + run + reading the solution for the re-plan on the same Highs object.

Also: optimised vs rule-based baseline over a week of real JEPX prices (one 336-slot plan per week).
Usage: python benchmarks/bench_optimizer.py [--scales 1,5,20] [--no-week]. Writes benchmarks/results/optimizer.md.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results" / "optimizer.md"
DAY = dt.date(2024, 8, 1)
SLOTS = 96


def rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _strip_modbus(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_modbus(v) for k, v in node.items() if k != "modbus"}
    if isinstance(node, list):
        return [_strip_modbus(v) for v in node]
    return node


def scaled_scenario(scale: int) -> tuple[Any, dict[str, str]]:
    """Yamaguchi with every facility (and its EVs and links) repeated `scale` times; copies have no Modbus.

    Returns the scenario and a map copy id -> original facility id (to reuse the originals' forecasts).
    """
    from scenarios.loader import builtin_data, parse_scenario

    data = builtin_data("yamaguchi")
    origin = {f["id"]: f["id"] for f in data["facilities"]}
    if scale == 1:
        return parse_scenario(data), origin
    facilities, evs, links = list(data["facilities"]), list(data["evs"]), list(data.get("links", []))
    for k in range(1, scale):
        for f in data["facilities"]:
            twin = _strip_modbus(copy.deepcopy(f))
            twin["id"] = f"{f['id']}-x{k}"
            origin[twin["id"]] = f["id"]
            facilities.append(twin)
        for e in data["evs"]:
            evs.append({**copy.deepcopy(e), "id": f"{e['id']}-x{k}", "home_facility": f"{e['home_facility']}-x{k}"})
        for link in data.get("links", []):
            links.append(
                {
                    **link,
                    "id": f"{link['id']}-x{k}",
                    "from_facility": f"{link['from_facility']}-x{k}",
                    "to_facility": f"{link['to_facility']}-x{k}",
                }
            )
    data.update(facilities=facilities, evs=evs, links=links)
    if data.get("plant"):
        data["plant"]["facility_id"] = None
    return parse_scenario(data), origin


def scaled_inputs(scale: int, shift: int = 0, load_factor: float = 1.0, overrides: Any = None) -> Any:
    """PlanInputs of the scaled scenario for 96 slots from DAY 00:00 + `shift` slots (forecasts of originals)."""
    from forecasts.load import forecast_facility_load
    from forecasts.pv import forecast_facility_pv
    from optimizer.dayahead.from_scenario import build_inputs
    from scenarios.datasets import jepx_prices
    from scenarios.timegrid import TZ

    scenario, origin = scaled_scenario(scale)
    full = pd.date_range(pd.Timestamp(DAY).tz_localize(TZ), periods=SLOTS + 1, freq="30min", name="slot_start")
    index = full[shift : shift + SLOTS]
    base = {f.id: f for f in scenario.facilities if f.id == origin[f.id]}
    pv_o = {fid: forecast_facility_pv(f, full) for fid, f in base.items() if f.pv_arrays}
    load_o = {fid: forecast_facility_load(f, full) * load_factor for fid, f in base.items() if f.load is not None}
    pv = {f.id: pv_o[origin[f.id]].reindex(index) for f in scenario.supplied if origin[f.id] in pv_o}
    load = {f.id: load_o[origin[f.id]].reindex(index) for f in scenario.supplied if origin[f.id] in load_o}
    price = jepx_prices(index[0], index[-1] + pd.Timedelta(minutes=30))
    return build_inputs(scenario, index, pv, load, price, overrides=overrides)


def _next_overrides(inputs: Any, result: Any) -> Any:
    """Measured SoC after slot 0 of the first plan (the state a re-plan half an hour later starts from)."""
    from optimizer.dayahead.from_scenario import Overrides

    d = result.dispatch
    bat = {b.key: float(d.bat_soc_kwh[i, 0]) / b.capacity_kwh for i, b in enumerate(inputs.batteries)}
    ev = {e.id: float(d.ev_soc_kwh[i, 0]) / e.capacity_kwh for i, e in enumerate(inputs.evs)}
    return Overrides(battery_soc=bat, ev_soc=ev)


def pyomo_worker(scale: int, outdir: Path, rebuild: bool) -> dict[str, Any]:
    """One-shot build + solve, persistent re-plan and (optionally) rebuild re-plan, through Pyomo."""
    import pyomo.environ as pyo

    from optimizer.dayahead.decisions import dispatch_from_model
    from optimizer.dayahead.model import build_model, update_params
    from optimizer.dayahead.result import SolveOptions, make_result

    options = SolveOptions(time_limit_s=600.0)
    inputs = scaled_inputs(scale)
    changed_preview = scaled_inputs(scale, shift=1, load_factor=1.03)  # forecasts for the re-plan, built before timing
    rss_imports = rss_mb()
    tick = time.perf_counter()
    m = build_model(inputs)
    build_s = time.perf_counter() - tick
    solver = new_solver()
    run = run_highs(m, options, solver)
    first = make_result(inputs, dispatch_from_model(m, inputs, run.values), "optimal", run.termination)
    solver._solver_model.writeModel(str(outdir / "first.mps"))
    changed = scaled_inputs(scale, shift=1, load_factor=1.03, overrides=_next_overrides(inputs, first))
    del changed_preview
    tick = time.perf_counter()
    update_params(m, changed)
    update_s = time.perf_counter() - tick
    again = run_highs(m, options, solver)
    solver._solver_model.writeModel(str(outdir / "replan.mps"))
    out: dict[str, Any] = {
        "cols": sum(1 for _ in m.component_data_objects(pyo.Var)),
        "rows": sum(1 for _ in m.component_data_objects(pyo.Constraint)),
        "binaries": sum(1 for v in m.component_data_objects(pyo.Var) if v.is_binary()),
        "build_s": build_s,
        "handover_s": run.handover_s,
        "highs_s": run.highs_s,
        "objective": run.objective,
        "gap": run.gap,
        "replan_update_s": update_s,
        "replan_push_s": again.handover_s,
        "replan_highs_s": again.highs_s,
        "replan_objective": again.objective,
        "rss_imports_mb": rss_imports,
    }
    if rebuild:
        tick = time.perf_counter()
        m2 = build_model(changed)
        rebuild_s = time.perf_counter() - tick
        fresh = run_highs(m2, options)
        out.update(
            rebuild_build_s=rebuild_s,
            rebuild_handover_s=fresh.handover_s,
            rebuild_highs_s=fresh.highs_s,
            rebuild_objective=fresh.objective,
        )
    out["peak_rss_mb"] = rss_mb()
    return out


def highspy_worker(outdir: Path) -> dict[str, Any]:
    """The floor: the same models passed to highspy as matrices (HighsLp), solved, then re-planned in place."""
    import highspy

    def read(name: str) -> Any:
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(outdir / name))
        return h.getLp()

    def options(h: Any) -> None:
        for key, value in (
            ("output_flag", False),
            ("time_limit", 600.0),
            ("mip_rel_gap", 1e-4),
            ("mip_abs_gap", 100.0),
            ("threads", 1),
            ("presolve", "on"),
        ):
            h.setOptionValue(key, value)

    first, replan = read("first.mps"), read("replan.mps")
    integrality = np.array([int(v) for v in first.integrality_], dtype=np.uint8) if first.integrality_ else None
    rss_imports = rss_mb()
    h = highspy.Highs()
    options(h)
    tick = time.perf_counter()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = first.num_col_, first.num_row_
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = first.col_cost_, first.col_lower_, first.col_upper_
    lp.row_lower_, lp.row_upper_, lp.a_matrix_ = first.row_lower_, first.row_upper_, first.a_matrix_
    lp.offset_ = first.offset_
    h.passModel(lp)
    if integrality is not None and integrality.any():
        idx = np.flatnonzero(integrality).astype(np.int32)
        h.changeColsIntegrality(len(idx), idx, integrality[idx])
    handover = time.perf_counter() - tick
    tick = time.perf_counter()
    h.run()
    highs_s = time.perf_counter() - tick
    tick = time.perf_counter()
    np.asarray(h.getSolution().col_value)  # reading the plan back is part of the hand-over, as for Pyomo
    handover += time.perf_counter() - tick
    objective = h.getInfo().objective_function_value
    n, rows = replan.num_col_, replan.num_row_
    cols, rws = np.arange(n, dtype=np.int32), np.arange(rows, dtype=np.int32)
    tick = time.perf_counter()
    h.changeColsCost(n, cols, np.asarray(replan.col_cost_))
    h.changeColsBounds(n, cols, np.asarray(replan.col_lower_), np.asarray(replan.col_upper_))
    h.changeRowsBounds(rows, rws, np.asarray(replan.row_lower_), np.asarray(replan.row_upper_))  # type: ignore[attr-defined]
    h.changeObjectiveOffset(replan.offset_)
    push = time.perf_counter() - tick
    tick = time.perf_counter()
    h.run()
    replan_highs = time.perf_counter() - tick
    tick = time.perf_counter()
    np.asarray(h.getSolution().col_value)
    push += time.perf_counter() - tick
    return {
        "handover_s": handover,
        "highs_s": highs_s,
        "objective": objective,
        "replan_push_s": push,
        "replan_highs_s": replan_highs,
        "replan_objective": h.getInfo().objective_function_value,
        "rss_imports_mb": rss_imports,
        "peak_rss_mb": rss_mb(),
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-field median over repeated worker runs (timings vary with the load of the shared machine)."""
    return {k: float(np.median([r[k] for r in runs])) if isinstance(runs[0][k], float) else runs[0][k] for k in runs[0]}


def run_worker(*args: str) -> dict[str, Any]:
    """Run this script as a worker subprocess and parse its JSON answer."""
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def week_comparison(start: dt.date) -> dict[str, Any]:
    """Optimised vs baseline on one 7-day (336-slot) horizon of real JEPX prices, Yamaguchi, clear-sky PV."""
    from optimizer.dayahead.result import SolveOptions
    from optimizer.dayahead.solve import baseline, solve
    from runtime.planning import day_index, plan_inputs
    from scenarios.loader import load_builtin

    inputs = plan_inputs(load_builtin("yamaguchi"), day_index(start, 7 * 48))
    tick = time.perf_counter()
    result = solve(inputs, SolveOptions(time_limit_s=300.0))
    seconds = time.perf_counter() - tick
    rules = baseline(inputs)
    terms = ("energy", "wheeling", "degradation", "peak", "curtailment")
    return {
        "start": start.isoformat(),
        "optimised": result.objective_jpy,
        "baseline": rules.objective_jpy,
        "opt_operating": sum(result.breakdown[t] for t in terms),
        "base_operating": sum(rules.breakdown[t] for t in terms),
        "opt_penalties": sum(v for k, v in result.breakdown.items() if k.startswith("penalty")),
        "base_penalties": sum(v for k, v in rules.breakdown.items() if k.startswith("penalty")),
        "opt_terminal": result.breakdown["terminal_value"],
        "base_terminal": rules.breakdown["terminal_value"],
        "status": result.status,
        "seconds": seconds,
        "price_mean": float(inputs.price_jpy_per_kwh.mean()),
    }


def _head(inputs: Any, n: int) -> Any:
    """The first n slots of a PlanInputs (what a day-ahead plan executes before the next one replaces it)."""
    import dataclasses

    cut = dataclasses.replace
    plant = inputs.plant and cut(
        inputs.plant,
        forecast_kw=inputs.plant.forecast_kw[:n],
        min_kw=inputs.plant.min_kw[:n],
        available_kw=inputs.plant.available_kw[:n],
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


def daily_week(start: dt.date) -> dict[str, Any]:
    """Seven day-ahead plans (96-slot horizon each, the first 48 slots executed, SoC carried to the next day),
    optimised vs the rule-based baseline (each carrying its own SoC). Costs of executed slots only; the
    value of stored energy counts once, at the end of the week."""
    from optimizer.dayahead.baseline import baseline_dispatch
    from optimizer.dayahead.costs import cost_breakdown
    from optimizer.dayahead.decisions import Dispatch
    from optimizer.dayahead.from_scenario import Overrides
    from optimizer.dayahead.result import SolveOptions
    from optimizer.dayahead.solve import solve
    from runtime.planning import day_index, plan_inputs
    from scenarios.loader import load_builtin

    scenario = load_builtin("yamaguchi")
    state: dict[str, Overrides] = {"opt": Overrides(), "base": Overrides()}
    totals = {"opt": 0.0, "base": 0.0}
    seconds, statuses = 0.0, set()
    for day in range(7):
        for who in ("opt", "base"):
            inputs = plan_inputs(scenario, day_index(start + dt.timedelta(days=day), 96), overrides=state[who])
            if who == "opt":
                tick = time.perf_counter()
                result = solve(inputs, SolveOptions(time_limit_s=120.0))
                seconds += time.perf_counter() - tick
                statuses.add(result.status)
                dispatch = result.dispatch
            else:
                dispatch = baseline_dispatch(inputs)
            done = Dispatch(**{k: v[..., :48] for k, v in dispatch.__dict__.items()})
            costs = cost_breakdown(_head(inputs, 48), done)
            totals[who] += sum(v for k, v in costs.items() if k != "terminal_value" or day == 6)
            state[who] = Overrides(
                battery_soc={
                    b.key: min(1.0, max(0.0, done.bat_soc_kwh[i, -1] / b.capacity_kwh))
                    for i, b in enumerate(inputs.batteries)
                },
                ev_soc={
                    e.id: min(1.0, max(0.0, done.ev_soc_kwh[i, -1] / e.capacity_kwh)) for i, e in enumerate(inputs.evs)
                },
            )
    return {
        "start": start.isoformat(),
        "optimised": totals["opt"],
        "baseline": totals["base"],
        "status": "/".join(sorted(statuses)),
        "seconds": seconds,
    }


def _size_rows(scale: int, p: dict[str, Any], f: dict[str, Any], repeats: int) -> list[str]:
    total = p["build_s"] + p["handover_s"] + p["highs_s"]
    floor = f["handover_s"] + f["highs_s"]
    replan = p["replan_update_s"] + p["replan_push_s"] + p["replan_highs_s"]
    freplan = f["replan_push_s"] + f["replan_highs_s"]
    size = f"{scale}x ({p['cols']:,} cols / {p['rows']:,} rows / {p['binaries']} bin), median of {repeats}"
    rebuild = "-"
    if "rebuild_build_s" in p:
        rb = p["rebuild_build_s"] + p["rebuild_handover_s"] + p["rebuild_highs_s"]
        rebuild = f"{rb:.2f} ({rb / replan:.1f}x)"
    return [
        f"| {size} | Pyomo+HiGHS | {p['build_s']:.2f} | {p['handover_s']:.2f} | {p['highs_s']:.2f} | {total:.2f} | "
        f"{p['peak_rss_mb']:.0f} ({p['peak_rss_mb'] - p['rss_imports_mb']:.0f}) | "
        f"{p['replan_update_s']:.3f} + {p['replan_push_s']:.3f} + {p['replan_highs_s']:.2f} = {replan:.2f} | "
        f"{rebuild} | {p['objective']:,.0f} / {p['replan_objective']:,.0f} |",
        f"|  | highspy direct (floor) | - | {f['handover_s']:.3f} | {f['highs_s']:.2f} | {floor:.2f} | "
        f"{f['peak_rss_mb']:.0f} ({f['peak_rss_mb'] - f['rss_imports_mb']:.0f}) | "
        f"0 + {f['replan_push_s']:.3f} + {f['replan_highs_s']:.2f} = {freplan:.2f} | - | "
        f"{f['objective']:,.0f} / {f['replan_objective']:,.0f} |",
        f"|  | **ratio Pyomo / floor** | | | | **{total / floor:.1f}x** | "
        f"{p['peak_rss_mb'] / f['peak_rss_mb']:.1f}x | **{replan / freplan:.2f}x** (without HiGHS: "
        f"{(p['replan_update_s'] + p['replan_push_s']) / f['replan_push_s']:.0f}x) | | |",
    ]


def render(
    sizes: list[tuple[int, dict[str, Any], dict[str, Any], int]],
    weeks: list[dict[str, Any]],
    load: tuple[float, float],
    daily: list[dict[str, Any]],
) -> str:
    """The markdown report."""
    lines = [
        "# Optimiser benchmark (`python benchmarks/bench_optimizer.py`)",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. The box is shared: 1-min "
        f"load average {load[0]:.1f} at the start and {load[1]:.1f} at the end, so seconds are inflated and noisy.",
        f"Horizon {SLOTS} slots from {DAY} 00:00 JST; HiGHS: mip_rel_gap 1e-4 or mip_abs_gap 100 JPY, threads 1.",
        "Each front-end runs in its own subprocess; peak RSS MB (growth after imports and data). Seconds are wall.",
        "Re-plan = horizon moved by one slot, loads x1.03, new SoC: Param update + push to HiGHS + HiGHS "
        "(Pyomo persistent `highs`), vs changeColsCost/Bounds + changeRowsBounds + run on the same Highs "
        "object (floor). 'rebuild' = a fresh Pyomo build + hand-over + solve of the same changed data.",
        "",
        "| size | front-end | build s | hand-over s | HiGHS s | total s | peak RSS MB (Δ) | re-plan s | "
        "rebuild re-plan s | objective JPY (first / re-plan) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, p, f, repeats in sizes:
        lines += _size_rows(scale, p, f, repeats)
    if weeks:
        lines += [
            "",
            "## Optimised vs rule-based baseline, a week of real JEPX prices as one 336-slot plan (perfect foresight)",
            "",
            "Clear-sky PV and shape-based load forecasts; costs from the shared cost function (JPY, negative ="
            " net revenue). Operating = energy + wheeling + degradation + peak + curtailment.",
            "",
            "| week from | mean price JPY/kWh | baseline JPY | optimised JPY | saving JPY | saving % of "
            "abs(baseline) | operating saving JPY | penalties base/opt | terminal value base/opt | status |"
            " solve s |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for w in weeks:
            saving = w["baseline"] - w["optimised"]
            lines.append(
                f"| {w['start']} | {w['price_mean']:.2f} | {w['baseline']:,.0f} | {w['optimised']:,.0f} | "
                f"{saving:,.0f} | {100 * saving / abs(w['baseline']):.2f} % | "
                f"{w['base_operating'] - w['opt_operating']:,.0f} | {w['base_penalties']:,.0f} / "
                f"{w['opt_penalties']:,.0f} | {w['base_terminal']:,.0f} / {w['opt_terminal']:,.0f} | "
                f"{w['status']} | {w['seconds']:.1f} |"
            )
    if daily:
        lines += [
            "",
            "## The same weeks operated day by day (realistic day-ahead)",
            "",
            "Each day at 00:00 a 96-slot plan (today + tomorrow) is made from that day's forecasts; its first "
            "48 slots are executed and the SoC carried over. The baseline runs its rules on the same days. "
            "Costs of executed slots (shared cost function, penalties included; stored energy valued once, "
            "at the end of the week).",
            "",
            "| week from | baseline JPY | optimised JPY | saving JPY | saving % of abs(baseline) | status | "
            "HiGHS+Pyomo s (7 plans) |",
            "|---|---|---|---|---|---|---|",
        ]
        for w in daily:
            saving = w["baseline"] - w["optimised"]
            lines.append(
                f"| {w['start']} | {w['baseline']:,.0f} | {w['optimised']:,.0f} | {saving:,.0f} | "
                f"{100 * saving / abs(w['baseline']):.2f} % | {w['status']} | {w['seconds']:.1f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,5,20")
    parser.add_argument("--no-week", action="store_true")
    parser.add_argument("--worker", choices=["pyomo", "highspy"])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size up to 5x (median reported)")
    args = parser.parse_args()
    if args.worker == "pyomo":
        print(json.dumps(pyomo_worker(args.scale, args.dir, args.rebuild)))
        return
    if args.worker == "highspy":
        print(json.dumps(highspy_worker(args.dir)))
        return
    load_start = os.getloadavg()[0]
    sizes = []
    for scale in [int(s) for s in args.scales.split(",")]:
        repeats = args.repeat if scale <= 5 else 1
        runs_p, runs_f = [], []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                flags = ["--rebuild"] if scale <= 5 else []
                runs_p.append(run_worker("--worker", "pyomo", "--scale", str(scale), "--dir", tmp, *flags))
                runs_f.append(run_worker("--worker", "highspy", "--dir", tmp))
        p, f = median_run(runs_p), median_run(runs_f)
        sizes.append((scale, p, f, repeats))
        print(f"scale {scale}: pyomo {json.dumps(runs_p)}\n         highspy {json.dumps(runs_f)}", flush=True)
    weeks = [] if args.no_week else [week_comparison(dt.date(2024, 8, 1)), week_comparison(dt.date(2024, 1, 15))]
    daily = [] if args.no_week else [daily_week(dt.date(2024, 8, 1)), daily_week(dt.date(2024, 1, 15))]
    text = render(sizes, weeks, (load_start, os.getloadavg()[0]), daily)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
