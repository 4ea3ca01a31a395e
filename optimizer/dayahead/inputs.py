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
from numpy.typing import ArrayLike

from optimizer.dayahead.penalties import DEFAULT_PENALTIES, Penalties

# A facility gets peak rows when its largest possible import exceeds this share of its peak reference.
PEAK_MARGIN = 0.8


class InputError(ValueError):
    """An input is invalid; the message names the field and the fix."""


def frozen_array(values: ArrayLike, name: str, length: int | None = None, minimum: float | None = None) -> np.ndarray:
    """A read-only float array; InputError naming `name` if it has the wrong length, NaNs or values < minimum."""
    arr = np.array(values, dtype=float).reshape(-1)
    if length is not None and arr.size != length:
        raise InputError(f"{name}: expected {length} values (one per slot), got {arr.size}")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(
            f"{name}: {int(bad.sum())} missing/non-finite value(s) (first at slot {int(np.argmax(bad))});"
            " fill them before planning"
        )
    if minimum is not None and (arr < minimum - 1e-9).any():
        first = int(np.argmax(arr < minimum - 1e-9))
        raise InputError(f"{name}: value {arr[first]:g} at slot {first} is below {minimum:g}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True)
class FacilityInput:
    """One supplied facility: forecasts (kW per slot), contract and peak (kW), shelter reserve (kWh)."""

    id: str
    pv_kw: np.ndarray
    load_kw: np.ndarray
    contract_kw: float
    peak_so_far_kw: float
    reserve_kwh: float = 0.0
    is_shelter: bool = False
    has_pv: bool = True

    @property
    def peak_reference_kw(self) -> float:
        """Import level in kW above which the peak charge applies: max(contract, peak this month)."""
        return max(self.contract_kw, self.peak_so_far_kw)


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

    def __post_init__(self) -> None:
        _check_index(self.index)
        n = len(self.index)
        object.__setattr__(self, "hours", frozen_array(self.hours, "hours", n, minimum=0.0))
        if (self.hours > 0.5 + 1e-9).any() or (self.hours[1:] < 0.5 - 1e-9).any() or self.hours[0] <= 0:
            raise InputError("hours: every slot lasts 0.5 h except the first, which may be shorter but > 0")
        object.__setattr__(self, "price_jpy_per_kwh", frozen_array(self.price_jpy_per_kwh, "price_jpy_per_kwh", n))
        for name in ("wheeling_jpy_per_kwh", "sale_discount_jpy_per_kwh", "terminal_price_jpy_per_kwh"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise InputError(f"{name}: must be a finite value >= 0 JPY/kWh")
        if not self.facilities:
            raise InputError("facilities: at least one supplied facility is needed")
        _check_unique([f.id for f in self.facilities], "facilities")
        _check_unique([b.key for b in self.batteries], "batteries")
        _check_unique([e.id for e in self.evs], "evs")
        ids = {f.id for f in self.facilities}
        for f in self.facilities:
            _check_facility(f, n)
        for b in self.batteries:
            _check_battery(b, ids)
        for e in self.evs:
            _check_ev(e, ids, n)
        for link in self.links:
            _check_link(link, ids)
        if self.plant is not None:
            _check_plant(self.plant, n, ids)

    @property
    def n_slots(self) -> int:
        """Number of slots T."""
        return len(self.index)

    @property
    def facility_ids(self) -> list[str]:
        """Facility ids in model order."""
        return [f.id for f in self.facilities]

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
            if float(f.load_kw.max()) + extra > PEAK_MARGIN * f.peak_reference_kw:
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
            tuple((f.id, f.has_pv) for f in self.facilities),
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
        )


def _check_index(index: pd.DatetimeIndex) -> None:
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InputError("index: expected a tz-aware DatetimeIndex of slot starts; localise it (e.g. Asia/Tokyo)")
    if len(index) == 0:
        raise InputError("index: the horizon has no slots; give at least one")
    if len(index) > 1 and not (index[1:] - index[:-1] == pd.Timedelta(minutes=30)).all():
        raise InputError("index: slot starts must be exactly 30 minutes apart")


def _check_unique(ids: list[str], name: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise InputError(f"{name}: duplicate id '{i}'")
        seen.add(i)


def _check_facility(f: FacilityInput, n: int) -> None:
    prefix = f"facilities[{f.id}]"
    object.__setattr__(f, "pv_kw", frozen_array(f.pv_kw, f"{prefix}.pv_kw", n, minimum=0.0))
    object.__setattr__(f, "load_kw", frozen_array(f.load_kw, f"{prefix}.load_kw", n, minimum=0.0))
    for name in ("contract_kw", "peak_so_far_kw", "reserve_kwh"):
        if not getattr(f, name) >= 0:
            raise InputError(f"{prefix}.{name}: must be >= 0, got {getattr(f, name)}")
    if not f.has_pv and f.pv_kw.any():
        raise InputError(f"{prefix}.pv_kw: the facility has no PV (has_pv false) but the forecast is not zero")


def _check_battery(b: BatteryInput, ids: set[str]) -> None:
    prefix = f"batteries[{b.key}]"
    if b.facility not in ids:
        raise InputError(f"{prefix}.facility: '{b.facility}' is not a supplied facility of this plan")
    if not 0 <= b.soc_min_kwh < b.soc_max_kwh <= b.capacity_kwh:
        raise InputError(f"{prefix}: need 0 <= soc_min_kwh < soc_max_kwh <= capacity_kwh")
    if not 0 <= b.reserve_floor_kwh <= b.soc_max_kwh:
        raise InputError(
            f"{prefix}.reserve_floor_kwh: {b.reserve_floor_kwh:g} kWh outside 0..soc_max_kwh {b.soc_max_kwh:g}; "
            "give reserve_soc x capacity"
        )
    if not 0 <= b.initial_kwh <= b.capacity_kwh:
        raise InputError(f"{prefix}.initial_kwh: {b.initial_kwh:g} kWh outside 0..{b.capacity_kwh:g}; give SoC 0..1")
    if not (0 < b.charge_efficiency <= 1 and 0 < b.discharge_efficiency <= 1):
        raise InputError(f"{prefix}: efficiencies must be in (0, 1]")
    if b.charge_kw < 0 or b.discharge_kw < 0 or b.degradation_jpy_per_kwh < 0:
        raise InputError(f"{prefix}: powers and degradation cost must be >= 0")


def _check_ev(e: EVInput, ids: set[str], n: int) -> None:
    prefix = f"evs[{e.id}]"
    if e.facility not in ids:
        raise InputError(f"{prefix}.facility: '{e.facility}' is not a supplied facility of this plan")
    object.__setattr__(e, "plugged", frozen_array(e.plugged, f"{prefix}.plugged", n, minimum=0.0))
    if ((e.plugged != 0) & (e.plugged != 1)).any():
        raise InputError(f"{prefix}.plugged: values must be 0 or 1")
    object.__setattr__(e, "target_kwh", frozen_array(e.target_kwh, f"{prefix}.target_kwh", n, minimum=0.0))
    object.__setattr__(e, "trip_kwh", frozen_array(e.trip_kwh, f"{prefix}.trip_kwh", n, minimum=0.0))
    if (e.target_kwh > e.capacity_kwh + 1e-9).any():
        raise InputError(f"{prefix}.target_kwh: a target exceeds the capacity {e.capacity_kwh:g} kWh")
    if not 0 <= e.initial_kwh <= e.capacity_kwh:
        raise InputError(f"{prefix}.initial_kwh: {e.initial_kwh:g} kWh outside 0..{e.capacity_kwh:g}")
    if not 0 <= e.min_charge_kw <= e.charge_kw or e.discharge_kw < 0 or not 0 < e.efficiency <= 1:
        raise InputError(f"{prefix}: need 0 <= min_charge_kw <= charge_kw, discharge_kw >= 0, 0 < efficiency <= 1")
    for name in ("degradation_jpy_per_kwh", "v2h_prior_kwh"):
        if not (np.isfinite(getattr(e, name)) and getattr(e, name) >= 0):
            raise InputError(f"{prefix}.{name}: {getattr(e, name)} must be a finite value >= 0")
    if e.v2h_max_kwh_per_24h is not None and not e.v2h_max_kwh_per_24h > 0:
        raise InputError(f"{prefix}.v2h_max_kwh_per_24h: {e.v2h_max_kwh_per_24h} must be > 0 kWh or None")


def _check_link(link: LinkInput, ids: set[str]) -> None:
    if link.a not in ids or link.b not in ids or link.a == link.b:
        raise InputError(f"links[{link.id}]: ends '{link.a}', '{link.b}' must be two different supplied facilities")
    if not 0 <= link.loss_fraction < 0.5:
        raise InputError(f"links[{link.id}].loss_fraction: {link.loss_fraction} must be in [0, 0.5)")
    if not (np.isfinite(link.charge_jpy_per_kwh) and link.charge_jpy_per_kwh >= 0):
        raise InputError(f"links[{link.id}].charge_jpy_per_kwh: {link.charge_jpy_per_kwh} must be >= 0 JPY/kWh")
    if not link.limit_kw > 0:
        raise InputError(f"links[{link.id}].limit_kw: {link.limit_kw} must be > 0 kW")


def _check_plant(p: PlantInput, n: int, ids: set[str]) -> None:
    prefix = f"plant[{p.id}]"
    object.__setattr__(p, "forecast_kw", frozen_array(p.forecast_kw, f"{prefix}.forecast_kw", n, minimum=0.0))
    object.__setattr__(p, "min_kw", frozen_array(p.min_kw, f"{prefix}.min_kw", n, minimum=0.0))
    object.__setattr__(p, "available_kw", frozen_array(p.available_kw, f"{prefix}.available_kw", n, minimum=0.0))
    if (p.min_kw > p.forecast_kw + 1e-9).any() or (p.forecast_kw > p.available_kw + 1e-9).any():
        raise InputError(f"{prefix}: need min_kw <= forecast_kw <= available_kw in every slot")
    if p.facility is not None and p.facility not in ids:
        raise InputError(f"{prefix}.facility: '{p.facility}' is not a supplied facility of this plan; give None")
    if (p.ramp_up_kw is None) != (p.ramp_down_kw is None):
        raise InputError(f"{prefix}: give both ramp_up_kw and ramp_down_kw, or neither")
    if p.ramp_up_kw is None or p.ramp_down_kw is None:
        return
    up = frozen_array(p.ramp_up_kw, f"{prefix}.ramp_up_kw", n, minimum=0.0)
    down = frozen_array(p.ramp_down_kw, f"{prefix}.ramp_down_kw", n, minimum=0.0)
    object.__setattr__(p, "ramp_up_kw", up)
    object.__setattr__(p, "ramp_down_kw", down)
    step = np.diff(np.concatenate([[p.initial_kw], p.forecast_kw]))
    bad = (step > up + 1e-6) | (-step > down + 1e-6)
    if bad.any():
        t = int(np.argmax(bad))
        raise InputError(
            f"{prefix}.forecast_kw: changes by {step[t]:+.1f} kW into slot {t}, beyond its ramp limits; give a "
            "ramp-feasible forecast (optimizer.dayahead.plant_profile)"
        )
