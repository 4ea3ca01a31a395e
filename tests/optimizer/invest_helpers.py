"""Tiny investment inputs whose optimum is worked out by hand (shared by the tests/optimizer invest tests)."""

from __future__ import annotations

import numpy as np

from optimizer.invest.inputs import InvestCar, InvestInput, InvestSite, OutageWindow
from scenarios.invest_costs import InvestCosts, load_invest_costs

SLOTS = 48


def lossless_costs(**changes: object) -> InvestCosts:
    """The shipped configuration with lossless new batteries (and any field changed)."""
    base = load_invest_costs()
    battery = base.new_battery.model_copy(update={"charge_efficiency": 1.0, "discharge_efficiency": 1.0})
    return base.model_copy(update={"new_battery": battery, **changes})


def flat_window(load_kw: float, duration: int, pv_per_kwp: np.ndarray | None = None, start: str = "w0") -> OutageWindow:
    """An outage window with a flat critical load, no existing PV and the given PV per kWp (none if None)."""
    pv = np.zeros(duration) if pv_per_kwp is None else pv_per_kwp
    return OutageWindow(start, np.full(duration, load_kw), np.zeros(duration), pv)


def one_site(
    load_kw: float = 2.0,
    *,
    windows: tuple[OutageWindow, ...] = (),
    pv_per_kwp: np.ndarray | None = None,
    roof_kwp: float = 0.0,
    v2h: int = 0,
    days: int = 1,
) -> InvestSite:
    """A shelter with a flat normal load, no equipment today, PV per kWp on its days (zeros if None)."""
    pv = np.zeros((days, SLOTS)) if pv_per_kwp is None else pv_per_kwp
    return InvestSite(
        id="s1",
        load_kw=np.full((days, SLOTS), load_kw),
        pv_existing_kw=np.zeros((days, SLOTS)),
        pv_per_kwp=pv,
        existing_pv_kwp=0.0,
        roof_limit_kwp=roof_kwp,
        battery=None,
        v2h_chargers=v2h,
        export_limit_kw=None,
        outages=windows,
    )


def invest_input(
    sites: tuple[InvestSite, ...],
    costs: InvestCosts,
    *,
    price: float = 20.0,
    duration: int = 144,
    cars: tuple[InvestCar, ...] = (),
    budget_jpy: float | None = None,
) -> InvestInput:
    """One representative day standing for 365, a flat price; no demand, capacity or imbalance charges."""
    days = sites[0].load_kw.shape[0]
    weights = np.full(days, 365.0 / days)
    return InvestInput(
        sites=sites,
        day_weights=weights,
        price_jpy_per_kwh=np.full((days, SLOTS), price),
        summer=np.zeros(days, dtype=bool),
        winter=np.zeros(days, dtype=bool),
        costs=costs,
        wheeling_jpy_per_kwh=0.0,
        sale_discount_jpy_per_kwh=0.0,
        basic_charge_jpy_per_kw_month=0.0,
        capacity_jpy_per_kw_year=0.0,
        imbalance_spread_jpy_per_kwh=0.0,
        duration_slots=duration,
        cars=cars,
        budget_jpy=budget_jpy,
    )
