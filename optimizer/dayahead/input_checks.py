"""Validation of the plan inputs: every check raises InputError naming the field and the fix.

Arrays are frozen here (read-only float arrays of one value per slot). Units as in ``inputs``: kW, kWh, JPY.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from optimizer.dayahead.inputs import BatteryInput, EVInput, FacilityInput, LinkInput, PlanInputs, PlantInput


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


def check_index(index: pd.DatetimeIndex) -> None:
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InputError("index: expected a tz-aware DatetimeIndex of slot starts; localise it (e.g. Asia/Tokyo)")
    if len(index) == 0:
        raise InputError("index: the horizon has no slots; give at least one")
    if len(index) > 1 and not (index[1:] - index[:-1] == pd.Timedelta(minutes=30)).all():
        raise InputError("index: slot starts must be exactly 30 minutes apart")


def check_unique(ids: list[str], name: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise InputError(f"{name}: duplicate id '{i}'")
        seen.add(i)


def check_facility(f: FacilityInput, n: int, first_hours: float) -> None:
    """Arrays frozen and checked; kW/kWh fields >= 0; metered energy only in a partial first slot."""
    prefix = f"facilities[{f.id}]"
    object.__setattr__(f, "pv_kw", frozen_array(f.pv_kw, f"{prefix}.pv_kw", n, minimum=0.0))
    object.__setattr__(f, "load_kw", frozen_array(f.load_kw, f"{prefix}.load_kw", n, minimum=0.0))
    for name in ("contract_kw", "peak_so_far_kw", "reserve_kwh", "peak_12_months_kw", "metered_kwh_first_slot"):
        if not getattr(f, name) >= 0:
            raise InputError(f"{prefix}.{name}: must be >= 0, got {getattr(f, name)}")
    for name in ("export_limit_kw", "terminal_price_jpy_per_kwh"):
        value = getattr(f, name)
        if value is not None and not (np.isfinite(value) and value >= 0):
            raise InputError(f"{prefix}.{name}: must be a finite value >= 0 or None, got {value}")
    if f.metered_kwh_first_slot > 0 and first_hours >= 0.5:
        raise InputError(
            f"{prefix}.metered_kwh_first_slot: {f.metered_kwh_first_slot:g} kWh given but slot 0 is whole; "
            "give it only when the plan starts inside slot 0"
        )
    if not f.has_pv and f.pv_kw.any():
        raise InputError(f"{prefix}.pv_kw: the facility has no PV (has_pv false) but the forecast is not zero")


def check_battery(b: BatteryInput, ids: set[str]) -> None:
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


def check_ev(e: EVInput, ids: set[str], n: int) -> None:
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


def check_link(link: LinkInput, ids: set[str]) -> None:
    if link.a not in ids or link.b not in ids or link.a == link.b:
        raise InputError(f"links[{link.id}]: ends '{link.a}', '{link.b}' must be two different supplied facilities")
    if not 0 <= link.loss_fraction < 0.5:
        raise InputError(f"links[{link.id}].loss_fraction: {link.loss_fraction} must be in [0, 0.5)")
    if not (np.isfinite(link.charge_jpy_per_kwh) and link.charge_jpy_per_kwh >= 0):
        raise InputError(f"links[{link.id}].charge_jpy_per_kwh: {link.charge_jpy_per_kwh} must be >= 0 JPY/kWh")
    if not link.limit_kw > 0:
        raise InputError(f"links[{link.id}].limit_kw: {link.limit_kw} must be > 0 kW")


def check_plant(p: PlantInput, n: int, ids: set[str]) -> None:
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


def check_plan_scalars(p: PlanInputs) -> None:
    """Fees and prices >= 0; capacity months are months."""
    for name in (
        "wheeling_jpy_per_kwh",
        "sale_discount_jpy_per_kwh",
        "terminal_price_jpy_per_kwh",
        "demand_charge_jpy_per_kw_month",
        "capacity_jpy_per_kw",
        "capacity_peak_so_far_kw",
    ):
        if not np.isfinite(getattr(p, name)) or getattr(p, name) < 0:
            raise InputError(f"{name}: must be a finite value >= 0")
    if any(not 1 <= m <= 12 for m in p.capacity_months):
        raise InputError(f"capacity_months: {list(p.capacity_months)} must be month numbers 1..12")
