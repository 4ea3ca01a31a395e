"""`ems scenario ...`: list, show and check scenarios.

The scenario modules (pydantic, YAML) are imported when a command runs, so that `ems --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.table import Table

from api.cli.app import app, console, err_console

if TYPE_CHECKING:
    from scenarios.checks import ScenarioError
    from scenarios.model import Scenario

scenario_app = typer.Typer(help="Inspect and validate scenarios (the city as data).", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


def _exit_with_problems(error: ScenarioError, source: str) -> NoReturn:
    err_console.print(f"[red]{source}: {len(error.problems)} problem(s)[/red]")
    for problem in error.problems:
        err_console.print(f"  {problem}", markup=False, highlight=False)
    raise typer.Exit(2) from None


def device_map_dirs() -> list[Path]:
    """The user folders of vendor device maps (the ``device_maps`` setting, ``EMS_DEVICE_MAPS``); settings that do
    not validate are printed and exit 2."""
    from runtime.settings import Settings

    try:
        return list(Settings().device_maps)
    except ValueError as exc:
        err_console.print(f"[red]settings refused:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


def checked_devices(s: Scenario, source: str, *, strict: bool = True) -> Scenario:
    """``s`` if every device it monitors has a registered driver; else print each located problem and exit 2
    (``strict``, ``ems scenario check``), or print them as warnings and go on (commands that run: those devices are
    not polled or simulated, every other one is)."""
    from runtime.facades.telemetry import (
        device_problems,  # imported here: only device commands need the driver registry
    )
    from scenarios.checks import ScenarioError

    problems = device_problems(s, device_map_dirs())
    if problems and strict:
        _exit_with_problems(ScenarioError(problems, source), source)
    for problem in problems:
        err_console.print(f"warning: not polled: {problem}", markup=False, highlight=False)
    return s


def open_scenario(name_or_path: str, *, devices: bool = False) -> Scenario:
    """Load a scenario for a command (``devices``: also check its device configuration and warn about every device
    that cannot be driven, which the command then leaves out); print every scenario problem and exit 2."""
    from scenarios.checks import ScenarioError
    from scenarios.loader import load_scenario

    try:
        s = load_scenario(name_or_path)
    except ScenarioError as exc:
        _exit_with_problems(exc, exc.source)
    return checked_devices(s, name_or_path, strict=False) if devices else s


@scenario_app.command("list")
def list_scenarios() -> None:
    """List the built-in scenarios."""
    from scenarios.loader import builtin_names, load_builtin

    table = Table(title="Built-in scenarios")
    for column in ("name", "facilities", "supplied", "shelters", "EVs", "description"):
        table.add_column(column)
    for name in builtin_names():
        s = load_builtin(name)
        table.add_row(
            name,
            str(len(s.facilities)),
            str(len(s.supplied)),
            str(len(s.shelters)),
            str(len(s.evs)),
            s.description[:70],
        )
    console.print(table)


def facility_table(s: Scenario) -> Table:
    """A table of the scenario's facilities with their assets."""
    table = Table(title=f"Scenario '{s.name}': {len(s.supplied)} supplied facilities, {len(s.shelters)} shelters")
    for column, justify in (
        ("id", "left"),
        ("name", "left"),
        ("kind", "left"),
        ("shelter", "center"),
        ("PV kWp", "right"),
        ("battery kWh/kW", "right"),
        ("chargers", "right"),
        ("EVs based", "right"),
        ("contract kW", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in s.facilities:
        chargers = ", ".join(f"{c.power_kw:g} kW{' V2H' if c.bidirectional else ''}" for c in f.ev_chargers)
        battery = f"{f.battery_kwh:g}/{f.battery_kw:g}" if f.batteries else "-"
        evs = ", ".join(e.id for e in s.evs_at(f.id))
        name = f.name_ja if f.supplied else f"{f.name_ja} (not supplied)"
        table.add_row(
            f.id,
            name,
            f.kind.value,
            "yes" if f.is_shelter else "",
            f"{f.pv_kwp:g}" if f.pv_arrays else "-",
            battery,
            chargers or "-",
            evs or "-",
            f"{f.grid_contract_kw:g}",
        )
    return table


@scenario_app.command("show")
def show(name: str = typer.Argument(..., help="Built-in scenario name or YAML path.")) -> None:
    """Show a scenario's facilities: kind, shelter, PV, battery, chargers, EVs based there."""
    s = open_scenario(name)
    console.print(facility_table(s))
    if s.plant is not None:
        console.print(
            f"Plant {s.plant.name_ja}: {s.plant.capacity_kw:g} kW capacity, "
            f"must-run {s.plant.must_run_min_kw:g} kW, typical {s.plant.typical_output_kw:g} kW"
        )
    total_pv = sum(f.pv_kwp for f in s.facilities)
    total_bat = sum(f.battery_kwh for f in s.facilities)
    fleet = sum(e.capacity_kwh for e in s.evs)
    console.print(f"Totals: PV {total_pv:g} kWp, batteries {total_bat:g} kWh, {len(s.evs)} EVs with {fleet:g} kWh")


@scenario_app.command("check")
def check(file: Path = typer.Argument(..., help="Scenario YAML file to validate.")) -> None:
    """Validate a scenario YAML file; print every error with its path. Exit 0 if valid, 2 if not."""
    from scenarios.checks import ScenarioError
    from scenarios.loader import load_scenario_file

    try:
        s = load_scenario_file(file)
    except ScenarioError as exc:
        _exit_with_problems(exc, str(file))
    checked_devices(s, str(file))
    console.print(f"{file}: OK — scenario '{s.name}', {len(s.facilities)} facilities, {len(s.evs)} EVs")
