"""The low-voltage smart electric energy meter (ECHONET Lite class 0x0288, Route B): + = purchase (import)."""

from __future__ import annotations

from collections.abc import Mapping

from devices.capabilities import Values
from devices.drivers.echonet_base import EchonetDriver, signed, unsigned
from scenarios.device_identity import DeviceKind

POWER, IMPORT, EXPORT, UNIT, COEFFICIENT = 0xE7, 0xE0, 0xE3, 0xE1, 0xD3
UNITS_KWH = {0x00: 1.0, 0x01: 0.1, 0x02: 0.01, 0x03: 0.001, 0x04: 0.0001, 0x0A: 10.0, 0x0B: 100.0, 0x0C: 1000.0}
"""0xE1: the unit of the cumulative energies in kWh."""


class EchonetMeterDriver(EchonetDriver):
    """power_kw (0xE7 W, + = import) every cycle; cumulative import/export (0xE0/0xE3 × coefficient 0xD3 × unit
    0xE1) on full reads."""

    KIND = DeviceKind.METER
    FAST = (POWER,)
    SLOW = (IMPORT, EXPORT, UNIT, COEFFICIENT)

    def decode(self, raw: Mapping[int, bytes], full: bool) -> Values:
        """Meter fields in kW and kWh."""
        watts = signed(raw.get(POWER))
        kw = None if watts is None else watts / 1000
        values: Values = {
            "power_kw": kw,
            "import_kw": None if kw is None else max(kw, 0.0),
            "export_kw": None if kw is None else max(-kw, 0.0),
        }
        if full:
            unit_code = unsigned(raw.get(UNIT))
            unit = UNITS_KWH.get(unit_code if unit_code is not None else 0x00)
            if unit is None:
                self.invalid.append("unit")
            scale = (unit or 0.0) * (unsigned(raw.get(COEFFICIENT)) or 1)
            imp, exp = unsigned(raw.get(IMPORT)), unsigned(raw.get(EXPORT))
            values["import_kwh"] = None if imp is None or unit is None else imp * scale
            values["export_kwh"] = None if exp is None or unit is None else exp * scale
        return values
