"""Small hand-checkable outage inputs shared by the outage tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.outage import OutageEV, OutageInput, OutageShelter, StationaryBattery

START = pd.Timestamp("2024-09-01T14:00", tz="Asia/Tokyo")


def ideal_battery(kwh: float, power: float = 5.0, eff: float = 1.0) -> StationaryBattery:
    """A battery full at the start, usable from 0 to 100 %, with the given one-way efficiency."""
    return StationaryBattery(
        capacity_kwh=kwh,
        charge_kw=power,
        discharge_kw=power,
        charge_efficiency=eff,
        discharge_efficiency=eff,
        soc_start=1.0,
        soc_min=0.0,
        soc_max=1.0,
    )


def car(
    site: int = 2,
    kwh: float = 10.0,
    v2l: float = 1.0,
    v2h: float = 0.0,
    floor: float = 0.0,
    per_km: float = 0.2,
    eff: float = 1.0,
    car_id: str = "ev1",
) -> OutageEV:
    """A car full at the start."""
    return OutageEV(
        id=car_id,
        site=site,
        capacity_kwh=kwh,
        soc_start=1.0,
        soc_floor=floor,
        v2h_kw=v2h,
        v2l_kw=v2l,
        consumption_kwh_per_km=per_km,
        discharge_efficiency=eff,
    )


def two_shelters(evs: tuple[OutageEV, ...] | None = None, block_slots: int = 4, n_slots: int = 16) -> OutageInput:
    """A (1 kW, 2 kWh battery: dark after 2 h) and B (1 kW, 6 kWh: dark after 6 h), a depot; all 5 km and one
    slot apart; one 10 kWh V2L 1 kW car at the depot using 0.2 kWh/km (1 kWh a trip). No slot weighting, so
    the objective is served kWh minus move penalties."""
    load = np.ones(n_slots)
    shelters = (
        OutageShelter("A", load.copy(), np.zeros(n_slots), battery=ideal_battery(2.0)),
        OutageShelter("B", load.copy(), np.zeros(n_slots), battery=ideal_battery(6.0)),
    )
    km = np.full((3, 3), 5.0)
    np.fill_diagonal(km, 0.0)
    steps = np.ones((3, 3), dtype=int)
    np.fill_diagonal(steps, 0)
    return OutageInput(
        start=START,
        shelters=shelters,
        evs=evs if evs is not None else (car(),),
        site_ids=("A", "B", "depot"),
        distance_km=km,
        travel_slots=steps,
        n_slots=n_slots,
        block_slots=block_slots,
        early_weight=0.0,
    )
