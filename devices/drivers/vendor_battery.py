"""A battery (PCS or the battery side of a hybrid inverter) over a vendor YAML map: power + = discharge to the site.

The map converts the vendor's sign to ours (e.g. Huawei and Sigenergy count charging as positive: ``sign: -1``)
and says how the set-point is written: one signed register, or a mode register with charge/discharge magnitudes
(Huawei forcible charge/discharge, Sigenergy remote EMS command modes).
"""

from __future__ import annotations

from devices.drivers.vendor_base import VendorDriver
from scenarios.device_identity import DeviceKind


class VendorBatteryDriver(VendorDriver):
    """soc, power_kw (+ discharge) every cycle; limits on full reads; kW set-point (+ = discharge)."""

    KIND = DeviceKind.BATTERY
    POSITIVE = "discharge"
