"""An EV charger over OCPP 1.6J: a connector of a charge point connected to the EMS's central system.

Reads come from what the charge point last reported (StatusNotification, MeterValues), so a read never waits on the
wire; a charge point that is not connected, or whose MeterValues are older than ``stale_after_s``, fails the read
(the poller marks it stale). The set-point (kW, + = charging the car; OCPP 1.6 has no discharge) is sent as a
SetChargingProfile in W or A per the endpoint; a positive set-point on a connector with a car but no transaction
sends RemoteStartTransaction first. The read-back is the limit the charge point accepted, in kW.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Self

from devices.capabilities import Values, utc_now
from devices.modbus_client import DeviceTimeoutError
from devices.registry import DeviceConfigError
from scenarios.assets import EVCharger, OcppEndpoint

if TYPE_CHECKING:
    from devices.inventory import DeviceSpec
    from devices.ocpp_central import CentralSystem, ConnectorState
    from devices.registry import Transports


PLUGGED = {"Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"}
"""Connector states with a car plugged in (OCPP 1.6 §7.7)."""


class OcppEVChargerDriver:
    """One connector of one OCPP 1.6J charge point; ``max_charge_kw`` is the asset's rating."""

    def __init__(self, central: CentralSystem, endpoint: OcppEndpoint, max_charge_kw: float) -> None:
        self.central, self.endpoint, self.max_charge_kw = central, endpoint, max_charge_kw
        self.stale_after_s = 120.0

    @classmethod
    def from_spec(cls, spec: DeviceSpec, transports: Transports) -> Self:
        """The driver of one charger: the poller's central system, the endpoint's charge point and connector."""
        ep, asset = spec.endpoint, spec.asset
        if not isinstance(ep, OcppEndpoint) or not isinstance(asset, EVCharger):
            raise DeviceConfigError(f"{spec.key}: not an OCPP charger (give an ocpp endpoint on an ev_charger)")
        return cls(transports.ocpp(), ep, asset.power_kw)

    def _state(self) -> ConnectorState:
        return self.central.session(self.endpoint.charge_point_id).connector(self.endpoint.connector_id)

    async def connect(self) -> None:
        """Nothing to discover; fails while the charge point is not connected."""
        self._state()

    def kw_of(self, limit: tuple[float, str] | None) -> float | None:
        """A profile limit in kW (A × voltage × phases for A limits)."""
        if limit is None:
            return None
        value, unit = limit
        ep = self.endpoint
        return value / 1000 if unit == "W" else value * ep.voltage_v * ep.phases / 1000

    async def read(self, full: bool) -> tuple[Values, list[str]]:
        """The connector's last report: connected, vehicle_soc, power_kw (+ = charging), set-point; ratings."""
        state = self._state()
        now = utc_now()
        if state.metered_at is None or (now - state.metered_at) > dt.timedelta(seconds=self.stale_after_s):
            raise DeviceTimeoutError(f"charge point {self.endpoint.charge_point_id!r}: no recent MeterValues")
        values: Values = {
            "connected": None if state.status is None else float(state.status in PLUGGED),
            "vehicle_soc": None if state.soc_pct is None else state.soc_pct / 100,
            "power_kw": None if state.power_w is None else state.power_w / 1000,
            "setpoint_kw": self.kw_of(state.limit),
        }
        if full:
            values |= {"bidirectional": 0.0, "max_charge_kw": self.max_charge_kw, "max_discharge_kw": 0.0}
        return values, []

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """SetChargingProfile at ``value`` kW (RemoteStart first if a car waits without a transaction)."""
        if value < 0:
            raise PermissionError(f"charge point {self.endpoint.charge_point_id!r}: OCPP 1.6 cannot discharge a car")
        ep, state = self.endpoint, self._state()
        if value > 0 and state.transaction_id is None and state.status in PLUGGED:
            await self.central.remote_start(ep.charge_point_id, ep.connector_id)
        limit = value * 1000 if ep.limit_unit == "W" else value * 1000 / (ep.voltage_v * ep.phases)
        await self.central.set_limit(ep.charge_point_id, ep.connector_id, limit, ep.limit_unit, ep.profile)
        return self.kw_of(self._state().limit)
