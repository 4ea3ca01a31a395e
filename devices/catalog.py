"""The device types this EMS ships, one entry per (kind, family): the one place a new type is registered.

Each entry names the driver that reads and writes the device, the simulator handler that stands in for it in
tests and ``ems up`` (and, for devices that share one Modbus address with other capabilities, the simulator of
the shared unit), and the set-point the guarded write path may send (None: read-only). See
``docs/howto/add-a-device-type.md``.
"""

from __future__ import annotations

from functools import cache

from devices.drivers.echonet_battery import EchonetBatteryDriver
from devices.drivers.echonet_meter import EchonetMeterDriver
from devices.drivers.echonet_pv import EchonetPVDriver
from devices.drivers.echonet_v2h import EchonetV2HDriver
from devices.drivers.ocpp_ev_charger import OcppEVChargerDriver
from devices.drivers.sunspec_battery import BatteryDriver
from devices.drivers.sunspec_meter import MeterDriver
from devices.drivers.sunspec_pv import PVInverterDriver
from devices.drivers.vendor_battery import VendorBatteryDriver
from devices.drivers.vendor_ev_charger import EVChargerDriver
from devices.drivers.vendor_meter import VendorMeterDriver
from devices.drivers.vendor_pv import VendorPVDriver
from devices.inventory import DriverFamily
from devices.registry import DeviceType, DriverRegistry
from devices.simulators.handlers import BatteryHandler, MeterHandler, PVHandler
from devices.simulators.hybrid_handler import SunSpecHybridHandler
from devices.simulators.vendor_handler import VendorMapHandler
from scenarios.device_identity import DeviceKind

BUILTIN_TYPES: tuple[DeviceType, ...] = (
    # SunSpec inverter 101-103/111-113 + 120/123 (160 on a hybrid); curtailment in % of WMax
    DeviceType(
        DeviceKind.PV,
        DriverFamily.SUNSPEC,
        driver=PVInverterDriver.from_spec,
        simulator=PVHandler.for_device,
        setpoint="limit_pct",
        shared_simulator=SunSpecHybridHandler.for_devices,
    ),
    # SunSpec battery: DER 701/702/704/713, or 124/802 (power from 802 W or the 160 storage ports); kW, + = discharge
    DeviceType(
        DeviceKind.BATTERY,
        DriverFamily.SUNSPEC,
        driver=BatteryDriver.from_spec,
        simulator=BatteryHandler.for_device,
        setpoint="setpoint_kw",
        shared_simulator=SunSpecHybridHandler.for_devices,
    ),
    # SunSpec meter 201-204 / 211-214 at the grid connection; + = import
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
        simulator=VendorMapHandler.for_device,
        setpoint="setpoint_kw",
        shared_simulator=VendorMapHandler.for_devices,
    ),
    # PV inverter over a vendor YAML map (huawei_sun2000, sigenergy); curtailment in % (if the map has it)
    DeviceType(
        DeviceKind.PV,
        DriverFamily.VENDOR_MAP,
        driver=VendorPVDriver.from_spec,
        simulator=VendorMapHandler.for_device,
        setpoint="limit_pct",
        shared_simulator=VendorMapHandler.for_devices,
    ),
    # Battery / hybrid battery side over a vendor YAML map; kW set-point, + = discharge
    DeviceType(
        DeviceKind.BATTERY,
        DriverFamily.VENDOR_MAP,
        driver=VendorBatteryDriver.from_spec,
        simulator=VendorMapHandler.for_device,
        setpoint="setpoint_kw",
        shared_simulator=VendorMapHandler.for_devices,
    ),
    # Grid meter over a vendor YAML map (a hybrid's power sensor); + = import
    DeviceType(
        DeviceKind.METER,
        DriverFamily.VENDOR_MAP,
        driver=VendorMeterDriver.from_spec,
        simulator=VendorMapHandler.for_device,
        setpoint=None,
        shared_simulator=VendorMapHandler.for_devices,
    ),
    # ECHONET Lite (UDP 3610, pychonet) - simulated by devices/simulators/echonet_fleet.py, one node per host
    # storage battery 0x027D: 0xDA mode + 0xEB/0xEC W; kW set-point, + = discharge
    DeviceType(
        DeviceKind.BATTERY, DriverFamily.ECHONET_LITE, driver=EchonetBatteryDriver.from_spec, setpoint="setpoint_kw"
    ),
    # EV charger/discharger (V2H) 0x027E: 0xDA mode + 0xEB/0xEC W; kW set-point, + = charging the car
    DeviceType(DeviceKind.EV, DriverFamily.ECHONET_LITE, driver=EchonetV2HDriver.from_spec, setpoint="setpoint_kw"),
    # household PV 0x0279: output power control setting 1 (0xA0) in %
    DeviceType(DeviceKind.PV, DriverFamily.ECHONET_LITE, driver=EchonetPVDriver.from_spec, setpoint="limit_pct"),
    # low-voltage smart electric energy meter 0x0288 (Route B); + = import
    DeviceType(DeviceKind.METER, DriverFamily.ECHONET_LITE, driver=EchonetMeterDriver.from_spec, setpoint=None),
    # OCPP 1.6J charge point connected to the central system: SetChargingProfile in W or A; kW, + = charging
    DeviceType(DeviceKind.EV, DriverFamily.OCPP16, driver=OcppEVChargerDriver.from_spec, setpoint="setpoint_kw"),
)


@cache
def builtin_registry() -> DriverRegistry:
    """The registry of the shipped device types (built once)."""
    return DriverRegistry(BUILTIN_TYPES)
