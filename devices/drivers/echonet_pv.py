"""Household PV (ECHONET Lite class 0x0279): generation in kW, curtailment through output power control 0xA0 (%)."""

from __future__ import annotations

from collections.abc import Mapping

from devices.capabilities import Values
from devices.drivers.echonet_base import EchonetDriver, kilo, unsigned
from scenarios.device_identity import DeviceKind

POWER, ENERGY, LIMIT_PCT, RATED, RESTRAINT = 0xE0, 0xE1, 0xA0, 0xE8, 0xD1
RESTRAINING = {0x41, 0x42, 0x43}
"""0xD1 output power restraint: ongoing (output control, other, unknown reason); 0x44 not restraining."""
MPPT, THROTTLED, STANDBY = 4, 5, 8
"""SunSpec St codes the PV ``status`` field speaks."""


class EchonetPVDriver(EchonetDriver):
    """power_kw (0xE0 W) and limit_pct (0xA0) every cycle; energy (0xE1, 0.001 kWh), rating (0xE8), status on full
    reads (restraint 0xD1 → THROTTLED, else MPPT when generating, STANDBY when not)."""

    KIND = DeviceKind.PV
    FAST = (POWER, LIMIT_PCT)
    SLOW = (ENERGY, RATED, RESTRAINT)

    def decode(self, raw: Mapping[int, bytes], full: bool) -> Values:
        """PV fields: kW, kWh, % and the SunSpec status code."""
        power = kilo(unsigned(raw.get(POWER)))
        limit = self.percent("limit_pct", raw.get(LIMIT_PCT))
        values: Values = {"power_kw": power, "limit_pct": None if limit is None else limit * 100}
        if full:
            restraint = unsigned(raw.get(RESTRAINT))
            status = None if power is None else (MPPT if power > 0 else STANDBY)
            values["status"] = float(THROTTLED) if restraint in RESTRAINING else status
            values["energy_kwh"] = kilo(unsigned(raw.get(ENERGY)))
            values["rated_kw"] = kilo(unsigned(raw.get(RATED)))
        return values

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Write the output limit in % (0..100, whole percent) and read it back."""
        await self.connect()
        if LIMIT_PCT not in self._maps().set:
            raise PermissionError(f"{self.obj}: EPC 0xA0 not in the object's Set property map")
        await self.client.set(self.obj, {LIMIT_PCT: bytes([round(value)])}, self.timeout_s)
        back = unsigned((await self.read_epcs((LIMIT_PCT,))).get(LIMIT_PCT))
        return None if back is None else float(back)
