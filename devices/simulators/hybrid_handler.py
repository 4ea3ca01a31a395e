"""A simulated SunSpec hybrid inverter: PV strings and a battery behind one unit, laid out as Fronius GEN24 does.

Models 1, 103 (AC output of PV and battery together), 120, 121, 123 (PV curtailment), 124 (basic storage
controls: SoC as ChaState, the set-point as OutWRte/InWRte in % of WChaMax) and 160 with four modules: two PV
strings, then the battery ports ``StCha 3`` (charging power) and ``StDisCha 4`` (discharging power). There is no
701/713/802: the drivers must get battery power from the 160 ports and SoC from 124.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Self

from devices.inventory import DeviceSpec
from devices.registermap import sunspec_model
from devices.simulators.handlers import PVHandler, common, sf_for
from devices.simulators.image import SunSpecImage
from devices.simulators.physics import BatterySim, FacilitySim, PVSim
from scenarios.device_identity import DeviceKind

HYBRID_MODELS = (1, 103, 120, 121, 123, 124)
MODULES = ("PV 1", "PV 2", "StCha 3", "StDisCha 4")


class SunSpecHybridHandler:
    """PV and battery physics behind one SunSpec unit (Fronius-style 103 + 124 + 160)."""

    def __init__(self, pv: PVSim, battery: BatterySim, serial: str, base: int = 40000) -> None:
        self.pv_sim, self.battery = pv, battery
        image = SunSpecImage(HYBRID_MODELS, base, sf=0, end_marker=False)
        image.add_model(sunspec_model(160), sf=0, counts={"module": len(MODULES)})
        image.words += [0xFFFF, 0]
        self.image = image
        self.pv = PVHandler(pv, serial, image=image)  # the PV side: 103/120/121/123 as a plain inverter
        common(image, "Hybrid inverter", serial)
        b = battery.battery
        peak_w = max(pv.array.inverter_kw, b.discharge_kw, b.charge_kw) * 1000
        image.set_sf(160, "DCW_SF", sf_for(peak_w, 65534))
        image.set_sf(124, "WChaMax_SF", sf_for(b.charge_kw * 1000, 65534))
        image.set_sf(124, "ChaState_SF", -1)
        image.set_sf(124, "InOutWRte_SF", -1)
        image.set(160, "N", len(MODULES))
        for i, label in enumerate(MODULES, start=1):
            image.set(160, f"module[{i}].ID", i)
            image.set(160, f"module[{i}].IDStr", label)
        image.set(124, "WChaMax", b.charge_kw * 1000)
        for name, value in (("StorCtl_Mod", 0), ("OutWRte", 0), ("InWRte", 0), ("InOutWRte_RvrtTms", 0)):
            image.set(124, name, value)

    @classmethod
    def for_devices(cls, specs: Sequence[DeviceSpec], facility: FacilitySim) -> Self:
        """The hybrid of a PV array and a battery of ``facility`` sharing one SunSpec unit."""
        pv = next((s for s in specs if s.kind is DeviceKind.PV), None)
        bat = next((s for s in specs if s.kind is DeviceKind.BATTERY), None)
        if pv is None or bat is None or len(specs) != 2:
            raise ValueError(
                f"a SunSpec hybrid simulator takes one PV array and one battery, got {[str(s.key) for s in specs]}"
            )
        return cls(facility.pv_for(pv.asset), facility.battery_for(bat.asset), str(pv.key))

    def on_write(self, now: dt.datetime) -> None:
        """PV curtailment (123) and the 124 set-point: OutWRte % of WChaMax while StorCtl_Mod limits, + = discharge."""
        self.pv.on_write(now)
        mode, pct = self.image.get(124, "StorCtl_Mod"), self.image.get(124, "OutWRte")
        w_max = self.image.get(124, "WChaMax")
        setpoint = None
        if isinstance(mode, int) and mode & 3 and isinstance(pct, float) and isinstance(w_max, float):
            setpoint = pct / 100 * w_max / 1000
        self.battery.step(now)
        self.battery.setpoint_kw = setpoint
        revert = self.image.get(124, "InOutWRte_RvrtTms") or 0
        expires = now + dt.timedelta(seconds=float(revert)) if setpoint is not None and revert else None
        self.battery.setpoint_expires = expires

    def refresh(self, now: dt.datetime) -> None:
        """103 W = PV + battery (AC), 160 strings and storage ports, 124 ChaState; StorCtl_Mod 0 after a revert."""
        self.pv.refresh(now)
        pv_kw = self.pv_sim.power_kw(now)
        bat_kw = self.battery.step(now)
        if self.battery.setpoint_kw is None and self.image.get(124, "StorCtl_Mod") != 0:
            self.image.set(124, "StorCtl_Mod", 0)
        self.image.set(103, "W", (pv_kw + bat_kw) * 1000)
        for i, dcw in enumerate((pv_kw / 2, pv_kw / 2, max(-bat_kw, 0.0), max(bat_kw, 0.0)), start=1):
            self.image.set(160, f"module[{i}].DCW", dcw * 1000)
        self.image.set(124, "ChaState", round(self.battery.soc * 100, 1))
