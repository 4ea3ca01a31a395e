"""The root Typer application and shared console helpers of the `ems` CLI."""

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


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at INFO level.")) -> None:
    """Yamaguchi EMS command line."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
