"""`ems invest`: which shelters should get how much PV, battery and V2H, and which cars go where, so every
shelter survives 72 hours at least cost (or: the best resilience for a budget).

The planning stack (pandas, pvlib, Pyomo) is imported when the command runs, so that `ems` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

if TYPE_CHECKING:
    from runtime.facades.invest_planning import InvestRun
    from scenarios.invest_costs import InvestCosts
    from scenarios.model import Scenario

CURVE_TARGETS = (0.5, 0.7, 0.9, 0.95, 0.99)


def _table(run: InvestRun) -> Table:
    from runtime.facades.invest_files import shelter_table

    frame = shelter_table(run)
    goal = f"budget {run.budget_jpy:,.0f} JPY" if run.budget_jpy is not None else f"target {run.plan.target:.2f}"
    table = Table(title=f"{run.scenario}: P({run.plan.hours:g} h), {goal}")
    for name in ("shelter", "+PV kWp", "+bat kWh", "+bat kW", "+V2H", "cars", "P before", "P after", "P alone"):
        table.add_column(name, justify="left" if name in ("shelter", "cars") else "right")
    for site, row in frame.iterrows():
        table.add_row(
            str(site),
            f"{row.pv_kwp:.1f}",
            f"{row.battery_kwh:.1f}",
            f"{row.battery_kw:.1f}",
            str(int(row.v2h_chargers)),
            str(row.cars),
            f"{row.p72_before:.3f}",
            f"{row.p72_after_fleet:.3f}",
            f"{row.p72_after_alone:.3f}",
        )
    return table


def _money(run: InvestRun) -> None:
    m = run.money
    payback = "none (no saving)" if m.payback_years is None else f"{m.payback_years:.1f} years"
    console.print(
        f"capex after subsidy {m.capex_jpy:,.0f} JPY; annual cost {m.annual_cost_jpy:,.0f} JPY/yr; saving "
        f"{m.saving_jpy_per_year:,.0f} JPY/yr; payback {payback}; NPV (20 yr) {m.npv_jpy:,.0f} JPY; "
        f"CO2 avoided {m.co2_t_per_year:,.1f} t/yr",
        highlight=False,
    )
    d = run.plan.design
    console.print(
        f"cars bought: {', '.join(d.cars_bought) or 'none'}; verified over the year: {run.plan.verified}; "
        f"rounds {len(run.plan.iterations)}",
        highlight=False,
    )


def _plan(
    city: Scenario, config: InvestCosts, target: float, options: dict[str, Any], curve: bool
) -> tuple[InvestRun, list[InvestRun] | None]:
    """The run (and the curve's runs) under a progress bar; `options` are run_invest's keywords."""
    from runtime.facades import invest_planning

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("series for the year", total=None)

        def say(message: str) -> None:
            bar.update(task, description=message)

        year = invest_planning.year_series(city, options.pop("weather"), outage_load=options.pop("outage_load"))
        deadline = options.pop("deadline_s")
        levels = options.pop("levels")
        if options["budget_jpy"] is not None:
            from runtime.facades.invest_budget import run_budget

            run, _ = run_budget(
                city,
                options["budget_jpy"],
                config,
                target,
                year=year,
                deadline_s=deadline,
                levels=levels,
                time_limit_s=options["time_limit_s"],
                max_rounds=options["max_rounds"],
                with_fleet=options["with_fleet"],
                on_progress=say,
                batch=options["batch"],
                city_time_limit_s=options["time_limit_s"],
                city_max_rounds=options["max_rounds"],
            )
        else:
            run = invest_planning.run_invest(city, config, target, year=year, on_progress=say, **options)
        if not curve:
            return run, None
        runs = invest_planning.resilience_curve(
            city,
            CURVE_TARGETS,
            config,
            year=year,
            on_progress=say,
            time_limit_s=options["time_limit_s"],
            batch=options["batch"],
        )
        return run, runs


def _levels(text: str) -> tuple[float, ...]:
    """--levels as floats in (0, 1]; exit 2 naming the option otherwise."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        err_console.print(f"[red]--levels: '{text}' is not a comma-separated list of numbers, e.g. 0.5,0.9[/red]")
        raise typer.Exit(2) from exc
    if not values or any(not 0 < v <= 1 for v in values):
        err_console.print(f"[red]--levels: '{text}' needs targets in (0, 1], e.g. 0.5,0.9[/red]")
        raise typer.Exit(2)
    return values


@app.command("invest")
def invest(
    scenario: str = typer.Option("yamaguchi", help="Scenario name or YAML path."),
    target: float = typer.Option(0.95, min=0.01, max=1.0, help="P(72 h) every shelter must reach (0..1)."),
    budget: float = typer.Option(
        None,
        min=0.0,
        help="Budget mode: capex after subsidy in JPY; the most shelters at the target (then the highest P) for it.",
    ),
    costs: Path = typer.Option(None, help="Investment configuration YAML (default: the shipped one)."),
    weather: str = typer.Option(
        "nearest-jma",
        help="'nearest-jma' (the nearest shipped JMA station's record, Tokyo 2024 where it has none), "
        "'tokyo-2024', 'clear-sky' or a weather file.",
    ),
    outage_load: str = typer.Option(
        "tier1", help="Load every outage must carry: 'tier1' (the scenario's service tier 1) or 'critical'."
    ),
    deadline: float = typer.Option(
        600.0, min=0.0, help="Budget mode: seconds for building the one-shelter plans it chooses from."
    ),
    levels: str = typer.Option(
        "0.5,0.7,0.8,0.9,0.95,0.99", help="Budget mode: the targets each shelter is planned for (comma-separated)."
    ),
    no_fleet: bool = typer.Option(False, "--no-fleet", help="Plan without any car (batteries and PV only)."),
    curve: bool = typer.Option(False, "--curve", help="Also the cost vs resilience curve over 0.5-0.99."),
    time_limit: float = typer.Option(120.0, help="HiGHS time limit per sizing solve, seconds."),
    max_rounds: int = typer.Option(10, min=1, max=30, help="Most size-and-verify rounds."),
    out: Path = typer.Option(None, help="Output folder (default: EMS_INVEST_DIR, var/invest)."),
    workers: int = typer.Option(
        None, min=0, max=256, help="Dask workers for the verifications (default EMS_DASK_WORKERS; 0 = in process)."
    ),
) -> None:
    """Size PV, batteries, V2H chargers and fleet cars per shelter; print sizes, cost and P(72 h) before -> after."""
    from runtime.batch import BatchSettings
    from runtime.facades import invest_files
    from runtime.settings import Settings
    from scenarios.invest_costs import load_invest_costs

    city = open_scenario(scenario)
    try:
        config = load_invest_costs(costs)
    except (OSError, ValueError) as exc:
        err_console.print(f"[red]--costs: {exc}[/red]")
        raise typer.Exit(2) from exc
    settings = Settings()
    options: dict[str, Any] = {
        "levels": _levels(levels),
        "weather": weather,
        "outage_load": outage_load,
        "deadline_s": deadline,
        "budget_jpy": budget,
        "with_fleet": not no_fleet,
        "max_rounds": max_rounds,
        "time_limit_s": time_limit,
        "batch": BatchSettings.from_settings(settings, workers=workers),
    }
    try:
        run, runs = _plan(city, config, target, options, curve)
    except (OSError, ValueError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if not run.plan.design.ok:
        err_console.print(
            f"[red]no design: the sizing MILP ended '{run.plan.design.status}' without a solution; raise "
            "--time-limit or lower the target[/red]"
        )
        raise typer.Exit(1)
    console.print(_table(run))
    _money(run)
    if run.budget is not None:
        b = run.budget
        console.print(
            f"budget {b.budget_jpy:,.0f} JPY: {b.met} of {len(b.chosen)} shelters at P >= {b.target:.2f} for "
            f"{b.capex_jpy:,.0f} JPY ({b.rungs_built} one-shelter plans, ladder complete: {b.complete})",
            highlight=False,
        )
        console.print(f"answered by the {b.path} path: {b.reason}", highlight=False)
    console.print(f"series: {run.weather}", highlight=False)
    paths = invest_files.write_run(run, out or settings.invest_dir, runs)
    console.print("wrote " + ", ".join(str(p) for p in paths.values()), highlight=False)
