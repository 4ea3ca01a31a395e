"""The simulated ECHONET Lite objects, in step with the facility physics: storage battery 0x027D, EV
charger/discharger (V2H) 0x027E, household PV 0x0279 and the low-voltage smart electric energy meter 0x0288.

Property codes, sizes and units as the ECHONET Lite Appendix (Detailed Requirements for ECHONET Device Objects)
gives them; ECHONET's sign for batteries and V2H is **+ = charging** (the EMS's battery convention is the opposite;
the drivers convert). Set-points: operation mode 0xDA (0x42 charging, 0x43 discharging, 0x44 standby, 0x46 auto)
with the charging / discharging power settings 0xEB / 0xEC in W; PV curtailment through output power control
setting 1 (0xA0, %).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from devices.echonet_types import CLASS_CODES
from devices.inventory import DeviceSpec
from devices.simulators.echonet_node import Getter, Setter, SimObject, constants, s, u
from devices.simulators.physics import BatterySim, EVSim, FacilitySim, PVSim
from scenarios.assets import EchonetEndpoint
from scenarios.device_identity import DeviceKind

Clock = Callable[[], dt.datetime]
ON = b"\x30"
CHARGING, DISCHARGING, STANDBY, AUTO = 0x42, 0x43, 0x44, 0x46


class ModeControl:
    """Operation mode 0xDA with charging/discharging power settings 0xEB/0xEC (W), turned into a set-point in kW
    (+ = charging, ECHONET's sign) on the physics through ``apply``."""

    def __init__(self, apply: Callable[[float | None], None], max_charge_w: float, max_discharge_w: float) -> None:
        self.apply, self.max_charge_w, self.max_discharge_w = apply, max_charge_w, max_discharge_w
        self.mode, self.charge_w, self.discharge_w = AUTO, max_charge_w, max_discharge_w

    def _update(self) -> None:
        target = {CHARGING: self.charge_w / 1000, DISCHARGING: -self.discharge_w / 1000, STANDBY: 0.0}
        self.apply(target.get(self.mode))

    def set_mode(self, edt: bytes) -> bool:
        """0xDA: one byte, one of charging, discharging, standby, auto."""
        if len(edt) != 1 or edt[0] not in (CHARGING, DISCHARGING, STANDBY, AUTO):
            return False
        self.mode = edt[0]
        self._update()
        return True

    def set_charge(self, edt: bytes) -> bool:
        """0xEB: 4 bytes, W, within 0..the rated charge power."""
        value = int.from_bytes(edt, "big")
        if len(edt) != 4 or value > self.max_charge_w:
            return False
        self.charge_w = value
        self._update()
        return True

    def set_discharge(self, edt: bytes) -> bool:
        """0xEC: 4 bytes, W, within 0..the rated discharge power."""
        value = int.from_bytes(edt, "big")
        if len(edt) != 4 or value > self.max_discharge_w:
            return False
        self.discharge_w = value
        self._update()
        return True

    def props(self) -> tuple[dict[int, Getter], dict[int, Setter]]:
        """Getters and setters of 0xDA, 0xEB, 0xEC."""
        getters: dict[int, Getter] = {
            0xDA: lambda: bytes([self.mode]),
            0xEB: lambda: u(self.charge_w, 4),
            0xEC: lambda: u(self.discharge_w, 4),
        }
        return getters, {0xDA: self.set_mode, 0xEB: self.set_charge, 0xEC: self.set_discharge}


def min_max(low_w: float, high_w: float) -> bytes:
    """0xC8/0xC9 minimum/maximum power: minimum then maximum, 4 bytes each, W."""
    return u(low_w, 4) + u(high_w, 4)


def battery_object(sim: BatterySim, instance: int, clock: Clock) -> SimObject:
    """Storage battery 0x027D: 0xD3 W (+ = charging), 0xE4 SoC %, 0xE2 Wh, 0xCF working status, 0xDA mode."""
    b = sim.battery

    def apply(kw: float | None) -> None:
        sim.step(clock())
        sim.setpoint_kw = None if kw is None else -kw

    control = ModeControl(apply, b.charge_kw * 1000, b.discharge_kw * 1000)
    getters, setters = control.props()

    def working() -> bytes:
        kw = sim.step(clock())
        return bytes([DISCHARGING if kw > 0 else CHARGING if kw < 0 else STANDBY])

    getters |= {
        0x80: lambda: ON,
        0xD3: lambda: s(-sim.step(clock()) * 1000, 4),
        0xE4: lambda: u(sim.soc * 100, 1),
        0xE2: lambda: u(sim.soc * b.capacity_kwh * 1000, 4),
        0xCF: working,
        **constants({0xC8: min_max(0, b.charge_kw * 1000), 0xC9: min_max(0, b.discharge_kw * 1000)}),
        **constants({0xD0: u(b.capacity_kwh * 1000, 4), 0xDB: b"\x00"}),
    }
    return SimObject(CLASS_CODES[DeviceKind.BATTERY], instance, getters, setters)


def v2h_object(sim: EVSim, instance: int, clock: Clock) -> SimObject:
    """EV charger/discharger 0x027E: 0xD3 W (+ = charging the car), 0xC7 connection, 0xE4 car SoC %, 0xDA mode."""
    c = sim.charger

    def apply(kw: float | None) -> None:
        sim.step(clock())
        sim.setpoint_kw = kw

    control = ModeControl(apply, c.power_kw * 1000, c.discharge_kw * 1000)
    getters, setters = control.props()

    def connection() -> bytes:
        if sim.car(clock()) is None:
            return b"\x30"
        return b"\x43" if c.bidirectional else b"\x41"

    def car_soc() -> bytes:
        car = sim.car(clock())
        return b"\xfd" if car is None else u(sim.socs.get(car.id, car.initial_soc) * 100, 1)

    getters |= {
        0x80: lambda: ON,
        0xD3: lambda: s(sim.step(clock()) * 1000, 4),
        0xC7: connection,
        0xE4: car_soc,
        0xD8: lambda: u(sim.energy_kwh * 1000, 4),
        **constants({0xC5: u(c.power_kw * 1000, 4), 0xC6: u(c.discharge_kw * 1000, 4)}),
    }
    return SimObject(CLASS_CODES[DeviceKind.EV], instance, getters, setters)


def pv_object(sim: PVSim, instance: int, clock: Clock) -> SimObject:
    """Household PV 0x0279: 0xE0 W generated, 0xE1 cumulative kWh × 1000, 0xA0 output limit %, 0xE8 rated W."""

    def set_limit(edt: bytes) -> bool:
        if len(edt) != 1 or edt[0] > 100:
            return False
        sim.step(clock())
        sim.limit_pct = float(edt[0])
        return True

    def restraint() -> bytes:
        return b"\x41" if sim.limit_pct < 100 else b"\x44"

    getters: dict[int, Getter] = {
        0x80: lambda: ON,
        0xE0: lambda: u(sim.step(clock()) * 1000, 2),
        0xE1: lambda: u(sim.energy_kwh * 1000, 4),
        0xA0: lambda: u(sim.limit_pct, 1),
        0xD1: restraint,
        **constants({0xE8: u(sim.array.inverter_kw * 1000, 2), 0xD0: b"\x00"}),
    }
    return SimObject(CLASS_CODES[DeviceKind.PV], instance, getters, {0xA0: set_limit})


def meter_object(facility: FacilitySim, instance: int, clock: Clock) -> SimObject:
    """Low-voltage smart meter 0x0288: 0xE7 W (+ = purchase), 0xE0/0xE3 cumulative normal/reverse in 0.1 kWh
    (unit 0xE1 = 0x01, coefficient 0xD3 = 1), 0xD7 7 digits."""
    getters: dict[int, Getter] = {
        0x80: lambda: ON,
        0xE7: lambda: s(facility.meter_kw(clock()) * 1000, 4),
        0xE0: lambda: u(facility.import_kwh * 10, 4),
        0xE3: lambda: u(facility.export_kwh * 10, 4),
        **constants({0xE1: b"\x01", 0xD3: u(1, 4), 0xD7: b"\x07"}),
    }
    return SimObject(CLASS_CODES[DeviceKind.METER], instance, getters)


def object_for(spec: DeviceSpec, facility: FacilitySim, clock: Clock) -> SimObject:
    """The simulated object of one ECHONET Lite device of the scenario (its physics)."""
    endpoint = spec.endpoint
    if not isinstance(endpoint, EchonetEndpoint):
        raise ValueError(f"{spec.key}: not an ECHONET Lite device")
    n = endpoint.instance
    if spec.kind is DeviceKind.BATTERY:
        return battery_object(facility.battery_for(spec.asset), n, clock)
    if spec.kind is DeviceKind.EV:
        return v2h_object(facility.charger_for(spec.asset), n, clock)
    if spec.kind is DeviceKind.PV:
        return pv_object(facility.pv_for(spec.asset), n, clock)
    return meter_object(facility, n, clock)
