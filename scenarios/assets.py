"""Typed assets of a facility: device endpoints (Modbus TCP, ECHONET Lite, OCPP 1.6J), PV arrays, batteries, EV
chargers, meters.

Each monitored asset names the protocol its device speaks by the one endpoint field it sets: ``modbus``,
``echonet`` (ECHONET Lite over UDP 3610) or, for EV chargers, ``ocpp`` (a charge point of the central system).

Units: power in kW, energy in kWh, SoC as a fraction 0..1, angles in degrees.
Every model forbids unknown fields so that a typo in a scenario file is an error, not a silent default.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IDENTIFIER = r"^[a-z0-9][a-z0-9_\-]*$"


class Strict(BaseModel):
    """Base for every scenario model: frozen, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ModbusEndpoint(Strict):
    """Where a device answers Modbus TCP."""

    host: str = Field("127.0.0.1", description="Host name or IP address of the device or its gateway.")
    port: int = Field(502, ge=1, le=65535, description="TCP port (502 is the Modbus default).")
    unit_id: int = Field(1, ge=0, le=247, description="Modbus unit id (slave id) behind the endpoint.")
    register_map: str = Field(
        "sunspec",
        description="Register map: 'sunspec' (discovered from the SunS marker) or a vendor map name.",
    )
    base_address: int | None = Field(
        None, ge=0, le=65535, description="SunSpec base register (0-based); None means discover (40000, 0, 50000)."
    )
    timeout_s: float = Field(1.0, gt=0, le=30, description="Per-request timeout in seconds.")
    watchdog_s: float | None = Field(
        None, gt=0, description="Seconds after which the device reverts a set-point unless it is re-sent."
    )


ECHONET_PORT = 3610
"""The UDP port of ECHONET Lite (fixed by the specification)."""


class EchonetEndpoint(Strict):
    """Where a device answers ECHONET Lite (UDP 3610): its node's IPv4 address and the instance number of its object.

    The object's class follows from the asset: storage battery 0x027D, EV charger/discharger (V2H) 0x027E,
    household PV 0x0279, low-voltage smart electric energy meter 0x0288 (Route B). Several objects of one facility
    may share one node (host), e.g. a HEMS controller exposing a battery and a PV inverter.
    """

    host: str = Field(
        pattern=r"^\d{1,3}(\.\d{1,3}){3}$", description="IPv4 address of the ECHONET Lite node (UDP port 3610)."
    )
    instance: int = Field(1, ge=1, le=0x7F, description="Instance code of the object on its node (1..127).")
    timeout_s: float = Field(2.0, gt=0, le=30, description="Seconds to wait for a response to one request.")
    watchdog_s: float | None = Field(
        None,
        gt=0,
        description="Seconds after which the EMS re-sends a held set-point (ECHONET Lite devices keep a set-point "
        "until changed; None: sent once).",
    )


class OcppEndpoint(Strict):
    """An EV charge point that connects to the EMS's OCPP 1.6J central system (WebSocket) under its identity.

    The dispatch step sends charge power as a SetChargingProfile (``profile``: TxDefaultProfile, or TxProfile for
    the running transaction) in ``limit_unit`` W, or in A per phase at ``voltage_v`` × ``phases``.
    """

    charge_point_id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-.]{0,47}$", description="The charge point identity (last path segment)."
    )
    connector_id: int = Field(1, ge=1, le=16, description="The connector this asset is (1 = the first).")
    limit_unit: Literal["W", "A"] = Field("W", description="Unit of the charging-profile limit: W or A (per phase).")
    profile: Literal["TxDefaultProfile", "TxProfile"] = Field(
        "TxDefaultProfile", description="Charging profile purpose used for set-points."
    )
    voltage_v: float = Field(200.0, gt=0, le=1000, description="Phase voltage in V for A limits (Japan: 200 V).")
    phases: int = Field(1, ge=1, le=3, description="Phases the charger uses (for A limits).")
    timeout_s: float = Field(5.0, gt=0, le=60, description="Seconds to wait for the charge point's answer.")
    watchdog_s: float | None = Field(
        None, gt=0, description="Seconds after which the EMS re-sends a held set-point (None: sent once)."
    )


Endpoint = ModbusEndpoint | EchonetEndpoint | OcppEndpoint
"""Where a monitored asset's device answers: one of the three protocols."""


def _one_protocol(asset: BaseModel, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if getattr(asset, name) is not None]
    if len(given) > 1:
        raise ValueError(f"give one protocol per device, not {' and '.join(given)}: keep the one the device speaks")


class PVArray(Strict):
    """A PV array with its own inverter (AC side limited at inverter_kw)."""

    id: str = Field(pattern=IDENTIFIER, description="Array id, unique within the facility.")
    kwp: float = Field(gt=0, le=10_000, description="DC nameplate power in kWp.")
    inverter_kw: float = Field(gt=0, le=10_000, description="Inverter AC limit in kW (clipping).")
    tilt_deg: float = Field(20.0, ge=0, le=90, description="Surface tilt from horizontal in degrees.")
    azimuth_deg: float = Field(
        180.0, ge=0, lt=360, description="Surface azimuth in degrees clockwise from north (180 = south)."
    )
    losses_pct: float = Field(14.0, ge=0, lt=100, description="System losses in % (PVWatts convention).")
    temp_coeff_per_c: float = Field(-0.0037, ge=-0.01, le=0, description="Power temperature coefficient in 1/°C.")
    self_sustained_kw: float = Field(
        0.0,
        ge=0,
        le=100,
        description="Rating in kW of the PCS's self-sustained outlet (自立運転) in an outage; 0 = none.",
    )
    modbus: ModbusEndpoint | None = Field(None, description="Inverter Modbus endpoint; None if not monitored.")
    echonet: EchonetEndpoint | None = Field(None, description="Household PV object (0x0279) over ECHONET Lite.")

    @model_validator(mode="after")
    def _protocol(self) -> PVArray:
        _one_protocol(self, ("modbus", "echonet"))
        return self


class Battery(Strict):
    """A stationary battery with its power conversion system."""

    id: str = Field(pattern=IDENTIFIER, description="Battery id, unique within the facility.")
    capacity_kwh: float = Field(gt=0, le=100_000, description="Usable energy capacity in kWh.")
    charge_kw: float = Field(gt=0, le=100_000, description="Maximum charge power in kW (AC side).")
    discharge_kw: float = Field(gt=0, le=100_000, description="Maximum discharge power in kW (AC side).")
    charge_efficiency: float = Field(0.95, gt=0, le=1, description="AC-to-stored efficiency (fraction).")
    discharge_efficiency: float = Field(0.95, gt=0, le=1, description="Stored-to-AC efficiency (fraction).")
    soc_min: float = Field(0.1, ge=0, le=1, description="Lowest allowed state of charge (fraction).")
    soc_max: float = Field(0.95, ge=0, le=1, description="Highest allowed state of charge (fraction).")
    reserve_soc: float = Field(
        0.0, ge=0, le=1, description="State of charge kept for outages (shelter reserve), fraction."
    )
    initial_soc: float = Field(0.5, ge=0, le=1, description="Assumed SoC when no reading exists (fraction).")
    degradation_cost_jpy_per_kwh: float = Field(
        2.0, ge=0, description="Throughput (wear) cost in JPY per kWh charged or discharged."
    )
    modbus: ModbusEndpoint | None = Field(None, description="Battery/PCS Modbus endpoint.")
    echonet: EchonetEndpoint | None = Field(None, description="Storage battery object (0x027D) over ECHONET Lite.")

    @model_validator(mode="after")
    def _soc_order(self) -> Battery:
        _one_protocol(self, ("modbus", "echonet"))
        if self.soc_min >= self.soc_max:
            raise ValueError(f"soc_min ({self.soc_min}) must be < soc_max ({self.soc_max})")
        return self

    @property
    def floor_soc(self) -> float:
        """Lowest SoC (fraction) the battery is ever discharged to, by the plan and by the real-time follower
        alike: max(soc_min, reserve_soc). The one definition of the floor (issue 12)."""
        return max(self.soc_min, self.reserve_soc)


class EVCharger(Strict):
    """An EV charge point; bidirectional ones can discharge the car (V2H)."""

    id: str = Field(pattern=IDENTIFIER, description="Charger id, unique within the facility.")
    power_kw: float = Field(gt=0, le=400, description="Maximum charge power in kW.")
    min_power_kw: float = Field(
        0.0, ge=0, description="Minimum non-zero charge power in kW (e.g. 6 A x 230 V); 0 = continuous."
    )
    bidirectional: bool = Field(False, description="True if the charger can discharge the car (V2H).")
    discharge_kw: float = Field(0.0, ge=0, le=400, description="Maximum discharge power in kW (V2H).")
    efficiency: float = Field(0.92, gt=0, le=1, description="One-way conversion efficiency (fraction).")
    modbus: ModbusEndpoint | None = Field(None, description="Charger Modbus endpoint.")
    echonet: EchonetEndpoint | None = Field(
        None, description="EV charger/discharger object (0x027E, V2H) over ECHONET Lite."
    )
    ocpp: OcppEndpoint | None = Field(None, description="OCPP 1.6J charge point (connects to the central system).")

    @model_validator(mode="after")
    def _discharge_needs_bidirectional(self) -> EVCharger:
        _one_protocol(self, ("modbus", "echonet", "ocpp"))
        if self.discharge_kw > 0 and not self.bidirectional:
            raise ValueError("discharge_kw > 0 needs bidirectional: true")
        if self.min_power_kw > self.power_kw:
            raise ValueError(f"min_power_kw ({self.min_power_kw}) must be <= power_kw ({self.power_kw})")
        return self


class Meter(Strict):
    """A revenue or sub-meter at the facility's grid connection."""

    id: str = Field(pattern=IDENTIFIER, description="Meter id, unique within the facility.")
    role: str = Field("grid", pattern=r"^(grid|pv|load|ev)$", description="What the meter measures.")
    modbus: ModbusEndpoint | None = Field(None, description="Meter Modbus endpoint (SunSpec 201/203).")
    echonet: EchonetEndpoint | None = Field(
        None, description="Low-voltage smart electric energy meter (0x0288, Route B) over ECHONET Lite."
    )

    @model_validator(mode="after")
    def _protocol(self) -> Meter:
        _one_protocol(self, ("modbus", "echonet"))
        return self
