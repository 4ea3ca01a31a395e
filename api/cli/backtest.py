"""`ems backtest`: the operator's whole day replayed for every delivery day of a period, three strategies, on Dask.

Module level imports only typer, rich and the standard library (``ems --help`` stays fast); the backtest, pandas,
Pyomo and Dask are imported inside the command.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

if TYPE_CHECKING:
    from runtime.backtest.run import BacktestResult


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]{option}: '{value}' is not a date; use YYYY-MM-DD, e.g. 2023-04-01[/red]")
        raise typer.Exit(2) from None


def _bound_table(result: BacktestResult) -> Table:
    """Money per month of the three strategies (JPY, + paid), the saving and the share of the bound captured."""
    table = Table(
        title=f"Backtest {result.scenario} {result.start}..{result.end}: money (JPY, + paid / - earned) apart from "
        "penalties; stand-in market steps"
    )
    for column in ("month", "baseline", "engine (forecast)", "perfect foresight", "saving", "bound", "share"):
        table.add_column(column, justify="left" if column == "month" else "right")
    for row in result.bound.to_dict("records"):
        share = row["share_of_bound"]
        table.add_row(
            str(row["month"]),
            *(f"{row[c]:,.0f}" for c in ("baseline_money_jpy", "forecast_money_jpy", "perfect_money_jpy")),
            f"{row['saving_jpy']:,.0f}",
            f"{row['bound_saving_jpy']:,.0f}",
            "-" if math.isnan(share) else f"{100 * share:.0f} %",  # NaN: no bound to capture
            style="bold" if row["month"] == "total" else None,
        )
    return table


@app.command("backtest")
def backtest(
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    start: str = typer.Option(..., "--from", help="First delivery day (YYYY-MM-DD, JST)."),
    end: str = typer.Option(..., "--to", help="Last delivery day, inclusive (YYYY-MM-DD, JST)."),
    workers: int | None = typer.Option(
        None,
        "--workers",
        min=0,
        help="Local Dask worker processes (default EMS_DASK_WORKERS or min(2, cores); "
        "0 = in-process). EMS_DASK_SCHEDULER sends the tasks (months, or a capacity season) to an existing "
        "cluster instead.",
    ),
    out: Path = typer.Option(Path("backtest-out"), "--out", "-o", help="Directory for the CSV files and the plot."),
    replan_hours: int = typer.Option(3, "--replan-hours", min=1, max=24, help="Hours between intraday re-plans."),
    seed: int = typer.Option(2023, "--seed", help="Seed of the simulated forecast errors."),
    intraday_price: str = typer.Option(
        "average",
        "--intraday-price",
        help="'average': trade intraday at the slot's average; 'adverse': buy at "
        "its high and sell at its low (a pessimistic bound).",
    ),
) -> None:
    """Replay bid, plan, intraday re-plans and settlement day by day: baseline vs engine vs perfect foresight."""
    s = open_scenario(scenario)
    first, last = _date(start, "--from"), _date(end, "--to")
    from runtime.backtest.config import BacktestConfig
    from runtime.backtest.run import run_backtest, write_outputs
    from runtime.batch import BatchSettings, quiet_dask
    from runtime.settings import Settings

    if logging.getLogger().getEffectiveLevel() > logging.INFO:  # `ems -v` keeps Dask's INFO lines
        quiet_dask()

    try:
        config = BacktestConfig(replan_every_h=replan_hours, seed=seed, intraday_price=intraday_price)
        batch = BatchSettings.from_settings(Settings(), workers=workers)
        columns = (TextColumn("[bold]tasks"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("backtest", total=None)
            result = run_backtest(
                s,
                first,
                last,
                config=config,
                batch=batch,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        paths = write_outputs(result, out)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]", markup=False)
        raise typer.Exit(2) from None
    console.print(_bound_table(result))
    console.print(
        f"{result.tasks} tasks (months or seasons) in {result.wall_s:.1f} s; files: "
        + ", ".join(str(p) for p in paths.values())
    )
