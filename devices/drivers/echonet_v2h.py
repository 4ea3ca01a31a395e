"""An EV charger/discharger, V2H (ECHONET Lite class 0x027E): power + = charging the car, as ECHONET's 0xD3."""

from __future__ import annotations

from collections.abc import Mapping

from devices.capabilities import Values
from devices.drivers.echonet_base import ModeSetpointDriver, kilo, signed, unsigned
from scenarios.device_identity import DeviceKind

POWER, CONNECTION, CAR_SOC_PCT, RATED_CHARGE, RATED_DISCHARGE = 0xD3, 0xC7, 0xE4, 0xC5, 0xC6
CONNECTED = {0x40, 0x41, 0x42, 0x43}
"""0xC7 vehicle connection: connected (0x40), chargeable, dischargeable, both; 0x30 not connected, 0xFF unknown."""


class EchonetV2HDriver(ModeSetpointDriver):
    """power_kw (0xD3), connected (0xC7), vehicle_soc (0xE4), set-point every cycle; rated powers on full reads."""

    KIND = DeviceKind.EV
    CHARGE_SIGN = 1
    FAST = (POWER, CONNECTION, CAR_SOC_PCT, *ModeSetpointDriver.SETPOINT)
    SLOW = (RATED_CHARGE, RATED_DISCHARGE)

    def decode(self, raw: Mapping[int, bytes], full: bool) -> Values:
        """EV charger fields in kW (+ = charging the car); the car's SoC is None when it does not tell (0xFD)."""
        state = unsigned(raw.get(CONNECTION))
        soc = unsigned(raw.get(CAR_SOC_PCT))
        values: Values = {
            "connected": None if state is None or state == 0xFF else float(state in CONNECTED),
            "vehicle_soc": None if soc is None or soc > 100 else soc / 100,
            "power_kw": kilo(signed(raw.get(POWER))),
            "setpoint_kw": self.setpoint_kw(raw),
        }
        if full:
            discharge = kilo(unsigned(raw.get(RATED_DISCHARGE)))
            values["max_charge_kw"] = kilo(unsigned(raw.get(RATED_CHARGE)))
            values["max_discharge_kw"] = discharge
            values["bidirectional"] = None if discharge is None else float(discharge > 0)
        return values
