"""The one frozen, validated input object of a plan (no I/O; arrays are read-only).

Time convention: ``index`` holds tz-aware slot starts 30 min apart; ``hours[t]`` is the usable length of
slot t in hours (0.5, the first slot may be shorter). Powers are slot means in kW, energies in kWh, prices in
JPY/kWh. Storage energy arrays of length T hold the state at the END of each slot; ``initial_kwh`` is the
state at the start of slot 0. Build it from a scenario with ``optimizer.dayahead.from_scenario.build_inputs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimizer.dayahead.input_checks import (
    InputError,
    check_battery,
    check_ev,
    check_facility,
    check_index,
    check_link,
    check_plan_scalars,
    check_plant,
    check_unique,
    frozen_array,
)
from optimizer.dayahead.penalties import DEFAULT_PENALTIES, Penalties
from scenarios.timegrid import TZ

__all__ = [
    "PEAK_MARGIN",
    "BatteryInput",
    "EVInput",
    "FacilityInput",
    "InputError",
    "LinkInput",
    "PlanInputs",
    "PlantInput",
    "frozen_array",
]

# A facility gets peak rows when its largest possible import exceeds this share of its peak reference.
PEAK_MARGIN = 0.8


@dataclass(frozen=True)
class FacilityInput:
    """One supplied facility: forecasts (kW per slot), contract and peaks (kW), shelter reserve (kWh).

    Demand (30-min average import, kW): peak_so_far_kw is this month's highest, peak_12_months_kw the highest of
    this month and the 11 before; with demand_ratchet (high-voltage 実量制) the contract kW follows the 12-month
    peak, so a new peak is billed on 12 monthly bills, else on this month's only (``demand_bills``).
    metered_kwh_first_slot: energy already imported in slot 0 before the plan starts (kWh; only when slot 0 is
    partial): slot 0's demand is (that + hours[0] x import) / 0.5 h. export_limit_kw: reverse-flow limit at
    the meter (kW; None = none). terminal_price_jpy_per_kwh: value of a kWh stored here at the horizon end
    (None: the plan's ``terminal_price_jpy_per_kwh``)."""

    id: str
    pv_kw: np.ndarray
    load_kw: np.ndarray
    contract_kw: float
    peak_so_far_kw: float
    reserve_kwh: float = 0.0
    is_shelter: bool = False
    has_pv: bool = True
    peak_12_months_kw: float = 0.0
    demand_ratchet: bool = False
    metered_kwh_first_slot: float = 0.0
    export_limit_kw: float | None = None
    terminal_price_jpy_per_kwh: float | None = None

    @property
    def peak_reference_kw(self) -> float:
        """Demand in kW above which a new peak is billed: max(contract, this month's peak), and the 12-month
        peak for a ratchet contract."""
        ratchet = self.peak_12_months_kw if self.demand_ratchet else 0.0
        return max(self.contract_kw, self.peak_so_far_kw, ratchet)

    @property
    def demand_bills(self) -> int:
        """Monthly bills a kW of new peak is charged on: 12 under the ratchet, else 1."""
        return 12 if self.demand_ratchet else 1


@dataclass(frozen=True)
class BatteryInput:
    """A stationary battery (key 'facility/battery'); energies in kWh, powers in kW, efficiencies 0..1.

    soc_min_kwh is the battery's own protection limit (the shelter reserve is counted above it);
    reserve_floor_kwh the energy kept for outages (``reserve_soc`` x capacity), which the real-time follower
    never discharges below: the plan's hard floor is the higher of the two (``floor_kwh``)."""

    key: str
    facility: str
    capacity_kwh: float
    charge_kw: float
    discharge_kw: float
    charge_efficiency: float
    discharge_efficiency: float
    soc_min_kwh: float
    soc_max_kwh: float
    initial_kwh: float
    degradation_jpy_per_kwh: float
    available: bool = True
    reserve_floor_kwh: float = 0.0

    @property
    def floor_kwh(self) -> float:
        """Lowest stored energy in kWh the plan discharges to: max(soc_min_kwh, reserve_floor_kwh), the same
        floor as the real-time follower's max(soc_min, reserve_soc) (``scenarios.assets.Battery.floor_soc``)."""
        return max(self.soc_min_kwh, self.reserve_floor_kwh)

    @property
    def lower_kwh(self) -> float:
        """Hard lower SoC bound in kWh: the floor, or the initial energy if it already starts below it."""
        return min(self.floor_kwh, self.initial_kwh)

    @property
    def upper_kwh(self) -> float:
        """Hard upper SoC bound in kWh: soc_max, or the initial energy if it already starts above it."""
        return max(self.soc_max_kwh, self.initial_kwh)


@dataclass(frozen=True)
class EVInput:
    """An EV at its home charger. plugged[t] is 1 while at the charger; target_kwh[t] > 0 means the car
    departs after slot t and wants that much energy; trip_kwh[t] is the energy its trip used, removed when it
    returns in slot t. min_charge_kw > 0 makes charging semi-continuous (0 or in [min, max]; a binary).
    degradation_jpy_per_kwh: wear per kWh discharged through V2H (JPY/kWh); v2h_max_kwh_per_24h: the owner's
    limit on V2H energy in any 48 consecutive slots (kWh; None = none), of which v2h_prior_kwh (kWh) was
    already used in the 24 h before the horizon (counted against the windows that reach back before it)."""

    id: str
    facility: str
    charger: str
    capacity_kwh: float
    charge_kw: float
    min_charge_kw: float
    discharge_kw: float
    efficiency: float
    floor_kwh: float
    initial_kwh: float
    plugged: np.ndarray
    target_kwh: np.ndarray
    trip_kwh: np.ndarray
    degradation_jpy_per_kwh: float = 0.0
    v2h_max_kwh_per_24h: float | None = None
    v2h_prior_kwh: float = 0.0

    @property
    def lower_kwh(self) -> float:
        """Lowest SoC in kWh: the floor, or the initial energy if it starts below it."""
        return min(self.floor_kwh, self.initial_kwh)


@dataclass(frozen=True)
class PlantInput:
    """The supply plant: forecast output, must-run minimum and availability (kW per slot).

    facility: the supplied facility the plant stands at (None: none); its load is served by the plant behind
    that facility's meter (no wheeling), only the rest reaches the grid. ramp_up_kw / ramp_down_kw: per slot,
    the most the output may rise / fall against the slot before (kW; None: no ramp limit); initial_kw: the
    output in the slot before the horizon (kW, the reference of slot 0's ramp)."""

    id: str
    forecast_kw: np.ndarray
    min_kw: np.ndarray
    available_kw: np.ndarray
    curtailment_cost_jpy_per_kwh: float
    facility: str | None = None
    ramp_up_kw: np.ndarray | None = None
    ramp_down_kw: np.ndarray | None = None
    initial_kw: float = 0.0

    @property
    def has_ramps(self) -> bool:
        """True if the plant has ramp limits (ramp rows in the model)."""
        return self.ramp_up_kw is not None


@dataclass(frozen=True)
class LinkInput:
    """A physical feeder between facilities a and b with a thermal limit in kW (both directions, at the sending
    end). loss_fraction (0..0.5): share of the power sent that does not arrive; charge_jpy_per_kwh: fee per kWh
    sent (either direction)."""

    id: str
    a: str
    b: str
    limit_kw: float
    loss_fraction: float = 0.0
    charge_jpy_per_kwh: float = 0.0


@dataclass(frozen=True)
class PlanInputs:
    """Everything a plan needs, validated on construction (see the module docstring for conventions)."""

    index: pd.DatetimeIndex
    hours: np.ndarray
    price_jpy_per_kwh: np.ndarray
    wheeling_jpy_per_kwh: float
    sale_discount_jpy_per_kwh: float
    facilities: tuple[FacilityInput, ...]
    batteries: tuple[BatteryInput, ...] = ()
    evs: tuple[EVInput, ...] = ()
    plant: PlantInput | None = None
    links: tuple[LinkInput, ...] = ()
    terminal_price_jpy_per_kwh: float = 0.0
    penalties: Penalties = DEFAULT_PENALTIES
    notes: tuple[str, ...] = field(default=())
    demand_charge_jpy_per_kw_month: float = 1800.0
    capacity_jpy_per_kw: float = 0.0
    capacity_months: tuple[int, ...] = ()
    capacity_peak_so_far_kw: float = 0.0

    def __post_init__(self) -> None:
        check_index(self.index)
        n = len(self.index)
        object.__setattr__(self, "hours", frozen_array(self.hours, "hours", n, minimum=0.0))
        if (self.hours > 0.5 + 1e-9).any() or (self.hours[1:] < 0.5 - 1e-9).any() or self.hours[0] <= 0:
            raise InputError("hours: every slot lasts 0.5 h except the first, which may be shorter but > 0")
        object.__setattr__(self, "price_jpy_per_kwh", frozen_array(self.price_jpy_per_kwh, "price_jpy_per_kwh", n))
        check_plan_scalars(self)
        if not self.facilities:
            raise InputError("facilities: at least one supplied facility is needed")
        check_unique([f.id for f in self.facilities], "facilities")
        check_unique([b.key for b in self.batteries], "batteries")
        check_unique([e.id for e in self.evs], "evs")
        ids = {f.id for f in self.facilities}
        for f in self.facilities:
            check_facility(f, n, float(self.hours[0]))
        for b in self.batteries:
            check_battery(b, ids)
        for e in self.evs:
            check_ev(e, ids, n)
        for link in self.links:
            check_link(link, ids)
        if self.plant is not None:
            check_plant(self.plant, n, ids)

    @property
    def n_slots(self) -> int:
        """Number of slots T."""
        return len(self.index)

    @property
    def facility_ids(self) -> list[str]:
        """Facility ids in model order."""
        return [f.id for f in self.facilities]

    @property
    def capacity_slots(self) -> tuple[int, ...]:
        """Slots (numbers) whose local (Asia/Tokyo) month is in ``capacity_months``: where the group's demand
        counts for the capacity contribution; empty without a capacity price."""
        if not (self.capacity_months and self.capacity_jpy_per_kw > 0):
            return ()
        months = self.index.tz_convert(TZ).month
        return tuple(int(t) for t in np.flatnonzero(np.isin(months, self.capacity_months)))

    @property
    def capped_evs(self) -> list[str]:
        """V2H cars with an owner's limit on V2H energy per 24 h (these get the ev_v2h_* rows)."""
        return [e.id for e in self.evs if e.discharge_kw > 0 and e.v2h_max_kwh_per_24h is not None]

    @property
    def binary_evs(self) -> list[str]:
        """EVs whose charger has a minimum power (> 0 kW): these need a binary per slot."""
        return [e.id for e in self.evs if e.min_charge_kw > 0]

    def disposal_slots(self) -> list[int]:
        """Slots where getting rid of energy pays: price < sale discount - wheeling (JPY/kWh), i.e. buying more
        (negative price) or selling less (must-run surplus sold below the fee) gains more than the wheeling an
        extra import costs. There, a storage unit charging and discharging at once would burn energy in its
        losses for money, so these slots get charge/discharge exclusivity binaries (``add_exclusive``).
        JEPX prices are >= 0.01 JPY/kWh, so with the default fees (wheeling 4, discount 0.5) this is empty."""
        threshold = self.sale_discount_jpy_per_kwh - self.wheeling_jpy_per_kwh
        return [t for t, p in enumerate(self.price_jpy_per_kwh) if p < threshold]

    def peak_facilities(self) -> list[str]:
        """Facilities whose import could come near their peak reference: highest load + all battery and EV
        charging + link limits above PEAK_MARGIN x reference. Only these get peak rows; the others' import is
        capped at the reference, a bound this test shows can never bind."""
        out = []
        for f in self.facilities:
            extra = sum(b.charge_kw for b in self.batteries if b.facility == f.id and b.available)
            extra += sum(e.charge_kw for e in self.evs if e.facility == f.id)
            extra += sum(lk.limit_kw for lk in self.links if f.id in (lk.a, lk.b))
            top = float(f.load_kw.max()) + extra
            first = (f.metered_kwh_first_slot + self.hours[0] * (float(f.load_kw[0]) + extra)) / 0.5
            if max(top, first) > PEAK_MARGIN * f.peak_reference_kw:
                out.append(f.id)
        return out

    def structure_key(self) -> tuple[Any, ...]:
        """What fixes the model's structure and its constant coefficients; two inputs with equal keys differ
        only in mutable Param data (forecasts, prices, SoC, plug windows, targets, first-slot length, peaks)."""
        bats = tuple(
            (
                b.key,
                b.facility,
                b.capacity_kwh,
                b.charge_kw,
                b.discharge_kw,
                b.charge_efficiency,
                b.discharge_efficiency,
                b.degradation_jpy_per_kwh,
                b.available,
            )
            for b in self.batteries
        )
        evs = tuple(
            (e.id, e.facility, e.capacity_kwh, e.charge_kw, e.min_charge_kw, e.discharge_kw, e.efficiency)
            for e in self.evs
        )
        ev_costs = tuple((e.degradation_jpy_per_kwh, e.v2h_max_kwh_per_24h is not None) for e in self.evs)
        return (
            self.n_slots,
            tuple((f.id, f.has_pv, f.demand_bills, f.export_limit_kw) for f in self.facilities),
            bats,
            evs,
            ev_costs,
            tuple((lk.id, lk.a, lk.b, lk.limit_kw, lk.loss_fraction, lk.charge_jpy_per_kwh) for lk in self.links),
            None if self.plant is None else (self.plant.facility, self.plant.has_ramps),
            self.wheeling_jpy_per_kwh,
            self.sale_discount_jpy_per_kwh,
            self.penalties,
            tuple(self.peak_facilities()),
            tuple(self.disposal_slots()),
            (self.demand_charge_jpy_per_kw_month, self.capacity_jpy_per_kw, self.capacity_slots),
        )
