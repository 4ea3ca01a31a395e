"""`ems forecast`: per-facility PV/load forecasts of a scenario day, and `ems forecast backtest`.

The forecasters are reached through ``runtime.facades.forecasting``, imported on first use to keep start-up fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import ModuleType

import typer
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

DEFAULT_OUT = Path("var/forecasts")

forecast_app = typer.Typer(
    help="PV and load forecasts; accuracy backtests on recorded data.", invoke_without_command=True
)
app.add_typer(forecast_app, name="forecast")


def _forecasting() -> ModuleType:
    """runtime.facades.forecasting, imported on first use so that `ems` starts fast."""
    from runtime.facades import forecasting

    return forecasting


def _parse_day(text: str | None) -> dt.date:
    if text is None:
        from zoneinfo import ZoneInfo

        from scenarios.timegrid import TZ

        return (dt.datetime.now(ZoneInfo(TZ)) + dt.timedelta(days=1)).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]--date: '{text}' is not a date; use YYYY-MM-DD, e.g. 2024-08-01[/red]")
        raise typer.Exit(2) from None


@forecast_app.callback()
def forecast(
    ctx: typer.Context,
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    date: str | None = typer.Option(None, "--date", "-d", help="JST day YYYY-MM-DD (default: tomorrow)."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Directory for the series CSV."),
    weather: Path | None = typer.Option(
        None, "--weather", "-w", help="Recorded weather: JMA hourly CSV or Open-Meteo CSV/JSON."
    ),
    station: str | None = typer.Option(None, "--station", help="Station in a multi-station JMA CSV."),
) -> None:
    """Forecast every facility for one day: PV kWh and peak kW per facility, and write the 30-min series."""
    if ctx.invoked_subcommand is not None:
        return
    s = open_scenario(scenario)
    day = _parse_day(date)
    rt = _forecasting()
    frame = None
    if weather is not None:
        try:
            frame = rt.read_weather_file(weather, station)
        except (FileNotFoundError, ValueError) as exc:
            hint = " (use --station)" if "station" in str(exc) else ""
            err_console.print(f"[red]{exc}{hint}[/red]")
            raise typer.Exit(2) from None
    result = rt.forecast_scenario_day(s, day, frame)
    path = rt.write_forecast_csv(result, out, f"forecast_{s.name}_{day.isoformat()}")
    source = f"weather {weather.name}" if weather is not None else "clear sky"
    table = Table(title=f"Forecast {s.name} {day.isoformat()} (JST, 48 slots; PV from {source}, load from shape)")
    for column, justify in (
        ("facility", "left"),
        ("name", "left"),
        ("PV kWp", "right"),
        ("PV kWh", "right"),
        ("PV peak kW", "right"),
        ("load kWh", "right"),
        ("PV input", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in result.summaries:
        flag = " (missing weather)" if f.weather_missing else ""
        table.add_row(
            f.facility_id,
            f.name,
            f"{f.pv_kwp:g}" if f.pv_kwp else "-",
            f"{f.pv_kwh:.1f}",
            f"{f.pv_peak_kw:.1f}",
            f"{f.load_kwh:.0f}",
            (f.pv_input + flag) if f.pv_kwp else "-",
        )
    total_pv = sum(f.pv_kwh for f in result.summaries)
    total_load = sum(f.load_kwh for f in result.summaries)
    peak = float(result.pv_kw.sum(axis=1).max())
    table.add_row(
        "total",
        "",
        f"{sum(f.pv_kwp for f in result.summaries):g}",
        f"{total_pv:.1f}",
        f"{peak:.1f}",
        f"{total_load:.0f}",
        "",
        style="bold",
    )
    console.print(table)
    console.print(f"series written to {path}")


@forecast_app.command("backtest")
def backtest(
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Directory for the skill plot (PNG) and tables (CSV)."),
    only: list[str] | None = typer.Option(None, "--only", help="Run only these backtests (repeatable)."),
) -> None:
    """MAE, RMSE, nMAE and RMSE skill vs persistence and vs smart persistence (load: vs the day-type profile) by
    lead time on the shipped recorded data; plot to PNG."""
    rt = _forecasting()
    names = tuple(only) if only else rt.BACKTESTS
    unknown = [n for n in names if n not in rt.BACKTESTS]
    if unknown:
        err_console.print(f"[red]--only: unknown backtest(s) {unknown}; use {list(rt.BACKTESTS)}[/red]")
        raise typer.Exit(2)
    out.mkdir(parents=True, exist_ok=True)
    tables, plot = rt.run_backtests(names, plot_path=out / "forecast_backtest_skill.png")
    for name, scores in tables.items():
        table = Table(title=f"Backtest {name}")
        extra = {"skill_smart": "skill vs smart persistence", "skill_profile": "skill vs profile"}
        shown = [c for c in extra if c in scores.columns]
        for column in ("lead", "model", "n", "MAE", "RMSE", "nMAE", "skill vs persistence", *(extra[c] for c in shown)):
            table.add_column(column, justify="left" if column in ("lead", "model") else "right")
        for row in scores.itertuples(index=False):
            table.add_row(
                str(row.lead),
                str(row.model),
                str(row.n),
                f"{row.mae:.3f}",
                f"{row.rmse:.3f}",
                f"{row.nmae:.3f}",
                f"{row.skill:+.3f}",
                *(f"{getattr(row, c):+.3f}" for c in shown),
            )
        console.print(table)
        scores.to_csv(out / f"forecast_backtest_{name}.csv", index=False, float_format="%.5f")
    console.print(f"plot written to {plot}; tables to {out}")
