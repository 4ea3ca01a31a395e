"""`ems market`: the operator's market day on the shipped JEPX data (price forecast, bid, clearing, 需要調達計画,
intraday step).

The steps are reached through ``runtime.market``, imported on first use to keep start-up fast.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

DEFAULT_OUT = Path("var/market")

market_app = typer.Typer(help="Market day: JEPX price forecast, day-ahead bid, clearing, 計画値 file, intraday.")
app.add_typer(market_app, name="market")


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        err_console.print(f"[red]--date: '{text}' is not a date; use YYYY-MM-DD, e.g. 2024-07-01[/red]")
        raise typer.Exit(2) from None


@market_app.command("forecast")
def forecast(
    date: str = typer.Option(..., "--date", "-d", help="Delivery day (JST) YYYY-MM-DD, inside FY2023-FY2024."),
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
) -> None:
    """Forecast a delivery day's 48 JEPX prices from those known at the 10:00 bid the day before."""
    from runtime.market.run import price_forecast_frame

    s = open_scenario(scenario)
    delivery = _day(date)
    try:
        frame = price_forecast_frame(s, delivery)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    table = Table(title=f"JEPX {s.market.price_area} price forecast for {delivery} (JPY/kWh; made for 10:00 D-1)")
    for column in ("slot", "start", "p10", "p50", "p90", "real", "naive"):
        table.add_column(column, justify="right")
    for k, (start, row) in enumerate(frame.iterrows(), start=1):
        values = [f"{row[c]:.2f}" for c in ("p10", "p50", "p90", "real", "naive")]
        table.add_row(str(k), f"{start:%H:%M}", *values)
    console.print(table)
    mae = (frame["p50"] - frame["real"]).abs().mean()
    naive = (frame["naive"] - frame["real"]).abs().mean()
    console.print(f"MAE {mae:.2f} JPY/kWh, naive {naive:.2f}, rMAE {mae / naive:.2f}", highlight=False)


@market_app.command("day")
def day(
    date: str = typer.Option(..., "--date", "-d", help="Delivery day (JST) YYYY-MM-DD, inside FY2023-FY2024."),
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    out: Path = typer.Option(DEFAULT_OUT, "--out", "-o", help="Directory for the day's files."),
    point: bool = typer.Option(False, "--point", help="Bid the P50 plan as price-taker steps (no curves)."),
) -> None:
    """Run the market day of a delivery day: forecast + bid (10:00 D-1), clearing, plan file and intraday (12:00)."""
    from runtime.market.run import run_market_day, write_market_day

    s = open_scenario(scenario)
    delivery = _day(date)
    try:
        run = run_market_day(s, delivery, curves=not point)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    paths = write_market_day(run, out)
    summary = run.summary()
    table = Table(title=f"Market day {summary.delivery_day} ({s.name}, {'point' if point else 'curve'} bid)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        (
            "price forecast MAE / naive MAE (JPY/kWh)",
            f"{summary.forecast_mae_jpy_per_kwh:.2f} / {summary.naive_mae_jpy_per_kwh:.2f}",
        ),
        ("bid steps", f"{summary.bid_steps}"),
        ("bid buy / sell (kWh)", f"{summary.bid_buy_kwh:,.0f} / {summary.bid_sell_kwh:,.0f}"),
        ("filled buy / sell (kWh)", f"{summary.bought_kwh:,.0f} / {summary.sold_kwh:,.0f}"),
        ("spot cost (JPY, + = paid)", f"{summary.spot_cost_jpy:,.0f}"),
        ("open after the fill (kWh, + = long)", f"{summary.open_kwh:,.0f}"),
        (
            "intraday buy / sell at 12:00 (kWh)",
            f"{summary.intraday_bought_kwh:,.0f} / {summary.intraday_sold_kwh:,.0f}",
        ),
        (
            "expected imbalance without / total with trades (JPY)",
            f"{summary.expected_imbalance_no_trade_jpy:,.0f} / {summary.expected_total_after_trades_jpy:,.0f}",
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    for kind, path in paths.items():
        console.print(f"{kind}: {path}", highlight=False)
