"""The one module of ``devices`` that is an OCPP 1.6J central system (``ocpp>=2.1,<2.2`` over ``websockets``).

:class:`CentralSystem` serves WebSocket connections (subprotocol ``ocpp1.6``) at ``ws://host:port/<charge point
id>``. Each charge point is an ``ocpp`` ``ChargePoint`` (:class:`ChargePointSession`) that accepts BootNotification
(registration), Heartbeat, StatusNotification, MeterValues and Start/StopTransaction and keeps what they tell per
connector (:class:`ConnectorState`). The EMS controls connectors with SetChargingProfile (TxDefaultProfile or
TxProfile, limit in W or A) and RemoteStart/StopTransaction; each call waits for the charge point's answer within
its time-out. Failures are :class:`~devices.modbus_client.DeviceError` subclasses, as for Modbus devices.

Units: powers in W on the wire (Power.Active.Import, ``W`` or ``kW`` as the sampled value says), energy in Wh
(``Wh`` or ``kWh``), SoC in %; times tz-aware UTC.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.datatypes import ChargingProfile, ChargingSchedule, ChargingSchedulePeriod
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    ChargingProfileKindType,
    ChargingProfilePurposeType,
    ChargingProfileStatus,
    ChargingRateUnitType,
    RegistrationStatus,
    RemoteStartStopStatus,
)
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from devices.modbus_client import DeviceConnectionError, DeviceError, DeviceTimeoutError

logger = logging.getLogger(__name__)
SUBPROTOCOL = "ocpp1.6"
POWER_UNITS = {"W": 1.0, "kW": 1000.0}
ENERGY_UNITS = {"Wh": 1.0, "kWh": 1000.0}


class OcppRejectedError(DeviceError):
    """The charge point answered the call with Rejected (or a CallError)."""

    kind = "exception"


def utc_now() -> dt.datetime:
    """The current time, tz-aware UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class ConnectorState:
    """What a connector last reported: status, power W (+ = to the car), energy Wh, car SoC %, the running
    transaction and when MeterValues last arrived (UTC)."""

    status: str | None = None
    power_w: float | None = None
    energy_wh: float | None = None
    soc_pct: float | None = None
    transaction_id: int | None = None
    metered_at: dt.datetime | None = None
    limit: tuple[float, str] | None = None
    """The last charging-profile limit the charge point accepted: (value, unit W/A)."""


class ChargePointSession(ChargePoint):  # type: ignore[misc]
    """One connected charge point, as the central system sees it."""

    def __init__(self, cp_id: str, connection: ServerConnection, timeout_s: float) -> None:
        super().__init__(cp_id, connection, response_timeout=timeout_s)
        self.connectors: dict[int, ConnectorState] = {}
        self.booted: dict[str, Any] | None = None
        self._tx_ids = itertools.count(1)

    def connector(self, n: int) -> ConnectorState:
        """The state of connector ``n`` (created empty)."""
        return self.connectors.setdefault(n, ConnectorState())

    @on(Action.boot_notification)  # type: ignore[untyped-decorator]
    def on_boot(self, charge_point_vendor: str, charge_point_model: str, **kw: Any) -> call_result.BootNotification:
        """Register the charge point (accepted, heartbeat every 60 s)."""
        self.booted = {"vendor": charge_point_vendor, "model": charge_point_model, **kw}
        logger.info("charge point %s registered (%s %s)", self.id, charge_point_vendor, charge_point_model)
        return call_result.BootNotification(utc_now().isoformat(), 60, RegistrationStatus.accepted)

    @on(Action.heartbeat)  # type: ignore[untyped-decorator]
    def on_heartbeat(self) -> call_result.Heartbeat:
        """Answer with the current time."""
        return call_result.Heartbeat(utc_now().isoformat())

    @on(Action.status_notification)  # type: ignore[untyped-decorator]
    def on_status(self, connector_id: int, status: str, **kw: Any) -> call_result.StatusNotification:
        """Keep the connector's status."""
        self.connector(connector_id).status = status
        return call_result.StatusNotification()

    @on(Action.meter_values)  # type: ignore[untyped-decorator]
    def on_meter_values(self, connector_id: int, meter_value: list[dict[str, Any]], **kw: Any) -> Any:
        """Keep the connector's power, energy and SoC from the sampled values."""
        state = self.connector(connector_id)
        for mv in meter_value:
            for sv in mv.get("sampled_value", []):
                read_sample(state, sv)
        state.metered_at = utc_now()
        return call_result.MeterValues()

    @on(Action.start_transaction)  # type: ignore[untyped-decorator]
    def on_start(self, connector_id: int, id_tag: str, meter_start: int, **kw: Any) -> Any:
        """Accept the transaction and number it."""
        tx = next(self._tx_ids)
        self.connector(connector_id).transaction_id = tx
        return call_result.StartTransaction(tx, {"status": AuthorizationStatus.accepted})

    @on(Action.stop_transaction)  # type: ignore[untyped-decorator]
    def on_stop(self, transaction_id: int, **kw: Any) -> Any:
        """Forget the transaction."""
        for state in self.connectors.values():
            if state.transaction_id == transaction_id:
                state.transaction_id = None
        return call_result.StopTransaction()

    @on(Action.authorize)  # type: ignore[untyped-decorator]
    def on_authorize(self, id_tag: str) -> Any:
        """Every id tag is accepted (the EMS starts charging itself)."""
        return call_result.Authorize({"status": AuthorizationStatus.accepted})


def read_sample(state: ConnectorState, sv: dict[str, Any]) -> None:
    """Fold one sampled value into the connector state (unknown measurands are ignored)."""
    measurand = sv.get("measurand", "Energy.Active.Import.Register")
    value, unit = float(sv["value"]), sv.get("unit")
    if measurand == "Power.Active.Import":
        state.power_w = value * POWER_UNITS.get(unit or "W", 1.0)
    elif measurand == "Energy.Active.Import.Register":
        state.energy_wh = value * ENERGY_UNITS.get(unit or "Wh", 1.0)
    elif measurand == "SoC":
        state.soc_pct = value


@dataclass
class CentralSystem:
    """The OCPP 1.6J central system: a WebSocket server on ``host``:``port`` (0 = any free port)."""

    host: str = "127.0.0.1"
    port: int = 0
    timeout_s: float = 5.0
    sessions: dict[str, ChargePointSession] = field(default_factory=dict)
    _server: Server | None = None

    async def start(self) -> None:
        """Start serving; ``port`` is the bound port afterwards."""
        self._server = await serve(self._handle, self.host, self.port, subprotocols=[SUBPROTOCOL])  # type: ignore[list-item]
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        logger.info("OCPP 1.6J central system on ws://%s:%d/<charge point id>", self.host, self.port)

    @property
    def url(self) -> str:
        """ws://host:port (a charge point connects to ``url/<its id>``)."""
        return f"ws://{self.host}:{self.port}"

    async def _handle(self, connection: ServerConnection) -> None:
        cp_id = (connection.request.path if connection.request else "/").rstrip("/").split("/")[-1]
        if not cp_id or connection.subprotocol != SUBPROTOCOL:
            await connection.close(1002, "a charge point connects to /<id> with subprotocol ocpp1.6")
            return
        session = ChargePointSession(cp_id, connection, self.timeout_s)
        self.sessions[cp_id] = session
        try:
            await session.start()
        except ConnectionClosed:
            logger.info("charge point %s disconnected", cp_id)
        finally:
            if self.sessions.get(cp_id) is session:
                del self.sessions[cp_id]

    def session(self, cp_id: str) -> ChargePointSession:
        """The connected charge point; DeviceConnectionError if it is not connected (or never booted)."""
        session = self.sessions.get(cp_id)
        if session is None or session.booted is None:
            raise DeviceConnectionError(f"charge point {cp_id!r} is not connected to the central system")
        return session

    async def _call(self, cp_id: str, payload: Any) -> Any:
        session = self.session(cp_id)
        try:
            result = await session.call(payload, suppress=False)
        except TimeoutError as exc:
            raise DeviceTimeoutError(f"charge point {cp_id!r}: no answer to {type(payload).__name__}") from exc
        except ConnectionClosed as exc:
            raise DeviceConnectionError(f"charge point {cp_id!r}: connection lost") from exc
        except Exception as exc:  # a CallError from the charge point, raised by ocpp as its OCPPError
            raise OcppRejectedError(f"charge point {cp_id!r}: {type(payload).__name__}: {exc}") from exc
        return result

    async def set_limit(self, cp_id: str, connector: int, limit: float, unit: str, purpose: str) -> None:
        """SetChargingProfile: an absolute profile of one period at ``limit`` (W or A) from now; TxProfile needs a
        running transaction. OcppRejectedError when the charge point refuses it."""
        state = self.session(cp_id).connector(connector)
        if purpose == "TxProfile" and state.transaction_id is None:
            raise OcppRejectedError(f"charge point {cp_id!r} connector {connector}: no transaction for a TxProfile")
        schedule = ChargingSchedule(
            charging_rate_unit=ChargingRateUnitType(unit),
            charging_schedule_period=[ChargingSchedulePeriod(start_period=0, limit=round(limit, 1))],
            start_schedule=utc_now().isoformat(),
        )
        profile = ChargingProfile(
            charging_profile_id=connector,
            stack_level=1,
            charging_profile_purpose=ChargingProfilePurposeType(purpose),
            charging_profile_kind=ChargingProfileKindType.absolute,
            charging_schedule=schedule,
            transaction_id=state.transaction_id if purpose == "TxProfile" else None,
        )
        result = await self._call(cp_id, call.SetChargingProfile(connector_id=connector, cs_charging_profiles=profile))
        if result.status != ChargingProfileStatus.accepted:
            raise OcppRejectedError(f"charge point {cp_id!r}: SetChargingProfile {result.status}")
        state.limit = (round(limit, 1), unit)

    async def remote_start(self, cp_id: str, connector: int, id_tag: str = "EMS") -> None:
        """RemoteStartTransaction on a connector; OcppRejectedError when refused."""
        result = await self._call(cp_id, call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector))
        if result.status != RemoteStartStopStatus.accepted:
            raise OcppRejectedError(f"charge point {cp_id!r}: RemoteStartTransaction {result.status}")

    async def remote_stop(self, cp_id: str, connector: int) -> None:
        """RemoteStopTransaction of the connector's running transaction (nothing to do without one)."""
        tx = self.session(cp_id).connector(connector).transaction_id
        if tx is None:
            return
        result = await self._call(cp_id, call.RemoteStopTransaction(transaction_id=tx))
        if result.status != RemoteStartStopStatus.accepted:
            raise OcppRejectedError(f"charge point {cp_id!r}: RemoteStopTransaction {result.status}")

    async def stop(self) -> None:
        """Close every connection and the server."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


async def wait_booted(central: CentralSystem, cp_id: str, timeout_s: float = 5.0) -> None:
    """Wait until ``cp_id`` has registered (tests, demo start-up); DeviceTimeoutError after ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            while cp_id not in central.sessions or central.sessions[cp_id].booted is None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    except TimeoutError as exc:
        raise DeviceTimeoutError(f"charge point {cp_id!r} did not register within {timeout_s:g} s") from exc
