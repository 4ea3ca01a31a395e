"""An EV charger over a vendor YAML map (e.g. ``ev_charger_generic``): power + = charging the car, − = V2H."""

from __future__ import annotations

from devices.drivers.vendor_base import VendorDriver
from scenarios.device_identity import DeviceKind


class EVChargerDriver(VendorDriver):
    """connected, vehicle_soc, power_kw (+ charging the car) every cycle; ratings on full reads; kW set-point
    (+ = charge, − = V2H discharge) with the map's watchdog."""

    KIND = DeviceKind.EV
    POSITIVE = "charge"
