"""A storage battery (ECHONET Lite class 0x027D): power + = discharge (ECHONET's 0xD3 counts charging as +)."""

from __future__ import annotations

from collections.abc import Mapping

from devices.capabilities import Values
from devices.drivers.echonet_base import ModeSetpointDriver, kilo, signed, unsigned
from scenarios.device_identity import DeviceKind

POWER, SOC_PCT, CHARGE_RANGE, DISCHARGE_RANGE = 0xD3, 0xE4, 0xC8, 0xC9


def max_of_range(edt: bytes | None) -> float | None:
    """kW from a minimum/maximum power property (0xC8/0xC9: two 4-byte W values): the larger of the two (devices
    and libraries disagree on their order)."""
    if not edt or len(edt) != 8:
        return None
    values = [v for v in (unsigned(edt[:4]), unsigned(edt[4:])) if v is not None]
    return kilo(max(values)) if values else None


class EchonetBatteryDriver(ModeSetpointDriver):
    """soc (0xE4 %), power_kw (−0xD3), set-point (0xDA/0xEB/0xEC) every cycle; power limits (0xC8/0xC9) on full
    reads."""

    KIND = DeviceKind.BATTERY
    CHARGE_SIGN = -1
    FAST = (POWER, SOC_PCT, *ModeSetpointDriver.SETPOINT)
    SLOW = (CHARGE_RANGE, DISCHARGE_RANGE)

    def decode(self, raw: Mapping[int, bytes], full: bool) -> Values:
        """Battery fields in kW (+ = discharge) and SoC 0..1."""
        power = signed(raw.get(POWER))
        values: Values = {
            "soc": self.percent("soc", raw.get(SOC_PCT)),
            "power_kw": None if power is None else -power / 1000,
            "setpoint_kw": self.setpoint_kw(raw),
        }
        if full:
            values["charge_limit_kw"] = max_of_range(raw.get(CHARGE_RANGE))
            values["discharge_limit_kw"] = max_of_range(raw.get(DISCHARGE_RANGE))
        return values
