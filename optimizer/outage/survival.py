"""REopt-style survival analysis: an outage starting at every slot of a period, simulated for all starts at
once (numpy, no MILP), per shelter, with and without EV support.

Rule per slot (load-following, as REopt's outage simulator): PV first (surplus charges the battery), then the
battery, then the cars supporting the shelter, down to their floors. A shelter survives while the whole
critical load is served; hours survived = slots until the first shortfall × slot_hours (the duration if
none). Units: kW, kWh, h; series are (slots, shelters) arrays on a 30-min tz-aware index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.outage.inputs import OutageEV, StationaryBattery
from optimizer.outage.survival_cars import FleetState

SHORTFALL_KW = 1e-4


@dataclass(frozen=True)
class CarSupport:
    """A car supporting a shelter in every simulated outage: delivers from `delay_slots` after the start.

    power_kw: delivered kW limit there (its V2H rating capped by the charger's, or its V2L outlet);
    usable_kwh: stored energy above the floor on arrival (after travel). v2h: True if it discharges through one
    of the shelter's V2H chargers (they serve one car at a time), False through its own V2L outlet. A PHEV's
    engine adds up to engine_kw at the same outlet (within power_kw) from fuel_kwh of electric energy in its
    tank, once the battery is at its floor or short of the need. delay_by_start: slots from each start until
    it delivers (the fleet calendar's departure plus travel), shape (starts,); None = delay_slots always.
    """

    car: str
    shelter: int
    power_kw: float
    usable_kwh: float
    delay_slots: int
    efficiency: float = 0.92
    v2h: bool = True
    engine_kw: float = 0.0
    fuel_kwh: float = 0.0
    delay_by_start: np.ndarray | None = None


@dataclass(frozen=True)
class SurvivalInput:
    """Series for period + duration: index (tz-aware 30-min), critical and PV kW (slots, shelters).

    battery_start_kwh: stored kWh of each shelter's battery at each start, shape (starts, shelters) (e.g. the
    day-ahead dispatch's SoC at that slot); None = each battery's start_kwh at every start. chargers: V2H
    chargers per shelter (cars on them take turns); None = no limit. v2l_parallel: per shelter, True if V2L
    outlets may be summed with each other and the building supply; False = one outlet feeds the critical
    circuit alone (the plan's rule, slot_rule.dispatch_slot); None = summed everywhere. comfort_kw: the
    comfort tier's load (tier 3, after tiers 1 and 2 of critical_kw) in kW, shape (slots, shelters); None = none.
    """

    index: pd.DatetimeIndex
    shelter_ids: tuple[str, ...]
    critical_kw: np.ndarray
    pv_kw: np.ndarray
    batteries: tuple[StationaryBattery | None, ...]
    duration_slots: int
    slot_hours: float = 0.5
    cars: tuple[CarSupport, ...] = field(default_factory=tuple)
    battery_start_kwh: np.ndarray | None = None
    chargers: tuple[int, ...] | None = None
    v2l_parallel: tuple[bool, ...] | None = None
    comfort_kw: np.ndarray | None = None

    @property
    def n_starts(self) -> int:
        """Outage starts simulated: every slot that leaves a full duration in the series."""
        return len(self.index) - self.duration_slots + 1

    @property
    def starts(self) -> pd.DatetimeIndex:
        """The outage start times (tz-aware), one per simulated start."""
        return self.index[: self.n_starts]


def survival_hours(data: SurvivalInput, with_evs: bool = True) -> np.ndarray:
    """Hours each shelter survives for each start, shape (starts, shelters), censored at the duration."""
    return simulate_starts(data, with_evs)[0]


def _start_levels(data: SurvivalInput, cols: list[int]) -> np.ndarray:
    """Stored kWh at each start for the shelters with a battery (starts, len(cols)), within floor..ceiling."""
    n = data.n_starts
    bats = [data.batteries[j] for j in cols]
    if data.battery_start_kwh is None:
        return np.tile(np.array([b.start_kwh for b in bats if b is not None]), (n, 1))
    given = np.asarray(data.battery_start_kwh, dtype=float)
    if given.shape != (n, len(data.shelter_ids)):
        raise ValueError(
            f"battery_start_kwh: shape {given.shape} must be (starts, shelters) = {(n, len(data.shelter_ids))}"
        )
    caps = np.array([b.capacity_kwh for b in bats if b is not None])
    return np.asarray(np.clip(given[:, cols], 0.0, caps), dtype=float)


def simulate_starts(data: SurvivalInput, with_evs: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per start and shelter (starts, shelters): hours until the first shortfall (censored at the duration)
    and hours with the whole critical load served (a car arriving after a dark first slot still counts)."""
    hours, served, _ = simulate_tiers(data, with_evs)
    return hours, served


def simulate_tiers(data: SurvivalInput, with_evs: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """As `simulate_starts`, and hours with the comfort tier (tier 3, `comfort_kw`) served too: in a slot whose
    critical load (tiers 1 and 2) is fully served, comfort is served from the PV the battery cannot take (it
    would be curtailed), never from storage or the cars, so it takes nothing from tiers 1 and 2 later.

    Battery arithmetic runs only on the columns of shelters with a battery; counts are accumulated in place.
    """
    n, d, h = data.n_starts, data.duration_slots, data.slot_hours
    if n < 1:
        raise ValueError(f"series: {len(data.index)} slots are fewer than the duration {d}; extend the index")
    n_s = len(data.shelter_ids)
    # column-major (Fortran) arrays: a shelter's column over all starts is contiguous for the cars' step
    net_all = np.asfortranarray(data.critical_kw - data.pv_kw)
    critical_all = np.asfortranarray(data.critical_kw)
    pv_all = np.asfortranarray(data.pv_kw)
    cols = [j for j, b in enumerate(data.batteries) if b is not None]
    bats = [b for b in data.batteries if b is not None]
    hi, lo = np.array([b.ceiling_kwh for b in bats]), np.array([b.floor_kwh for b in bats])
    p_ch, p_dis = np.array([b.charge_kw for b in bats]), np.array([b.discharge_kw for b in bats])
    eta_c, eta_d = np.array([b.charge_efficiency for b in bats]), np.array([b.discharge_efficiency for b in bats])
    level = np.asfortranarray(_start_levels(data, cols))
    hi, lo = (
        np.asfortranarray(np.maximum(hi, level)),
        np.asfortranarray(np.minimum(lo, level)),
    )  # a start outside soc_min..soc_max is kept, as in the plan
    fleet = FleetState.of(data, n) if with_evs and data.cars else None
    survived = np.zeros((n, n_s), dtype=np.int32, order="F")
    served = np.zeros((n, n_s), dtype=np.int32, order="F")
    alive = np.ones((n, n_s), dtype=bool, order="F")
    comfort = None if data.comfort_kw is None else np.asarray(data.comfort_kw, dtype=float)
    comfort_served = np.zeros((n, n_s), dtype=np.int32)
    for k in range(d):
        net = net_all[k : k + n]
        need = np.maximum(net, 0.0)
        if cols:
            b_net = net[:, cols]
            charge = np.minimum(np.minimum(np.maximum(-b_net, 0.0), p_ch), np.maximum(hi - level, 0.0) / (eta_c * h))
            dis = np.minimum(np.minimum(need[:, cols], p_dis), np.maximum(level - lo, 0.0) * eta_d / h)
            dis[charge > 0] = 0.0
            if fleet is not None:
                fleet.step(
                    k,
                    need,
                    critical_all[k : k + n],
                    cols,
                    charge,
                    dis,
                    pv_all[k : k + n],
                    (hi, level, p_ch, eta_c),
                )
            else:
                need[:, cols] -= dis
            level += h * (eta_c * charge - dis / eta_d)
        elif fleet is not None:
            fleet.step(
                k,
                need,
                critical_all[k : k + n],
                cols,
                np.zeros((n, 0)),
                np.zeros((n, 0)),
                pv_all[k : k + n],
                None,
            )
        ok = need <= SHORTFALL_KW
        served += ok
        alive &= ok
        survived += alive
        if comfort is not None:
            spare = np.maximum(-net, 0.0)
            if cols:
                spare[:, cols] -= charge
            comfort_served += ok & (spare >= comfort[k : k + n] - SHORTFALL_KW)
    return survived * h, served * h, comfort_served * h


def survival_table(data: SurvivalInput, thresholds_h: tuple[float, ...] = (24.0, 48.0, 72.0)) -> pd.DataFrame:
    """Per shelter, without ('no_ev') and with ('ev') EV support: min/mean/max hours until the first shortfall,
    mean hours fully served, mean hours with the comfort tier served too (with comfort_kw), and P(first
    shortfall ≥ h) over starts for each threshold ≤ the duration."""
    frames = {}
    for label, with_evs in (("no_ev", False), ("ev", True)):
        hours, served, comfort = simulate_tiers(data, with_evs=with_evs)
        table = pd.DataFrame(
            {
                "min_h": hours.min(axis=0),
                "mean_h": hours.mean(axis=0),
                "max_h": hours.max(axis=0),
                "served_mean_h": served.mean(axis=0),
            },
            index=pd.Index(data.shelter_ids, name="shelter"),
        )
        if data.comfort_kw is not None:
            table["comfort_mean_h"] = comfort.mean(axis=0)
        for th in thresholds_h:
            if th <= data.duration_slots * data.slot_hours:
                table[f"p_{th:g}h"] = (hours >= th - 1e-9).mean(axis=0)
        frames[label] = table
    return pd.concat(frames, axis=1)


def ev_support_rule(
    shelter_ids: tuple[str, ...],
    evs: tuple[OutageEV, ...],
    bidirectional: tuple[bool, ...],
    distance_km: np.ndarray,
    travel_slots: np.ndarray,
    autonomy_h: np.ndarray,
) -> tuple[CarSupport, ...]:
    """Home cars support their home shelter; each other car (largest usable energy first) is allotted to the
    shelter with the least battery-only autonomy (mean hours) that has no car yet and that it can reach and
    supply, arriving after its travel time with its energy less travel. Site indices as in OutageInput."""
    from optimizer.outage.inputs import OutageShelter

    n_s = len(shelter_ids)
    dummy = [
        OutageShelter(i, np.zeros(1), np.zeros(1), bidirectional_charger=b)
        for i, b in zip(shelter_ids, bidirectional, strict=True)
    ]
    supports: list[CarSupport] = []
    covered: set[int] = set()
    for ev in evs:
        if ev.available and ev.site < n_s and ev.power_at(dummy[ev.site]) > 0:
            supports.append(
                CarSupport(
                    ev.id,
                    ev.site,
                    ev.power_at(dummy[ev.site]),
                    max(ev.start_kwh - ev.floor_kwh, 0.0),
                    0,
                    ev.discharge_efficiency,
                )
            )
            covered.add(ev.site)
    others = sorted((e for e in evs if e.available and e.site >= n_s), key=lambda e: -(e.start_kwh - e.floor_kwh))
    ranking = list(np.argsort(autonomy_h, kind="stable"))
    for ev in others:
        for s in ranking:
            usable = ev.start_kwh - distance_km[ev.site, s] * ev.consumption_kwh_per_km - ev.floor_kwh
            if s in covered or ev.power_at(dummy[s]) <= 0 or usable <= 0:
                continue
            supports.append(
                CarSupport(
                    ev.id, int(s), ev.power_at(dummy[s]), usable, int(travel_slots[ev.site, s]), ev.discharge_efficiency
                )
            )
            covered.add(int(s))
            break
    return tuple(supports)
