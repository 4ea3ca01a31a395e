"""`ems plan`: the day-ahead city schedule (optimised vs rule-based baseline), written as CSV files and a chart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

if TYPE_CHECKING:
    from runtime.facades.dayahead_planning import PlanRun


def _money_table(run: PlanRun) -> Table:
    """Money by term apart from penalties and the stored-energy value, optimised vs baseline (JPY)."""
    from runtime.facades.dayahead_planning import split_costs

    mine, theirs = split_costs(run.result.breakdown), split_costs(run.baseline.breakdown)
    inputs = run.result.inputs
    table = Table(
        title=f"Plan: {inputs.index[0]:%Y-%m-%d %H:%M} JST, {inputs.n_slots} slots, {len(inputs.facilities)} "
        "facilities: money (JPY, + paid / - earned) apart from penalties"
    )
    for column in ("JPY", "optimised", "baseline", "baseline - optimised"):
        table.add_column(column, justify="left" if column == "JPY" else "right")

    def row(name: str, opt: float, base: float, style: str | None = None) -> None:
        table.add_row(name, f"{opt:,.0f}", f"{base:,.0f}", f"{base - opt:,.0f}", style=style)

    for term in dict.fromkeys([*mine.money_jpy, *theirs.money_jpy]):
        row(f"  {term}", mine.money_jpy.get(term, 0.0), theirs.money_jpy.get(term, 0.0))
    row("money", mine.money_total_jpy, theirs.money_total_jpy, "bold")
    for term in dict.fromkeys([*mine.penalties_jpy, *theirs.penalties_jpy]):
        row(f"  {term}", mine.penalties_jpy.get(term, 0.0), theirs.penalties_jpy.get(term, 0.0))
    row("penalties (not money)", mine.penalties_total_jpy, theirs.penalties_total_jpy, "bold")
    row("stored energy value (not money)", mine.stored_energy_value_jpy, theirs.stored_energy_value_jpy)
    row("objective (money + penalties - stored value)", run.result.objective_jpy, run.baseline.objective_jpy)
    return table


def _summary_table(run: PlanRun) -> Table:
    s = run.summary()
    table = Table(title="Plan figures")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("money saved vs baseline (JPY)", f"{s.money_saving_jpy:,.0f}"),
        ("objective saving (JPY, incl. penalties)", f"{s.saving_jpy:,.0f} ({s.saving_pct:.2f} %)"),
        ("JEPX purchase (MWh)", f"{s.purchase_mwh:.3f}"),
        ("JEPX sale (MWh)", f"{s.sale_mwh:.3f}"),
        ("interchange (MWh)", f"{s.interchange_mwh:.3f}"),
        ("peak of the facilities' summed import (kW)", f"{s.peak_facilities_import_kw:,.1f}"),
        ("peak JEPX purchase (kW)", f"{s.peak_jepx_purchase_kw:,.1f}"),
        ("missed targets", str(s.missed_targets)),
        ("status", s.status),
        ("uncertainty reserve (kWh)", f"{s.uncertainty_reserve_kwh:,.1f}" if run.uncertainty else "off"),
        ("MIP gap", "-" if run.result.mip_gap is None else f"{run.result.mip_gap:.2e}"),
        (
            "build / hand-over / HiGHS (s)",
            f"{run.result.build_s:.2f} / {run.result.handover_s:.2f} / {run.result.highs_s:.2f}",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _missed_table(run: PlanRun) -> Table | None:
    missed = [m for m in run.result.missed if m.kind != "shelter_no_storage"]
    if not missed:
        return None
    table = Table(title="Missed soft targets")
    for column in ("kind", "subject", "first slot", "shortfall", "penalty JPY", "why"):
        table.add_column(column)
    for m in missed:
        slot = "-" if m.slot is None else f"{m.slot:%m-%d %H:%M}"
        table.add_row(m.kind, m.subject, slot, f"{m.shortfall:.2f} {m.unit}", f"{m.penalty_jpy:,.0f}", m.reason)
    return table


@app.command("plan")
def plan(
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    date: str = typer.Option(..., "--date", "-d", help="First day of the plan (YYYY-MM-DD, JST)."),
    horizon: int = typer.Option(96, "--horizon", min=1, max=480, help="Slots of 30 min (96 = two days)."),
    out: Path = typer.Option(Path("plan-out"), "--out", "-o", help="Directory for the CSV files and the chart."),
    time_limit: float = typer.Option(30.0, "--time-limit", min=0.0, help="HiGHS time limit in seconds."),
    gap: float = typer.Option(1e-4, "--gap", min=0.0, max=1.0, help="Relative MIP gap (fraction)."),
    abs_gap: float = typer.Option(100.0, "--abs-gap", min=0.0, help="Absolute MIP gap in JPY."),
    relax: bool = typer.Option(False, "--relax", help="Solve the LP relaxation (no EV minimum-power binaries)."),
    uncertainty_reserve: bool = typer.Option(
        False,
        "--uncertainty-reserve",
        help="Raise each shelter's reserve by the P90-P50 spread of its critical load over its reserve hours "
        "(load error quantiles by lead time learned from the recorded load year).",
    ),
    plant_outage: list[str] = typer.Option(
        [],
        "--plant-outage",
        help="A forced outage of the supply plant, START/END[@KW] (JST date-times, KW it can still give, default "
        "0), e.g. 2024-08-01T13:00/2024-08-01T18:00; repeat the option. It drops at once and ramps back after.",
    ),
) -> None:
    """Optimise the city schedule for a day (and the next), compare with the rule-based baseline, write files."""
    s = open_scenario(scenario)
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        err_console.print(f"[red]--date: '{date}' is not a date; use YYYY-MM-DD, e.g. 2024-08-01[/red]")
        raise typer.Exit(2) from None
    from runtime.facades import (
        dayahead_planning as planning,  # on first use: pyomo, pvlib and matplotlib cost ~2 s other commands skip
    )

    try:
        outages = tuple(planning.parse_plant_outage(text) for text in plant_outage)
    except ValueError as exc:
        err_console.print(str(exc), style="red", markup=False)
        raise typer.Exit(2) from None
    options = planning.SolveOptions(time_limit_s=time_limit, mip_rel_gap=gap, mip_abs_gap_jpy=abs_gap, relax=relax)
    try:
        with console.status("planning ...") as status:
            run = planning.run_plan(
                s,
                day,
                horizon,
                options,
                progress=lambda msg: status.update(f"[bold]{msg} ..."),
                uncertainty=uncertainty_reserve,
                plant_outages=outages,
            )
            status.update("[bold]writing schedule, procurement plan and chart ...")
            paths = planning.write_outputs(run, out)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]", markup=False)
        raise typer.Exit(2) from None
    console.print(_money_table(run))
    console.print(_summary_table(run))
    if run.result.fallback_used:
        console.print(f"[yellow]fallback used: {run.result.fallback_used}: {run.result.fallback_reason}[/yellow]")
    missed = _missed_table(run)
    if missed is not None:
        console.print(missed)
    no_storage = [m.subject for m in run.result.missed if m.kind == "shelter_no_storage"]
    if no_storage:
        console.print(f"{len(no_storage)} shelter(s) have a reserve duty but no battery: {', '.join(no_storage)}")
    if run.uncertainty and run.uncertainty.extra_kwh:
        extra = ", ".join(f"{f} +{kwh:.1f}" for f, kwh in run.uncertainty.extra_kwh.items())
        console.print(f"uncertainty reserve per shelter (kWh): {extra}")
    for name, path in paths.items():
        console.print(f"wrote {name}: {path}")
