"""`ems simulate` and `ems devices scan|poll`: device simulators, SunSpec scans and polls.

Everything goes through ``runtime.facades.telemetry``, imported on first use to keep start-up fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from rich.table import Table

from api.cli.app import app, console, err_console
from api.cli.scenario import device_map_dirs, open_scenario


def _telemetry() -> ModuleType:
    """runtime.facades.telemetry, imported on first use so that `ems` starts fast (device logs quietened there)."""
    from runtime.facades import telemetry

    telemetry.quiet_device_logs()
    return telemetry


devices_app = typer.Typer(help="Talk to Modbus devices: scan one, poll a scenario.", no_args_is_help=True)
app.add_typer(devices_app, name="devices")


def _fmt(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


@app.command("simulate")
def simulate(
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    port_base: int | None = typer.Option(
        None, "--port-base", help="First port (N, N+1, ...); default: the scenario's endpoint ports; 0 = ephemeral."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port_map: Path = typer.Option(Path("simulator-ports.json"), "--port-map", help="Where to write the port map."),
) -> None:
    """Start simulators for every Modbus and ECHONET Lite device of a scenario; run until Ctrl-C."""
    s = open_scenario(scenario, devices=True)

    async def run() -> None:
        try:
            fleet = await _telemetry().start_simulators(s, port_base=port_base, host=host, map_dirs=device_map_dirs())
        except OSError as exc:
            err_console.print(f"[red]cannot listen: {exc}. Pick another --port-base (or 0 for ephemeral).[/red]")
            raise typer.Exit(1) from None
        from runtime.facades import protocols

        try:
            nodes = await protocols.start_protocol_simulators(s, None, fleet.facilities)
        except OSError as exc:
            await fleet.stop()
            err_console.print(f"[red]cannot start the ECHONET Lite nodes: {exc}[/red]")
            raise typer.Exit(1) from None
        table = Table(title=f"{len(fleet.port_map)} simulated devices of '{s.name}' on {host}")
        for column in ("device", "port", "unit"):
            table.add_column(column)
        for key, port in fleet.port_map.items():
            table.add_row(str(key), str(port), str(fleet.devices[key].unit_id))
        console.print(table)
        _telemetry().write_port_map(fleet.port_map, port_map, host)
        console.print(f"port map written to {port_map}; Ctrl-C stops")
        for host_ip, node in nodes.echonet.nodes.items():
            console.print(f"ECHONET Lite node {host_ip}:3610 with {len(node.objects)} objects")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or a service manager's stop
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            await nodes.stop()
            await fleet.stop()
            console.print("simulators stopped")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


@devices_app.command("scan")
def scan(
    target: str = typer.Argument(..., help="HOST:PORT of the device or gateway."),
    unit: int = typer.Option(1, "--unit", "-u", min=0, max=247, help="Modbus unit id."),
    timeout: float = typer.Option(2.0, "--timeout", help="Per-request time-out in seconds."),
) -> None:
    """Discover a SunSpec device (40000, 0, 50000) and print its models and live values."""
    host, _, port_text = target.rpartition(":")
    if not host or not port_text.isdigit():
        err_console.print(f"[red]target {target!r}: expected HOST:PORT, e.g. 127.0.0.1:20001[/red]")
        raise typer.Exit(2)
    try:
        result = asyncio.run(_telemetry().scan(host, int(port_text), unit, timeout))
    except Exception as exc:  # discovery and device errors are reported, not traced
        err_console.print(f"[red]{target} unit {unit}: {exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"SunSpec base address {result.base_address}; models {[m[0] for m in result.models]}")
    for warning in result.warnings:
        console.print(f"[yellow]warning: {warning}[/yellow]")
    for model_id, address, length, values in result.models:
        table = Table(title=f"model {model_id} at {address} (L={length})")
        table.add_column("point")
        table.add_column("value", justify="right")
        for name, value in values.items():
            if name not in ("ID", "L") and value is not None:
                table.add_row(name, _fmt(value))
        console.print(table)


@devices_app.command("poll")
def poll(
    scenario: str = typer.Option("yamaguchi", "--scenario", "-s", help="Built-in scenario name or YAML path."),
    once: bool = typer.Option(False, "--once", help="Poll once and exit (otherwise every --cadence seconds)."),
    port_map: Path | None = typer.Option(None, "--port-map", help="Port map JSON from `ems simulate`."),
    cadence: float = typer.Option(5.0, "--cadence", min=0.5, help="Seconds between polls when not --once."),
) -> None:
    """Poll every Modbus device of a scenario and print a table of readings."""
    s = open_scenario(scenario, devices=True)
    host, ports = "127.0.0.1", None
    if port_map is not None:
        try:
            host, ports = _telemetry().read_port_map(port_map)
        except (OSError, ValueError) as exc:
            err_console.print(f"[red]--port-map: {exc}[/red]")
            raise typer.Exit(2) from None

    maps = device_map_dirs()

    async def run() -> None:
        while True:
            readings = await _telemetry().poll_once(s, port_map=ports, host=host, map_dirs=maps, simulated=bool(ports))
            console.print(_table(readings))
            if once:
                return
            await asyncio.sleep(cadence)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


def _table(readings: list[Any]) -> Table:
    good = sum(r.quality.value == "good" for r in readings)
    when = readings[0].time.isoformat(timespec="seconds") if readings else "-"
    table = Table(title=f"{len(readings)} devices, {good} good, at {when}")
    for column in ("device", "kind", "quality", "power kW", "SoC", "values / error"):
        table.add_column(column)
    for r in readings:
        soc = r.values.get("soc", r.values.get("vehicle_soc"))
        rest = ", ".join(f"{k}={_fmt(v)}" for k, v in r.values.items() if k not in ("power_kw", "soc", "vehicle_soc"))
        colour = {"good": "green", "stale": "yellow"}.get(r.quality.value, "red")
        table.add_row(
            str(r.key),
            r.kind.value,
            f"[{colour}]{r.quality.value}[/{colour}]",
            _fmt(r.values.get("power_kw")),
            _fmt(soc),
            r.error or rest,
        )
    return table
