"""`ems outage ...`: plan an outage (shelter table + EV itinerary), survival analysis, readiness targets.

``runtime.facades.outage_planning`` (Pyomo, pvlib) and pandas are imported when a command runs, so that `ems`
starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

if TYPE_CHECKING:
    import pandas as pd

outage_app = typer.Typer(
    help="Disaster backup: islanded shelters, EV dispatch, survival hours.", invoke_without_command=True
)
app.add_typer(outage_app, name="outage")


def _start(text: str) -> pd.Timestamp:
    from runtime.facades import outage_planning as outage_rt

    start, naive = outage_rt.outage_start(text)
    if naive:
        console.print(f"start {text} has no timezone: read as Asia/Tokyo ({start.isoformat()})")
    return start


@outage_app.callback()
def outage(
    ctx: typer.Context,
    scenario: str = typer.Option("yamaguchi", help="Scenario name or YAML path."),
    start: str = typer.Option(None, help="Outage start, e.g. 2024-09-01T14:00 (naive = Asia/Tokyo)."),
    hours: float = typer.Option(72.0, min=0.5, max=72.0, help="Outage length in hours (≤ 72)."),
    time_limit: float = typer.Option(60.0, help="MILP time limit in seconds."),
    method: str = typer.Option("milp", help="'milp' or 'greedy'."),
    block_hours: float = typer.Option(4.0, help="Relocation block length, 2-4 h."),
    pv_factor: float = typer.Option(1.0, help="Fraction of clear-sky PV (e.g. 0.3 under typhoon cloud)."),
    out: Path = typer.Option(None, help="Directory for shelters.csv, itinerary.csv, shed_kw.csv, plan.json, cars.csv."),
    ev_soc: list[str] = typer.Option([], "--ev-soc", help="Car SoC at the start, ID=FRACTION (repeat)."),
    battery_soc: list[str] = typer.Option([], "--battery-soc", help="Shelter battery SoC, FACILITY=FRACTION (repeat)."),
    unavailable: list[str] = typer.Option(
        [], "--unavailable", help="Car not available (ID) or busy until a time (ID@18:00, ID@2024-09-02T09:00)."
    ),
    candidates: int = typer.Option(6, "--candidates", min=1, help="Nearest shelters each car may serve."),
    weather: Path = typer.Option(None, "--weather", "-w", help="Weather file for PV (JMA CSV or Open-Meteo)."),
    station: str = typer.Option(None, "--station", help="Station in a multi-station JMA CSV."),
    charge_point: list[str] = typer.Option(
        [], "--charge-point", help="Where cars recharge: FACILITY[:CHARGERS[:KW]] (repeat; 'none' = nowhere)."
    ),
    calendar: bool = typer.Option(
        True,
        "--calendar/--no-calendar",
        help="Car availability from the fleet calendar (official use, car-sharing, mobilisation and dealer "
        "delays); --unavailable overrides it per car.",
    ),
    readiness_file: Path = typer.Option(
        None,
        "--readiness",
        help="readiness.json from `ems outage readiness --out`: its car and battery SoC and fleet at the event.",
    ),
) -> None:
    """Plan an outage: which shelters keep power, how long, and which car goes where when."""
    if ctx.invoked_subcommand is not None:
        return
    if start is None:
        err_console.print("give --start (e.g. 2024-09-01T14:00) or a subcommand (survival, readiness)")
        raise typer.Exit(2)
    from runtime.facades import forecasting
    from runtime.facades import outage_planning as outage_rt
    from runtime.facades import outage_readiness as outage_ready

    s, when = open_scenario(scenario), _start(start)
    try:
        frame = forecasting.read_weather_file(weather, station) if weather is not None else None
        off, busy = outage_rt.parse_unavailable(unavailable, when)
        ready_ev, ready_battery, ready_off, ready_free = (
            outage_ready.read_readiness(readiness_file) if readiness_file is not None else ({}, {}, (), {})
        )
        if readiness_file is not None:  # readiness's fleet, then the flags car by car
            off = tuple(c for c in ready_off if c not in busy) + off
            busy = {c: t for c, t in ready_free.items() if c not in off} | busy
        result = outage_rt.plan(
            s,
            when,
            hours,
            time_limit_s=time_limit,
            method=method,
            block_hours=block_hours,
            pv_factor=pv_factor,
            weather=frame,
            candidate_shelters=candidates,
            ev_soc=ready_ev | outage_rt.parse_shares(ev_soc, "--ev-soc"),
            battery_soc=ready_battery | outage_rt.parse_shares(battery_soc, "--battery-soc"),
            unavailable_evs=off,
            available_from=busy,
            charge_points=outage_rt.parse_charge_points(charge_point),
            fleet_calendar=calendar,
        )
    except (OSError, ValueError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    summary = result.summary()
    console.print(
        f"served {summary['served_kwh']:.1f} of {summary['critical_kwh']:.1f} kWh critical; tier 1 "
        f"{summary['tier1_kwh']:.1f} of {summary['tier1_demand_kwh']:.1f} kWh; tier 1 fully served for "
        f"{summary['hours']:g} h at {summary['shelters_tier1_full']} of {len(result.data.shelters)} shelters"
    )
    if summary["comfort_demand_kwh"] > 0 or summary["engine_kwh"] > 0:
        console.print(
            f"comfort tier {summary['comfort_kwh']:.1f} of {summary['comfort_demand_kwh']:.1f} kWh (after tiers 1 "
            f"and 2); PHEV engines {summary['engine_kwh']:.1f} kWh"
        )
    console.print(_bounds_line(summary))
    gap = "n/a" if summary["gap"] is None else f"{100 * summary['gap']:.2f} %"
    console.print(
        f"planner {summary['method']} ({summary['status']}), {summary['solve_seconds']:.1f} s, weighted-objective "
        f"gap {gap} (against the perfect-relocation bound)"
    )
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(_frame_table("Shelters", result.shelter_table().reset_index()))
    console.print(_frame_table("EV itinerary", result.itinerary_table()))
    if out is not None:
        for path in outage_rt.write_plan(result, out):
            console.print(f"wrote {path}")


@outage_app.command("survival")
def survival(
    scenario: str = typer.Option("yamaguchi", help="Scenario name or YAML path."),
    period: str = typer.Option(..., help="Outage starts, START/END dates, e.g. 2024-07-01/2024-09-30 (inclusive)."),
    hours: float = typer.Option(72.0, min=0.5, max=336.0, help="Outage length in hours."),
    pv_factor: float = typer.Option(1.0, help="Fraction of the forecast PV (clear sky, or --weather)."),
    weather: Path = typer.Option(
        None, "--weather", "-w", help="Recorded weather for the period: JMA hourly CSV or Open-Meteo CSV/JSON."
    ),
    station: str = typer.Option(None, "--station", help="Station in a multi-station JMA CSV."),
    out: Path = typer.Option(None, help="Write the table to this .csv or .json file."),
    start_soc: str = typer.Option(
        "normal", "--start-soc", help="Battery SoC at each start: 'normal' (normal operation) or 'initial'."
    ),
    calendar: bool = typer.Option(
        True, "--calendar/--no-calendar", help="Cars leave when the fleet calendar lets them at each start."
    ),
    by_hours: float = typer.Option(24.0, "--by-hours", help="Threshold of the by-month and by-hour tables, h."),
) -> None:
    """Survival hours per shelter over outage starts at every slot of the period, without and with EVs, and
    P(survive --by-hours) by start month and start hour."""
    import pandas as pd

    from runtime.facades import forecasting, outage_survival
    from runtime.facades import outage_planning as outage_rt

    try:
        first_text, last_text = period.split("/")
        first, last = pd.Timestamp(first_text), pd.Timestamp(last_text)
    except ValueError:
        err_console.print(f"--period '{period}': expected START/END, e.g. 2024-07-01/2024-09-30")
        raise typer.Exit(2) from None
    start, _ = outage_rt.outage_start(first)
    end, _ = outage_rt.outage_start(last if "T" in last_text else last + pd.Timedelta(days=1))
    s = open_scenario(scenario)
    frame, sky = None, "clear-sky PV"
    if weather is not None:
        try:
            frame = forecasting.read_weather_file(weather, station)
        except (OSError, ValueError) as exc:
            err_console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        sky = f"PV from {forecasting.weather_label(frame)}"
        for warning in forecasting.distance_warnings(s, frame):
            console.print(f"[yellow]warning: {warning}[/yellow]")
    try:
        data = outage_survival.survival_data(
            s, start, end, hours, weather=frame, pv_factor=pv_factor, start_soc=start_soc, calendar=calendar
        )
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    result = outage_survival.analyse(data, by_hours, bin_hours=3)
    table = result.table
    console.print(
        f"outage starts every 30 min from {start.isoformat()} to {end.isoformat()} (Asia/Tokyo), "
        f"{hours:g} h each; {sky} × {pv_factor:g} (clear sky where the weather has no values)"
    )
    titles = {"no_ev": "Without EVs (PV + battery)", "ev": "With the EV fleet (home cars + allotted fleet cars)"}
    for label, title in titles.items():
        console.print(
            _frame_table(
                f"{title}: hours to first shortfall, hours fully served, P(survive)",
                table[label].reset_index().round(2),
            )
        )
    added = table[("ev", "served_mean_h")].sum() - table[("no_ev", "served_mean_h")].sum()
    console.print(
        f"the fleet adds {added:.1f} shelter-hours of fully served critical load per outage (mean over "
        "starts, all shelters); a shelter dark until a car arrives shows 0 h to first shortfall"
    )
    for name, frames in (("month", result.by_month), ("hour", result.by_hour)):
        console.print(
            _frame_table(
                f"With the EV fleet: P(survive {result.threshold_h:g} h) by start {name}"
                + (" (3-h bins from the hour shown, Asia/Tokyo)" if name == "hour" else ""),
                frames["ev"].round(2).reset_index(),
            )
        )
    console.print(
        f"battery SoC at each start: {start_soc}; cars: {'fleet calendar' if calendar else 'free at the start'} "
        "+ mobilisation delay + travel; allotment by the plan's greedy rule"
    )
    if out is not None:
        console.print(f"wrote {outage_rt.write_survival(table, out)}")
        for path in outage_survival.write_grouped(result, out):
            console.print(f"wrote {path}")


@outage_app.command("readiness")
def readiness(
    scenario: str = typer.Option("yamaguchi", help="Scenario name or YAML path."),
    event: str = typer.Option(
        None, help="Expected event time, e.g. 2024-09-01T14:00 (naive = Asia/Tokyo); default 24 h from now."
    ),
    hours: float = typer.Option(72.0, help="Autonomy to prepare for, hours."),
    ev_soc: float = typer.Option(0.95, help="SoC target of city cars by the event (fraction)."),
    cost: bool = typer.Option(False, "--cost", help="Also run the day-ahead plan with and without readiness."),
    plan: bool = typer.Option(False, "--plan", help="Also plan the outage from the event with readiness's SoC."),
    out: Path = typer.Option(None, help="Write readiness.json here (for `ems outage --readiness FILE`)."),
) -> None:
    """Raised shelter reserves and fleet pre-charge targets before a forecast event, the fleet calendar at
    the event, and (--plan) the outage plan that starts from them."""
    import pandas as pd

    from runtime.facades import outage_planning as outage_rt
    from runtime.facades import outage_readiness as outage_ready

    if event is None:
        from scenarios.timegrid import utcnow

        event = (pd.Timestamp(utcnow()) + pd.Timedelta(hours=24)).isoformat()
        console.print(f"no --event given: preparing for {event} (24 h from now)")
    s, when = open_scenario(scenario), _start(event)
    document = outage_ready.readiness_document(s, when, hours, ev_soc)
    console.print(_frame_table("Shelter reserves", pd.DataFrame(document["shelters"]).round(3)))
    console.print(_frame_table("EV pre-charge targets", pd.DataFrame(document["evs"])))
    console.print(_frame_table("Fleet at the event (calendar)", pd.DataFrame(document["availability"])))
    if out is not None:
        console.print(f"wrote {outage_ready.write_readiness(document, out)}")
    if plan:
        result = outage_ready.plan_after_readiness(s, when, hours, ev_soc, method="greedy")
        summary = result.summary()
        console.print(
            f"outage plan from {when.isoformat()} with readiness SoC (greedy): served {summary['served_kwh']:.1f} "
            f"of {summary['critical_kwh']:.1f} kWh critical; tier 1 fully served at "
            f"{summary['shelters_tier1_full']} of {len(result.data.shelters)} shelters"
        )
        for note in result.notes:
            console.print(f"note: {note}")
    if cost:
        c = outage_rt.readiness_cost(s, when, hours, ev_soc)
        console.print(
            f"day-ahead plan from {c.plan_date} ({c.horizon_slots} slots): {c.money_base_jpy:,.0f} JPY "
            f"without, {c.money_ready_jpy:,.0f} JPY with readiness: readiness costs "
            f"{c.extra_money_jpy:,.0f} JPY ({c.status_base}/{c.status_ready})"
        )
        for miss in c.missed_ready:
            console.print(f"  not reachable in time: {miss}")


def _bounds_line(summary: dict[str, Any]) -> str:
    """The proven bounds in kWh and shelters, stage by stage (n/a where the planner has none)."""
    full = "n/a" if summary["full_bound"] is None else f"{summary['full_bound']:g}"
    tier1 = "n/a" if summary["tier1_bound_kwh"] is None else f"{summary['tier1_bound_kwh']:.1f} kWh"
    gap = "n/a" if summary["tier1_gap"] is None else f"{100 * summary['tier1_gap']:.2f} %"
    return f"proven bounds: shelters with tier 1 fully served <= {full}; tier 1 <= {tier1} (gap {gap})"


def _frame_table(title: str, frame: pd.DataFrame) -> Table:
    from pandas.api.types import is_numeric_dtype

    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column), justify="right" if is_numeric_dtype(frame[column]) else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row))
    return table
