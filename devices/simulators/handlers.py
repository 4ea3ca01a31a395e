"""Glue between physics and register images: each handler fills its image from the physics on a read
(``refresh``) and turns control-register writes into physics set-points (``on_write``), with revert timers.

SunSpec PV inverter, battery and meter here; any vendor map in :mod:`devices.simulators.vendor_handler`; the
SunSpec hybrid inverter (PV and battery behind one unit) in :mod:`devices.simulators.hybrid_handler`.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, Self

from devices.inventory import DeviceSpec
from devices.simulators.image import SunSpecImage, VendorImage
from devices.simulators.physics import BatterySim, FacilitySim, PVSim

PV_MODELS = (1, 103, 120, 121, 123)
BATTERY_MODELS = (1, 701, 702, 704, 713, 802)
METER_MODELS = (1, 203)


class Handler(Protocol):
    """What a simulated device does on reads and writes; ``image`` holds the registers it serves.

    Each handler class has a ``for_device(spec, facility)`` constructor: the simulator factory of its device
    type in :mod:`devices.catalog`.
    """

    @property
    def image(self) -> SunSpecImage | VendorImage:
        """The register image the simulated device serves."""

    def refresh(self, now: dt.datetime) -> None:
        """Write the physics' current state into the image."""

    def on_write(self, now: dt.datetime) -> None:
        """React to control registers just written into the image."""


def sf_for(max_abs: float, limit: int = 32767) -> int:
    """The smallest SF ≥ −1 so that ``max_abs`` (engineering units) fits a raw value ≤ ``limit``."""
    sf = -1
    while max_abs / 10.0**sf > limit and sf < 10:
        sf += 1
    return sf


def common(image: SunSpecImage, model: str, serial: str) -> None:
    """Fill model 1 (manufacturer, model, version, serial)."""
    image.set(1, "Mn", "YGE-Sim")
    image.set(1, "Md", model)
    image.set(1, "Vr", "1.0")
    image.set(1, "SN", serial[:32])


class PVHandler:
    """PV inverter (models 1, 103, 120, 121, 123); curtailment via WMaxLimPct with a revert timer."""

    def __init__(self, sim: PVSim, serial: str, base: int = 40000, image: SunSpecImage | None = None) -> None:
        """``image``: an image that already holds 1, 103, 120, 121 and 123 (a hybrid's), else a new one."""
        self.sim = sim
        self.image = image if image is not None else SunSpecImage(PV_MODELS, base, sf=0)
        rated_w = sim.array.inverter_kw * 1000
        common(self.image, "PV inverter", serial)
        self.image.set_sf(103, "W_SF", sf_for(rated_w * 1.2))
        self.image.set_sf(120, "WRtg_SF", sf_for(rated_w))
        self.image.set_sf(121, "WMax_SF", sf_for(rated_w))
        self.image.set_sf(123, "WMaxLimPct_SF", -1)
        self.image.set(120, "DERTyp", 4)
        self.image.set(120, "WRtg", rated_w)
        self.image.set(121, "WMax", rated_w)
        for name, value in (("Conn", 1), ("WMaxLimPct", 100), ("WMaxLim_Ena", 0), ("WMaxLimPct_RvrtTms", 0)):
            self.image.set(123, name, value)
        self.written: dt.datetime | None = None

    @classmethod
    def for_device(cls, spec: DeviceSpec, facility: FacilitySim) -> Self:
        """The handler of one PV inverter of the scenario (its array's physics; serial = device key)."""
        return cls(facility.pv_for(spec.asset), str(spec.key))

    def on_write(self, now: dt.datetime) -> None:
        """Apply or clear the active-power limit."""
        self.written = now

    def refresh(self, now: dt.datetime) -> None:
        """W, WH, St from the physics; the limit reverts after WMaxLimPct_RvrtTms without a re-send."""
        revert = self.image.get(123, "WMaxLimPct_RvrtTms") or 0
        if self.written is not None and revert and (now - self.written).total_seconds() > float(revert):
            self.image.set(123, "WMaxLim_Ena", 0)
        enabled = self.image.get(123, "WMaxLim_Ena") == 1
        pct = self.image.get(123, "WMaxLimPct")
        self.sim.limit_pct = float(pct) if enabled and isinstance(pct, float) else 100.0
        kw = self.sim.step(now)
        self.image.set(103, "W", kw * 1000)
        self.image.set(103, "WH", max(self.sim.energy_kwh * 1000, 1))
        self.image.set(103, "St", 5 if enabled and self.sim.limit_pct < 100 else (4 if kw > 0 else 8))
        self.image.set(103, "Hz", 60.0)


class BatteryHandler:
    """Battery (models 1, 701, 702, 704, 713, 802); power set-point via 704 WSet with WSetRvrtTms."""

    def __init__(self, sim: BatterySim, serial: str, base: int = 40000) -> None:
        self.sim = sim
        b = sim.battery
        self.image = SunSpecImage(BATTERY_MODELS, base, sf=0)
        common(self.image, "Battery PCS", serial)
        max_w = max(b.charge_kw, b.discharge_kw) * 1000
        self.image.set_sf(701, "W_SF", sf_for(max_w * 1.2))
        self.image.set_sf(702, "W_SF", sf_for(max_w))
        self.image.set_sf(713, "WH_SF", sf_for(b.capacity_kwh * 1000, 65534))
        self.image.set_sf(713, "Pct_SF", -1)
        self.image.set_sf(802, "SoC_SF", -1)
        self.image.set(702, "WChaRteMaxRtg", b.charge_kw * 1000)
        self.image.set(702, "WDisChaRteMaxRtg", b.discharge_kw * 1000)
        self.image.set(702, "WChaRteMax", b.charge_kw * 1000)
        self.image.set(702, "WDisChaRteMax", b.discharge_kw * 1000)
        self.image.set(713, "WHRtg", b.capacity_kwh * 1000)
        for name, value in (("WSetEna", 0), ("WSetMod", 1), ("WSet", 0), ("WSetRvrtTms", 0)):
            self.image.set(704, name, value)

    @classmethod
    def for_device(cls, spec: DeviceSpec, facility: FacilitySim) -> Self:
        """The handler of one battery of the scenario (its physics; serial = device key)."""
        return cls(facility.battery_for(spec.asset), str(spec.key))

    def on_write(self, now: dt.datetime) -> None:
        """Take WSet (W, + = discharge) when WSetEna=1 and WSetMod=1; arm the revert timer."""
        enabled = self.image.get(704, "WSetEna") == 1 and self.image.get(704, "WSetMod") == 1
        wset = self.image.get(704, "WSet")
        self.sim.step(now)
        self.sim.setpoint_kw = float(wset) / 1000 if enabled and isinstance(wset, (int, float)) else None
        revert = self.image.get(704, "WSetRvrtTms") or 0
        self.sim.setpoint_expires = now + dt.timedelta(seconds=float(revert)) if enabled and revert else None

    def refresh(self, now: dt.datetime) -> None:
        """701 W, 713/802 SoC from the physics; WSetEna drops to 0 when the revert timer fired."""
        kw = self.sim.step(now)
        if self.sim.setpoint_kw is None and self.image.get(704, "WSetEna") == 1:
            self.image.set(704, "WSetEna", 0)
        self.image.set(701, "W", kw * 1000)
        self.image.set(701, "InvSt", 3)
        self.image.set(713, "SoC", round(self.sim.soc * 100, 1))
        self.image.set(713, "WHAvail", self.sim.soc * self.sim.battery.capacity_kwh * 1000)
        self.image.set(802, "SoC", round(self.sim.soc * 100, 1))


class MeterHandler:
    """Grid meter (models 1, 203): W + = import = load − PV − battery + EV of the facility."""

    def __init__(self, facility: FacilitySim, serial: str, base: int = 40000) -> None:
        self.facility = facility
        self.image = SunSpecImage(METER_MODELS, base, sf=0)
        common(self.image, "Grid meter", serial)
        f = facility.facility
        span_w = 1000 * max(
            f.grid_contract_kw,
            sum(p.array.inverter_kw for p in facility.pv) + sum(b.battery.discharge_kw for b in facility.batteries),
            1.0,
        )
        self.image.set_sf(203, "W_SF", sf_for(span_w * 2))
        self.image.set_sf(203, "Hz_SF", -2)

    @classmethod
    def for_device(cls, spec: DeviceSpec, facility: FacilitySim) -> Self:
        """The handler of one grid meter of the scenario (the facility's net power; serial = device key)."""
        return cls(facility, str(spec.key))

    def on_write(self, now: dt.datetime) -> None:
        """Meters have nothing writable here."""

    def refresh(self, now: dt.datetime) -> None:
        """W and the import/export energy counters."""
        kw = self.facility.meter_kw(now)
        self.image.set(203, "W", kw * 1000)
        self.image.set(203, "Hz", 60.0)
        self.image.set(203, "TotWhImp", max(self.facility.import_kwh * 1000, 1))
        self.image.set(203, "TotWhExp", max(self.facility.export_kwh * 1000, 1))
