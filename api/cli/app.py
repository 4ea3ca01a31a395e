"""The root Typer application and shared console helpers of the `ems` CLI.

Only typer and rich are imported here: `ems --help` must not pay for pandas, pvlib or Pyomo. Command modules
import what a command needs inside the command function.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

app = typer.Typer(
    name="ems",
    help="Yamaguchi EMS: scenarios, devices, forecasts, plans, outage planning and the service.",
    no_args_is_help=True,
    add_completion=False,
)
# Wide tables when output is piped (CI logs, files); the terminal's width otherwise.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _print_version(value: bool) -> None:
    """Eager `--version`: print the installed package's version and exit."""
    if not value:
        return
    from api.version import package_version

    console.print(f"ems (yamaguchi-ems) {package_version()}", highlight=False)
    raise typer.Exit


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at INFO level."),
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Yamaguchi EMS command line."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
