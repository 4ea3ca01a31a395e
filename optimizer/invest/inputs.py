"""The frozen input of investment sizing: candidate sites with representative-day series, the outage windows
to survive, the cars that can be allotted to shelters, prices and costs.

Units: kW (30-min slot averages), kWh, JPY, JPY/kWh, h; fractions 0..1. Representative days are local
(Asia/Tokyo) days of 48 slots, each slot named by its start; a day's weight is how many days of the year it
stands for. An outage window is `duration_slots` slots from a start slot of the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scenarios.invest_costs import InvestCosts


class InvestInputError(ValueError):
    """The investment input is inconsistent; the message names the field and the fix."""


@dataclass(frozen=True)
class ExistingBattery:
    """A site's batteries today, aggregated: kWh, kW (charge = discharge), SoC fractions, efficiencies."""

    capacity_kwh: float
    power_kw: float
    soc_min: float = 0.1
    soc_max: float = 0.95
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95


@dataclass(frozen=True)
class OutageWindow:
    """One outage to survive at one shelter: its start (ISO, tz-aware) and the series over the window.

    critical_kw, pv_existing_kw, pv_per_kwp: (duration,) kW; pv_per_kwp is the AC output of 1 kWp of new PV.
    """

    start: str
    critical_kw: np.ndarray
    pv_existing_kw: np.ndarray
    pv_per_kwp: np.ndarray


@dataclass(frozen=True)
class InvestSite:
    """A shelter the plan may equip. Day series are (days, 48) kW on the representative days.

    roof_limit_kwp: most PV kWp in all (existing included); existing_pv_kwp counts against it. v2h_chargers:
    bidirectional chargers there today. outages: the windows the plan must survive here.
    """

    id: str
    load_kw: np.ndarray
    pv_existing_kw: np.ndarray
    pv_per_kwp: np.ndarray
    existing_pv_kwp: float
    roof_limit_kwp: float
    battery: ExistingBattery | None
    v2h_chargers: int
    export_limit_kw: float | None
    outages: tuple[OutageWindow, ...] = ()


@dataclass(frozen=True)
class InvestCar:
    """A car that can be allotted to one shelter for every outage (the disaster plan's allotment).

    usable_kwh[j]: energy it can deliver on arrival at shelter j (stored at the outage start above its floor,
    less the drive; 0 if it cannot reach); delay_slots[j]: slots before it delivers there; v2h_kw at a shelter
    V2H charger it holds, v2l_kw otherwise. candidate: a car the city may buy (capital cost) instead of one it has.
    """

    id: str
    base: str
    usable_kwh: np.ndarray
    delay_slots: np.ndarray
    v2h_kw: float
    v2l_kw: float
    efficiency: float = 0.92
    candidate: bool = False


@dataclass(frozen=True)
class InvestInput:
    """Everything the sizing MILP needs (validated by `check_invest_input`).

    day_weights: (days,) days of the year each representative day stands for; price_jpy_per_kwh: (days, 48);
    summer/winter: (days,) bool, days whose peak sets the capacity contribution. Money terms from the scenario's
    market (the day-ahead model's parameters): wheeling, sale discount, basic charge per kW-month, capacity price
    per kW-year, imbalance spread. budget_jpy: None = least-cost mode (every window survived); a number = budget
    mode (most windows survived for at most that much capex after subsidy). with_fleet False: no cars.
    car_candidates: shelters each car may be allotted to (the nearest it reaches with energy); fixed: sizes
    pinned, 'pv_new:<site>' / 'bat_kwh:<site>' / 'bat_kw:<site>' / 'v2h_new:<site>' -> value. fixed_fleet:
    (allotment car -> shelter, cars bought) pinned from an earlier solve (the loop's later rounds), so only
    the sizes (and V2H counts) are re-optimised.
    """

    sites: tuple[InvestSite, ...]
    day_weights: np.ndarray
    price_jpy_per_kwh: np.ndarray
    summer: np.ndarray
    winter: np.ndarray
    costs: InvestCosts
    wheeling_jpy_per_kwh: float
    sale_discount_jpy_per_kwh: float
    basic_charge_jpy_per_kw_month: float
    capacity_jpy_per_kw_year: float
    imbalance_spread_jpy_per_kwh: float
    duration_slots: int = 144
    slot_hours: float = 0.5
    cars: tuple[InvestCar, ...] = ()
    with_fleet: bool = True
    budget_jpy: float | None = None
    fixed: dict[str, float] = field(default_factory=dict)
    car_candidates: int = 6
    fixed_fleet: tuple[dict[str, str], tuple[str, ...]] | None = None

    @property
    def n_days(self) -> int:
        """Representative days."""
        return len(self.day_weights)

    @property
    def slots_per_day(self) -> int:
        """Slots of a representative day (48)."""
        return int(self.price_jpy_per_kwh.shape[1])


def check_invest_input(data: InvestInput) -> None:
    """Raise InvestInputError naming the site and field of the first inconsistency."""
    days, slots = data.price_jpy_per_kwh.shape
    if days != data.n_days or days == 0:
        raise InvestInputError(f"day_weights: {data.n_days} weights for {days} price days; give one per day")
    if abs(float(data.day_weights.sum()) - round(float(data.day_weights.sum()))) > 1e-9:
        raise InvestInputError("day_weights: must add up to a whole number of days")
    if not data.sites:
        raise InvestInputError("sites: no shelter to plan; the scenario needs at least one shelter")
    for s in data.sites:
        _check_site(s, days, slots, data.duration_slots)
    for c in data.cars:
        if c.usable_kwh.shape != (len(data.sites),) or c.delay_slots.shape != (len(data.sites),):
            raise InvestInputError(f"car {c.id}: usable_kwh and delay_slots need one value per site")
    if data.budget_jpy is not None and data.budget_jpy < 0:
        raise InvestInputError(f"budget_jpy: {data.budget_jpy} must be >= 0 (JPY of capex after subsidy)")


def _check_site(s: InvestSite, days: int, slots: int, duration: int) -> None:
    for name in ("load_kw", "pv_existing_kw", "pv_per_kwp"):
        if getattr(s, name).shape != (days, slots):
            raise InvestInputError(f"site {s.id}: {name} must be (days={days}, slots={slots})")
    if s.roof_limit_kwp < s.existing_pv_kwp - 1e-9:
        raise InvestInputError(
            f"site {s.id}: roof_pv_limit_kwp {s.roof_limit_kwp} is below the existing {s.existing_pv_kwp} kWp; "
            "raise the limit"
        )
    for w in s.outages:
        for name in ("critical_kw", "pv_existing_kw", "pv_per_kwp"):
            if getattr(w, name).shape != (duration,):
                raise InvestInputError(f"site {s.id}, outage {w.start}: {name} must have {duration} slots")
