"""The simulator of any vendor-map device: one register image of the map, the physics of every capability it
serves (a hybrid's PV, battery and meter share the image), set-points taken the way the map says they are written.

It is the inverse of :mod:`devices.drivers.vendor_base`: physics values go into the read points (field units →
point units → raw with the point's factor and sign), and control registers written by a driver become physics
set-points with their revert timers. Values the map gives by lookup (charger states) are written as the first
raw value mapping to the physics' value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Self

from devices.inventory import DeviceSpec, resolve_map
from devices.simulators.image import VendorImage
from devices.simulators.physics import BatterySim, EVSim, FacilitySim, PVSim
from devices.vendormap import Capability, SetpointSpec, VendorMap, from_field, unit_factor
from scenarios.device_identity import DeviceKind

Physics = PVSim | BatterySim | EVSim | FacilitySim


class VendorMapHandler:
    """A vendor-map device with the physics of each capability (``sims``: kind → its physics)."""

    def __init__(self, vmap: VendorMap, sims: dict[DeviceKind, Physics]) -> None:
        self.vmap, self.sims = vmap, sims
        self.image = VendorImage(vmap)
        self.limit_expires: dt.datetime | None = None
        for kind, sim in sims.items():
            self._ratings(self.vmap.capability(kind), sim)

    @classmethod
    def for_devices(cls, specs: Sequence[DeviceSpec], facility: FacilitySim) -> Self:
        """The handler of the capabilities ``specs`` (one unit, one map) of ``facility``."""
        first = specs[0] if specs[0].vendor_map or specs[0].map_error else resolve_map(specs[0])
        vmap = first.vendor_map
        if vmap is None:
            raise ValueError(f"{first.key}: {first.map_error}")
        return cls(vmap, {s.kind: _physics(s, facility) for s in specs})

    @classmethod
    def for_device(cls, spec: DeviceSpec, facility: FacilitySim) -> Self:
        """The handler of one vendor-map device."""
        return cls.for_devices([spec], facility)

    def _put(self, cap: Capability, field: str, value: float | None) -> None:
        source = cap.read.get(field)
        if source is None:
            return
        point = self.vmap.point(source.point)
        self.image.set(point.name, None if value is None else from_field(field, point, value, source))

    def _ratings(self, cap: Capability, sim: Physics) -> None:
        if isinstance(sim, PVSim):
            self._put(cap, "rated_kw", sim.array.inverter_kw)
            self._no_limit(cap, sim)
        elif isinstance(sim, BatterySim):
            self._put(cap, "charge_limit_kw", sim.battery.charge_kw)
            self._put(cap, "discharge_limit_kw", sim.battery.discharge_kw)
        elif isinstance(sim, EVSim):
            c = sim.charger
            for name, value in (("max_charge_kw", c.power_kw), ("max_discharge_kw", c.discharge_kw)):
                self._put(cap, name, value)
            self._put(cap, "bidirectional", float(c.bidirectional))

    def _no_limit(self, cap: Capability, sim: PVSim) -> None:
        """Put the PV limit register at "no limit" (100 %, or the rated power)."""
        sp = cap.setpoint
        if sp is None or sp.point is None:
            return
        point = self.vmap.point(sp.point)
        if unit_factor(point.units, "%") is not None:
            self.image.set(point.name, 100.0)
        else:
            self.image.set(point.name, from_field("setpoint_kw", point, sim.array.inverter_kw))

    def refresh(self, now: dt.datetime) -> None:
        """Every capability's live values from its physics (meters last: they sum the others)."""
        for kind, sim in sorted(self.sims.items(), key=lambda kv: kv[0] is DeviceKind.METER):
            cap = self.vmap.capability(kind)
            if isinstance(sim, PVSim):
                if self.limit_expires is not None and now >= self.limit_expires:
                    sim.limit_pct, self.limit_expires = 100.0, None
                    self._no_limit(cap, sim)
                self._put(cap, "power_kw", sim.step(now))
                self._put(cap, "energy_kwh", max(sim.energy_kwh, 0.001))
            elif isinstance(sim, BatterySim):
                self._put(cap, "power_kw", sim.step(now))
                self._put(cap, "soc", sim.soc)
                self._release_if_reverted(cap, sim.setpoint_kw is None)
            elif isinstance(sim, EVSim):
                self._refresh_ev(cap, sim, now)
            else:
                kw = sim.meter_kw(now)
                for name, value in (("power_kw", kw), ("import_kwh", sim.import_kwh), ("export_kwh", sim.export_kwh)):
                    self._put(cap, name, max(value, 0.001) if name != "power_kw" else value)

    def _refresh_ev(self, cap: Capability, sim: EVSim, now: dt.datetime) -> None:
        kw = sim.step(now)
        car = sim.car(now)
        self._put(cap, "connected", 0.0 if car is None else 1.0)
        soc = sim.socs.get(car.id) if car is not None else None
        self._put(cap, "vehicle_soc", None if soc is None else float(int(soc * 100)) / 100)
        self._put(cap, "power_kw", kw)
        self._release_if_reverted(cap, sim.setpoint_kw is None)

    def _release_if_reverted(self, cap: Capability, reverted: bool) -> None:
        """When the physics dropped its set-point (revert timer), show it in the control registers."""
        sp = cap.setpoint
        if sp is None or not reverted or not self._active(sp):
            return
        if sp.enable is not None:
            self.image.set(sp.enable[0], 0)
        elif sp.mode is not None:
            back = sp.mode.release if sp.mode.release is not None else sp.mode.hold
            if back is not None:
                self.image.set(sp.mode.point, back)

    def _active(self, sp: SetpointSpec) -> bool:
        """True if the control registers hold a set-point (its fixed values and enable as the map writes them)."""
        if any(self.image.get(name) != value for name, value in sp.before):
            return False
        if sp.enable is not None:
            return self.image.get(sp.enable[0]) == sp.enable[1]
        if sp.mode is not None:
            return self.image.get(sp.mode.point) in (sp.mode.charge, sp.mode.discharge, sp.mode.hold)
        return True

    def _kw(self, point: str | None) -> float | None:
        if point is None:
            return None
        value, factor = self.image.get(point), unit_factor(self.vmap.point(point).units, "kW")
        return float(value) * factor if isinstance(value, (int, float)) and factor is not None else None

    def commanded_kw(self, sp: SetpointSpec, positive: str) -> float | None:
        """The set-point (kW, + per ``positive``) the control registers hold, or None."""
        if not self._active(sp):
            return None
        if sp.point is not None:
            return self._kw(sp.point)
        mode = sp.mode
        value = self.image.get(mode.point) if mode is not None else None
        if mode is None or value == mode.hold:
            return 0.0 if mode is not None else None
        direction = "discharge" if value == mode.discharge else "charge"
        kw = self._kw(sp.discharge if direction == "discharge" else sp.charge)
        return None if kw is None else (abs(kw) if direction == positive else -abs(kw))

    def _expiry(self, sp: SetpointSpec, now: dt.datetime) -> dt.datetime | None:
        if sp.watchdog is None:
            return None
        value = self.image.get(sp.watchdog)
        per_unit = unit_factor(self.vmap.point(sp.watchdog).units, "s") or 1.0
        return (
            now + dt.timedelta(seconds=float(value) * per_unit) if isinstance(value, (int, float)) and value else None
        )

    def on_write(self, now: dt.datetime) -> None:
        """Turn the control registers into physics set-points (battery + = discharge, EV + = charge, PV limit %)."""
        for kind, sim in self.sims.items():
            sp = self.vmap.capability(kind).setpoint
            if sp is None:
                continue
            if isinstance(sim, BatterySim | EVSim):
                sim.step(now)
                sim.setpoint_kw = self.commanded_kw(sp, "discharge" if isinstance(sim, BatterySim) else "charge")
                sim.setpoint_expires = self._expiry(sp, now) if sim.setpoint_kw is not None else None
            elif isinstance(sim, PVSim):
                kw = self.commanded_kw(sp, "discharge")
                pct = (
                    self.image.get(sp.point) if sp.point and unit_factor(self.vmap.point(sp.point).units, "%") else None
                )
                if isinstance(pct, (int, float)):
                    sim.limit_pct = float(pct)
                elif kw is not None:
                    sim.limit_pct = min(kw / sim.array.inverter_kw * 100.0, 100.0)
                self.limit_expires = self._expiry(sp, now)


def _physics(spec: DeviceSpec, facility: FacilitySim) -> Physics:
    if spec.kind is DeviceKind.PV:
        return facility.pv_for(spec.asset)
    if spec.kind is DeviceKind.BATTERY:
        return facility.battery_for(spec.asset)
    if spec.kind is DeviceKind.EV:
        return facility.charger_for(spec.asset)
    return facility
