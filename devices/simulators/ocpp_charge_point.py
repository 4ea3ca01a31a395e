"""A simulated OCPP 1.6J charge point built on the ``ocpp`` package's ``ChargePoint`` (the library on the other side
of the wire from :mod:`devices.ocpp_central`), driving an EV charger's physics.

It connects to ``<central url>/<charge point id>``, sends BootNotification and a StatusNotification, starts a
transaction when a car is plugged in (or on RemoteStartTransaction), and reports MeterValues (Power.Active.Import
W, Energy.Active.Import.Register Wh, SoC %) on :meth:`SimChargePoint.report` and every ``interval_s``.
SetChargingProfile sets the physics' charge limit (W, or A × ``voltage_v`` × ``phases``); the charge point refuses
profiles in ``refuse`` (a fault: Rejected) and goes silent when ``silent`` is set (no answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action, ChargePointStatus, ChargingProfileStatus, RemoteStartStopStatus
from websockets.asyncio.client import ClientConnection, connect

from devices.simulators.physics import EVSim
from scenarios.assets import OcppEndpoint

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


class SimChargePoint(ChargePoint):  # type: ignore[misc]
    """One simulated charge point with one connector (``endpoint.connector_id``) over ``sim``."""

    def __init__(self, endpoint: OcppEndpoint, sim: EVSim, connection: ClientConnection, clock: Clock) -> None:
        super().__init__(endpoint.charge_point_id, connection, response_timeout=endpoint.timeout_s)
        self.endpoint, self.sim, self.clock = endpoint, sim, clock
        self.transaction_id: int | None = None
        self.refuse = False
        self.profiles: list[dict[str, Any]] = []

    @on(Action.set_charging_profile)  # type: ignore[untyped-decorator]
    def on_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        """Apply the first period's limit to the physics (kW, + = charging)."""
        if self.refuse or connector_id != self.endpoint.connector_id:
            return call_result.SetChargingProfile(ChargingProfileStatus.rejected)
        schedule = cs_charging_profiles["charging_schedule"]
        limit = float(schedule["charging_schedule_period"][0]["limit"])
        ep = self.endpoint
        watts = limit if schedule["charging_rate_unit"] == "W" else limit * ep.voltage_v * ep.phases
        self.sim.step(self.clock())
        self.sim.setpoint_kw = watts / 1000
        self.profiles.append(cs_charging_profiles)
        return call_result.SetChargingProfile(ChargingProfileStatus.accepted)

    @on(Action.remote_start_transaction)  # type: ignore[untyped-decorator]
    def on_remote_start(self, id_tag: str, **kw: Any) -> Any:
        """Accept when a car is plugged in; the transaction starts right after."""
        if self.sim.car(self.clock()) is None:
            return call_result.RemoteStartTransaction(RemoteStartStopStatus.rejected)
        asyncio.get_running_loop().create_task(self.start_transaction(id_tag))
        return call_result.RemoteStartTransaction(RemoteStartStopStatus.accepted)

    @on(Action.remote_stop_transaction)  # type: ignore[untyped-decorator]
    def on_remote_stop(self, transaction_id: int) -> Any:
        """Accept a stop of the running transaction."""
        if transaction_id != self.transaction_id:
            return call_result.RemoteStopTransaction(RemoteStartStopStatus.rejected)
        asyncio.get_running_loop().create_task(self.stop_transaction())
        return call_result.RemoteStopTransaction(RemoteStartStopStatus.accepted)

    async def boot(self) -> None:
        """BootNotification, then the connector's status (and a transaction if a car is plugged in)."""
        await self.call(call.BootNotification(charge_point_model="YGE-Sim AC", charge_point_vendor="YGE"))
        plugged = self.sim.car(self.clock()) is not None
        await self.status(ChargePointStatus.preparing if plugged else ChargePointStatus.available)
        if plugged:
            await self.start_transaction("EMS")

    async def status(self, status: ChargePointStatus) -> None:
        """StatusNotification for the connector."""
        await self.call(
            call.StatusNotification(connector_id=self.endpoint.connector_id, error_code="NoError", status=status)
        )

    async def start_transaction(self, id_tag: str) -> None:
        """StartTransaction; the central system numbers it."""
        wh = round(self.sim.energy_kwh * 1000)
        now = self.clock().isoformat()
        result = await self.call(
            call.StartTransaction(connector_id=self.endpoint.connector_id, id_tag=id_tag, meter_start=wh, timestamp=now)
        )
        self.transaction_id = result.transaction_id
        await self.status(ChargePointStatus.charging)

    async def stop_transaction(self) -> None:
        """StopTransaction of the running one; the car stops charging."""
        if self.transaction_id is None:
            return
        tx, self.transaction_id = self.transaction_id, None
        self.sim.setpoint_kw = 0.0
        wh = round(self.sim.energy_kwh * 1000)
        await self.call(call.StopTransaction(meter_stop=wh, timestamp=self.clock().isoformat(), transaction_id=tx))
        await self.status(ChargePointStatus.finishing)

    async def report(self) -> None:
        """MeterValues now: power (W), energy register (Wh), the car's SoC (%) if a car is plugged in."""
        now = self.clock()
        kw = self.sim.step(now)
        samples = [
            {"value": f"{kw * 1000:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
            {"value": f"{self.sim.energy_kwh * 1000:.0f}", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
        ]
        car = self.sim.car(now)
        if car is not None:
            soc = self.sim.socs.get(car.id, car.initial_soc)
            samples.append({"value": f"{soc * 100:.0f}", "measurand": "SoC", "unit": "Percent"})
        meter_value = [{"timestamp": now.isoformat(), "sampled_value": samples}]
        await self.call(
            call.MeterValues(
                connector_id=self.endpoint.connector_id, meter_value=meter_value, transaction_id=self.transaction_id
            )
        )


class RunningChargePoint:
    """A simulated charge point connected and serving, with its background tasks."""

    def __init__(self, cp: SimChargePoint, tasks: list[asyncio.Task[Any]], connection: ClientConnection) -> None:
        self.cp, self.tasks, self.connection = cp, tasks, connection

    async def stop(self) -> None:
        """Cancel the tasks and close the connection."""
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.connection.close()


async def start_charge_point(
    central_url: str, endpoint: OcppEndpoint, sim: EVSim, *, clock: Clock, interval_s: float | None = None
) -> RunningChargePoint:
    """Connect a simulated charge point to ``central_url``, boot it, and (``interval_s``) report periodically."""
    connection = await connect(f"{central_url}/{endpoint.charge_point_id}", subprotocols=["ocpp1.6"])  # type: ignore[list-item]
    cp = SimChargePoint(endpoint, sim, connection, clock)
    tasks = [asyncio.get_running_loop().create_task(cp.start())]
    await cp.boot()
    await cp.report()
    if interval_s:
        tasks.append(asyncio.get_running_loop().create_task(_report_every(cp, interval_s)))
    return RunningChargePoint(cp, tasks, connection)


async def _report_every(cp: SimChargePoint, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await cp.report()
        except TimeoutError:
            logger.warning("charge point %s: MeterValues not answered", cp.id)
