"""`ems up` (simulators + loop + API on the default scenario) and `ems serve` (real devices from a scenario).

uvicorn, the app and the runtime are imported when a command runs, so that `ems --help` starts fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from api.cli.app import app, console, err_console
from api.cli.scenario import open_scenario

if TYPE_CHECKING:
    import uvicorn

    from runtime.settings import Settings

log = logging.getLogger(__name__)


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn without its own signal capture (it re-raises SIGINT after shutdown); `_run` handles signals."""
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return _Server(config)


def _main(settings: Settings, simulate: bool) -> None:
    """Run until Ctrl-C (or SIGTERM), then stop the server, the loop, the simulators and the database."""
    from runtime.store.db import StorageUnavailableError

    try:
        asyncio.run(_run(settings, simulate))
    except StorageUnavailableError as exc:  # one line, no traceback
        err_console.print(f"[red]cannot start:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _settings(**overrides: object) -> Settings:
    from runtime.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValueError as exc:
        err_console.print(f"[red]settings refused:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from None


async def _run(settings: Settings, simulate: bool) -> None:
    import uvicorn

    from api.app import create_app
    from runtime.facades.telemetry import DeviceTelemetry, quiet_device_logs, raise_skipped_events, start_simulators
    from runtime.loop.build import build_service
    from runtime.store.db import open_store

    quiet_device_logs()
    scenario = open_scenario(settings.scenario, devices=True)
    store = open_store(settings.database_url)
    maps = settings.device_maps
    fleet = await start_simulators(scenario, port_base=0, map_dirs=maps) if simulate else None
    telemetry = DeviceTelemetry(scenario, fleet.port_map if fleet else None, map_dirs=maps)
    service = build_service(settings, scenario, store, telemetry)
    raise_skipped_events(telemetry, store)
    server = _server(
        uvicorn.Config(create_app(service, run_loop=True), host=settings.host, port=settings.port, log_level="warning")
    )
    url = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Yamaguchi EMS: scenario '{scenario.name}' ({len(scenario.facilities)} facilities), "
        f"{'simulated devices' if fleet else 'real devices'}, database {settings.database_url}"
    )
    console.print(f"Dashboard: {url}/   API: {url}/api/v1   OpenAPI: {url}/docs   Metrics: {url}/metrics")
    if settings.development:
        console.print(f"Development login: {settings.admin_user} / {settings.admin_password.get_secret_value()}")
    console.print("Press Ctrl-C to stop.")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    try:
        await server.serve()
    finally:
        telemetry.close()
        if fleet is not None:
            await fleet.stop()
        store.dispose()
        console.print("stopped")


@app.command("up")
def up(
    scenario: str = typer.Option(None, help="Scenario (default: EMS_SCENARIO or 'yamaguchi')."),
    port: int = typer.Option(None, help="HTTP port (default 8000)."),
    database_url: str = typer.Option(None, help="Database URL (default sqlite:///./var/ems.db)."),
    dry_run: bool = typer.Option(None, "--dry-run/--live", help="Audit set-points without writing them."),
) -> None:
    """Start simulators for the scenario, the loop and the API on http://127.0.0.1:8000 (Ctrl-C stops)."""
    settings = _settings(scenario=scenario, port=port, database_url=database_url, dry_run=dry_run, simulate=True)
    _main(settings, simulate=True)


@app.command("serve")
def serve(
    scenario: Path = typer.Option(..., exists=True, dir_okay=False, help="Scenario YAML with real devices."),
    port: int = typer.Option(None, help="HTTP port (default 8000)."),
    database_url: str = typer.Option(None, help="Database URL (default EMS_DATABASE_URL)."),
    dry_run: bool = typer.Option(None, "--dry-run/--live", help="Audit set-points, do not write."),
) -> None:
    """Run the loop and the API against the real Modbus devices of a scenario file."""
    settings = _settings(scenario=str(scenario), port=port, database_url=database_url, dry_run=dry_run, simulate=False)
    _main(settings, simulate=False)


users_app = typer.Typer(help="Accounts of the service (held in the database).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("add")
def add_user(
    username: str = typer.Argument(..., help="User name."),
    role: str = typer.Option(..., help="operator | facility_manager | disaster_office."),
    facility: str = typer.Option(None, help="Facility id (facility managers)."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Password (prompted when omitted)."
    ),
) -> None:
    """Create an account."""
    from runtime import security
    from runtime.store.db import open_store

    settings = _settings()
    store = open_store(settings.database_url)
    try:
        if facility is not None:
            open_scenario(settings.scenario).facility(facility)
        security.create_user(store, username, password, role, facility)
    except (ValueError, KeyError) as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    console.print(f"user '{username}' ({role}{', ' + facility if facility else ''}) created")


@users_app.command("key")
def add_key(
    username: str = typer.Argument(..., help="User the key acts as."),
    label: str = typer.Option("", help="What the key is for."),
) -> None:
    """Create an API key for a user (send it in the X-API-Key header; it is shown once)."""
    from runtime import security
    from runtime.store.db import open_store

    settings = _settings()
    store = open_store(settings.database_url)
    try:
        key = security.create_api_key(store, username, label)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        store.dispose()
    console.print(key)
