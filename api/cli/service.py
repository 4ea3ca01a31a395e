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
    """Run until Ctrl-C (or SIGTERM), then stop the server, the loop, the simulators and the database. Unsafe
    production accounts (weak passwords) are one error line and exit code 2; an unreachable database one line and
    exit code 1."""
    from runtime.settings import UnsafeSettingsError
    from runtime.store.db import StorageUnavailableError

    try:
        asyncio.run(_run(settings, simulate))
    except UnsafeSettingsError as exc:
        err_console.print(f"[red]refused:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except StorageUnavailableError as exc:  # one line, no traceback
        err_console.print(f"[red]cannot start:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _settings(**overrides: object) -> Settings:
    from pydantic import ValidationError

    from runtime.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            (f"EMS_{str(e['loc'][0]).upper()}: " if e["loc"] else "") + str(e["msg"]).removeprefix("Value error, ")
            for e in exc.errors()
        )
        err_console.print(f"[red]settings refused:[/red] {problems}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except ValueError as exc:
        err_console.print(f"[red]settings refused:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


async def _run(settings: Settings, simulate: bool) -> None:
    import uvicorn

    from api.app import create_app
    from runtime.facades import protocols
    from runtime.facades.telemetry import DeviceTelemetry, quiet_device_logs, raise_skipped_events, start_simulators
    from runtime.installation import with_installation_secret
    from runtime.loop.build import build_service
    from runtime.store.db import masked_url, open_store

    settings = with_installation_secret(settings)
    quiet_device_logs()
    scenario = open_scenario(settings.scenario, devices=True)
    store = open_store(settings.database_url)
    maps = settings.device_maps
    fleet = await start_simulators(scenario, port_base=0, map_dirs=maps) if simulate else None
    central = await protocols.start_central(scenario, settings.ocpp_host, settings.ocpp_port)
    sims = await protocols.start_protocol_simulators(scenario, central, fleet.facilities) if fleet else None
    bind = protocols.SIMULATED_ECHONET_BIND if sims else None
    telemetry = DeviceTelemetry(
        scenario, fleet.port_map if fleet else None, map_dirs=maps, central=central, echonet_bind=bind
    )
    service = build_service(settings, scenario, store, telemetry)
    raise_skipped_events(telemetry, store)
    server = _server(
        uvicorn.Config(
            create_app(service, run_loop=True),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            proxy_headers=False,  # the app's own middleware applies them, from EMS_TRUSTED_PROXIES only
            server_header=False,
        )
    )
    url = f"http://{settings.host}:{settings.port}"
    console.print(
        f"Yamaguchi EMS: scenario '{scenario.name}' ({len(scenario.facilities)} facilities), "
        f"{'simulated devices' if fleet else 'real devices'}, database {masked_url(settings.database_url)}"
    )
    if central is not None:
        console.print(f"OCPP 1.6J central system: {central.url}/<charge point id>")
    if sims is not None:
        console.print("Simulated over ECHONET Lite: {} devices; over OCPP 1.6J: {} charge points".format(*sims.counts))
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
        if sims is not None:
            await sims.stop()
        if central is not None:
            await central.stop()
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
