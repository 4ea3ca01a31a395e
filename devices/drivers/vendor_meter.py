"""A grid meter over a vendor YAML map (e.g. the power sensor a hybrid inverter reports): + = import."""

from __future__ import annotations

from devices.capabilities import Values
from devices.drivers.vendor_base import RawValues, VendorDriver
from scenarios.device_identity import DeviceKind


class VendorMeterDriver(VendorDriver):
    """power_kw (+ import) every cycle, import/export kW derived from it; lifetime kWh on full reads; read-only."""

    KIND = DeviceKind.METER

    def derive(self, values: Values, raw: RawValues, full: bool) -> Values:
        """import_kw/export_kw from power_kw unless the map gives them."""
        power = values.get("power_kw")
        if "import_kw" not in self.cap.read:
            values["import_kw"] = None if power is None else max(power, 0.0)
        if "export_kw" not in self.cap.read:
            values["export_kw"] = None if power is None else max(-power, 0.0)
        return values

    async def write_setpoint(self, value: float, revert_s: float | None) -> float | None:
        """Meters take no set-point."""
        raise PermissionError(f"{self.vmap.label}: a meter has no set-point")
