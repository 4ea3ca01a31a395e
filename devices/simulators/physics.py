"""Physics of the simulated devices: PV from clear sky × clouds, a battery integrating its set-point,
an EV charger following the cars' plug schedules, and the facility load (the scenario's own load shape with a
few per cent of variation); the meter sums them.

All powers in kW with the signs of :mod:`devices.capabilities` (battery + = discharge, EV + = charging
the car, meter + = import). Times are tz-aware; state integrates over the wall-clock time between steps.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import pandas as pd

from devices.simulators.solar import cloud_factor, pv_ac_kw
from scenarios.assets import Battery, EVCharger, PVArray
from scenarios.datasets import load_shape_kw
from scenarios.device_identity import Asset
from scenarios.model import ElectricVehicle, Facility
from scenarios.timegrid import TZ

LOCAL = ZoneInfo(TZ)
T = TypeVar("T")


def seed_of(name: str) -> int:
    """A stable small integer from a name (for per-facility cloud phases)."""
    return zlib.crc32(name.encode()) % 1000


LOAD_DAY_SPREAD = 0.03  # ± day-to-day level the forecaster cannot know (weather, events), fraction
LOAD_SLOT_SPREAD = 0.02  # ± slot-to-slot variation around it, fraction


def _unit_noise(*parts: object) -> float:
    """A deterministic number in [-1, 1) from the parts (stable across runs and processes)."""
    return zlib.crc32("/".join(str(p) for p in parts).encode()) / 2**31 - 1.0


@lru_cache(maxsize=512)
def _day_shape_kw(source: str, annual_kwh: float, day: dt.date) -> tuple[float, ...]:
    """The 48 slot loads (kW) of one JST day from the scenario's load shape (one pandas call per day)."""
    index = pd.date_range(pd.Timestamp(day).tz_localize(TZ), periods=48, freq="30min")
    return tuple(float(v) for v in load_shape_kw(source, annual_kwh, index).to_numpy())


def load_kw(facility: Facility, when: dt.datetime) -> float:
    """Facility load in kW: the scenario's own load shape (``facility.load``: source scaled to annual kWh, the
    same data the forecaster falls back to and learns from) in the 30-min slot holding ``when``, times a
    deterministic day level (± LOAD_DAY_SPREAD) and slot variation (± LOAD_SLOT_SPREAD); ≥ 0."""
    if facility.load is None:
        return 0.0
    local = when.astimezone(LOCAL)
    slot_start = local.replace(minute=30 * (local.minute // 30), second=0, microsecond=0)
    base = _day_shape_kw(facility.load.source, facility.load.annual_kwh, slot_start.date())[
        slot_start.hour * 2 + slot_start.minute // 30
    ]
    day = 1.0 + LOAD_DAY_SPREAD * _unit_noise(facility.id, slot_start.date())
    slot = 1.0 + LOAD_SLOT_SPREAD * _unit_noise(facility.id, slot_start.isoformat())
    return max(0.0, base * day * slot)


@dataclass
class PVSim:
    """A PV array with its inverter; ``limit_pct`` curtails to a share of the inverter rating."""

    array: PVArray
    latitude: float
    longitude: float
    seed: int
    energy_kwh: float = 0.0
    limit_pct: float = 100.0
    last: dt.datetime | None = None

    def power_kw(self, when: dt.datetime) -> float:
        """AC power in kW now (clear sky × cloud factor, clipped, curtailed)."""
        kw = pv_ac_kw(self.array, when, self.latitude, self.longitude, cloud_factor(when, self.seed))
        return min(kw, self.array.inverter_kw * self.limit_pct / 100.0)

    def step(self, when: dt.datetime) -> float:
        """Advance the energy counter to ``when``; returns the power in kW."""
        kw = self.power_kw(when)
        if self.last is not None:
            self.energy_kwh += kw * max((when - self.last).total_seconds(), 0) / 3600
        self.last = when
        return kw


@dataclass
class BatterySim:
    """A battery following its set-point (kW, + = discharge) within power and SoC limits."""

    battery: Battery
    soc: float = 0.5
    setpoint_kw: float | None = None
    setpoint_expires: dt.datetime | None = None
    power_kw: float = 0.0
    last: dt.datetime | None = None

    def __post_init__(self) -> None:
        self.soc = self.battery.initial_soc

    def step(self, when: dt.datetime) -> float:
        """Integrate SoC up to ``when`` at the current power, then update the power; returns kW."""
        if self.last is not None:
            hours = max((when - self.last).total_seconds(), 0) / 3600
            b = self.battery
            if self.power_kw > 0:
                self.soc -= self.power_kw * hours / b.discharge_efficiency / b.capacity_kwh
            else:
                self.soc -= self.power_kw * hours * b.charge_efficiency / b.capacity_kwh
            self.soc = min(max(self.soc, 0.0), 1.0)
        self.last = when
        if self.setpoint_expires is not None and when >= self.setpoint_expires:
            self.setpoint_kw, self.setpoint_expires = None, None  # revert timer fired
        target = self.setpoint_kw or 0.0
        target = min(max(target, -self.battery.charge_kw), self.battery.discharge_kw)
        if (target > 0 and self.soc <= self.battery.soc_min) or (target < 0 and self.soc >= self.battery.soc_max):
            target = 0.0
        self.power_kw = target
        return target


def plugged(ev: ElectricVehicle, when: dt.datetime) -> bool:
    """True if ``ev`` is plugged in at ``when`` per its weekday/weekend windows (local time)."""
    local = when.astimezone(LOCAL)
    windows = ev.weekend if local.weekday() >= 5 else ev.weekday
    now = local.time()
    for w in windows:
        if (w.start <= w.end and w.start <= now < w.end) or (w.start > w.end and (now >= w.start or now < w.end)):
            return True
    return False


@dataclass
class EVSim:
    """A charger with the cars based at its facility; power + = charging the car, − = V2H."""

    charger: EVCharger
    cars: list[ElectricVehicle] = field(default_factory=list)
    socs: dict[str, float] = field(default_factory=dict)
    setpoint_kw: float | None = None
    setpoint_expires: dt.datetime | None = None
    power_kw: float = 0.0
    energy_kwh: float = 0.0
    last: dt.datetime | None = None

    def car(self, when: dt.datetime) -> ElectricVehicle | None:
        """The first car plugged in now, or None."""
        return next((c for c in self.cars if plugged(c, when)), None)

    def step(self, when: dt.datetime) -> float:
        """Integrate the plugged car's SoC and update the power (uncontrolled = full charge power)."""
        car = self.car(when)
        if self.last is not None and car is not None:
            hours = max((when - self.last).total_seconds(), 0) / 3600
            soc = self.socs.get(car.id, car.initial_soc) + self.power_kw * hours / car.capacity_kwh
            self.socs[car.id] = min(max(soc, 0.0), 1.0)
            self.energy_kwh += abs(self.power_kw) * hours
        self.last = when
        if self.setpoint_expires is not None and when >= self.setpoint_expires:
            self.setpoint_kw, self.setpoint_expires = None, None
        if car is None:
            self.power_kw = 0.0
            return 0.0
        soc = self.socs.setdefault(car.id, car.initial_soc)
        limit = min(self.charger.power_kw, car.charge_kw)
        discharge = min(self.charger.discharge_kw, car.v2h_kw) if self.charger.bidirectional else 0.0
        target = limit if self.setpoint_kw is None else min(max(self.setpoint_kw, -discharge), limit)
        if (target > 0 and soc >= 1.0) or (target < 0 and soc <= car.soc_floor):
            target = 0.0
        self.power_kw = target
        return target


@dataclass
class FacilitySim:
    """Everything behind one grid connection; ``meter_kw`` = load − PV − battery + EV (+ = import)."""

    facility: Facility
    pv: list[PVSim] = field(default_factory=list)
    batteries: list[BatterySim] = field(default_factory=list)
    chargers: list[EVSim] = field(default_factory=list)
    import_kwh: float = 0.0
    export_kwh: float = 0.0
    last: dt.datetime | None = None

    def pv_for(self, asset: Asset) -> PVSim:
        """The physics of one PV array of this facility (by asset id)."""
        return _by_id(self.pv, asset, lambda p: p.array.id)

    def battery_for(self, asset: Asset) -> BatterySim:
        """The physics of one battery of this facility (by asset id)."""
        return _by_id(self.batteries, asset, lambda b: b.battery.id)

    def charger_for(self, asset: Asset) -> EVSim:
        """The physics of one EV charger of this facility (by asset id)."""
        return _by_id(self.chargers, asset, lambda c: c.charger.id)

    def meter_kw(self, when: dt.datetime) -> float:
        """Net grid power in kW at ``when`` (advances every device of the facility)."""
        net = load_kw(self.facility, when)
        net -= sum(p.step(when) for p in self.pv)
        net -= sum(b.step(when) for b in self.batteries)
        net += sum(c.step(when) for c in self.chargers)
        if self.last is not None:
            hours = max((when - self.last).total_seconds(), 0) / 3600
            self.import_kwh += max(net, 0.0) * hours
            self.export_kwh += max(-net, 0.0) * hours
        self.last = when
        return net


def _by_id(sims: list[T], asset: Asset, id_of: Callable[[T], str]) -> T:
    for sim in sims:
        if id_of(sim) == asset.id:
            return sim
    raise KeyError(f"no simulated {type(asset).__name__} with id {asset.id!r} in this facility")


def facility_sim(facility: Facility, evs: list[ElectricVehicle]) -> FacilitySim:
    """Build the physics of one facility; cars are shared out over its chargers in order."""
    seed = seed_of(facility.id)
    sim = FacilitySim(facility)
    sim.pv = [PVSim(a, facility.latitude, facility.longitude, seed) for a in facility.pv_arrays]
    sim.batteries = [BatterySim(b) for b in facility.batteries]
    sim.chargers = [EVSim(c) for c in facility.ev_chargers]
    for i, ev in enumerate(evs):
        if sim.chargers:
            sim.chargers[i % len(sim.chargers)].cars.append(ev)
    return sim
