"""The device types this EMS ships, one entry per (kind, family): the one place a new type is registered.

Each entry names the driver that reads and writes the device, the simulator handler that stands in for it in
tests and ``ems up``, and the set-point the guarded write path may send (None: read-only). See
``docs/howto/add-a-device-type.md``.
"""

from __future__ import annotations

from functools import cache

from devices.drivers.sunspec_battery import BatteryDriver
from devices.drivers.sunspec_meter import MeterDriver
from devices.drivers.sunspec_pv import PVInverterDriver
from devices.drivers.vendor_ev_charger import EVChargerDriver
from devices.inventory import DriverFamily
from devices.registry import DeviceType, DriverRegistry
from devices.simulators.handlers import BatteryHandler, EVHandler, MeterHandler, PVHandler
from scenarios.device_identity import DeviceKind

BUILTIN_TYPES: tuple[DeviceType, ...] = (
    # SunSpec inverter 101/103 + 120/123; curtailment in % of WMax
    DeviceType(
        DeviceKind.PV,
        DriverFamily.SUNSPEC,
        driver=PVInverterDriver.from_spec,
        simulator=PVHandler.for_device,
        setpoint="limit_pct",
    ),
    # SunSpec DER battery 701/702/704/713 (or 124/802); kW set-point, + = discharge
    DeviceType(
        DeviceKind.BATTERY,
        DriverFamily.SUNSPEC,
        driver=BatteryDriver.from_spec,
        simulator=BatteryHandler.for_device,
        setpoint="setpoint_kw",
    ),
    # SunSpec meter 201/203 at the grid connection; + = import
    DeviceType(
        DeviceKind.METER,
        DriverFamily.SUNSPEC,
        driver=MeterDriver.from_spec,
        simulator=MeterHandler.for_device,
        setpoint=None,
    ),
    # EV charger over a vendor YAML map (ev_charger_generic); kW set-point, + = charging the car
    DeviceType(
        DeviceKind.EV,
        DriverFamily.VENDOR_MAP,
        driver=EVChargerDriver.from_spec,
        simulator=EVHandler.for_device,
        setpoint="setpoint_kw",
    ),
)


@cache
def builtin_registry() -> DriverRegistry:
    """The registry of the shipped device types (built once)."""
    return DriverRegistry(BUILTIN_TYPES)
