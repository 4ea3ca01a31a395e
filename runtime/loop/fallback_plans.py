"""Plans the fallback chain makes without the optimiser: the rule-based safe plan and the last valid plan shifted.

Slots are 30 min named by their start (tz-aware). Power in kW (slot averages), prices in JPY/kWh.
Set-points: ``{facility_id: {device_id: [kW per slot]}}`` (battery + = discharge, EV charger + = charge).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optimizer.dayahead.from_scenario import plant_forecast_kw
from runtime.store.models import Plan, PlanSlot
from runtime.store.plans import SLOT_FIELDS, PlanIn
from runtime.store.records import PlanInputsSummary, PlanSlotIn, Setpoints
from scenarios.model import Scenario
from scenarios.timegrid import SLOT, SLOT_HOURS, floor_to_slot


def safe_plan(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    pv_kw: dict[str, pd.Series],
    load_kw: dict[str, pd.Series],
    price: pd.Series | None,
) -> PlanIn:
    """Rule-based safe mode: batteries and chargers idle (0 kW), plant at its usual output, JEPX balances.

    Facilities missing from pv_kw / load_kw count 0 kW; without prices (None) the slots carry 0 JPY/kWh and the
    plan no objective (the last rung of runtime.loop.fallback must give a plan even when inputs failed). The chain
    records why it came to this plan (``inputs_summary.reason``)."""
    rows: list[PlanSlotIn] = []
    ids = [f.id for f in scenario.supplied]
    plant_out = plant_forecast_kw(scenario.plant, index) if scenario.plant else np.zeros(len(index))
    for i, slot in enumerate(index):
        pv = sum(float(pv_kw[f].iloc[i]) for f in ids if f in pv_kw)
        load = sum(float(load_kw[f].iloc[i]) for f in ids if f in load_kw)
        plant = float(plant_out[i])
        net = load - pv - plant
        rows.append(
            PlanSlotIn(
                slot_start=slot.to_pydatetime(),
                plant_kw=plant,
                jepx_buy_kw=max(0.0, net),
                jepx_sell_kw=max(0.0, -net),
                pv_kw=pv,
                load_kw=load,
                price_jpy_per_kwh=0.0 if price is None else float(price.iloc[i]),
            )
        )
    setpoints: Setpoints = {
        f.id: {d: [0.0] * len(index) for d in [*(b.id for b in f.batteries), *(c.id for c in f.ev_chargers)]}
        for f in scenario.supplied
    }
    energy = sum((r.jepx_buy_kw - r.jepx_sell_kw) * r.price_jpy_per_kwh * SLOT_HOURS for r in rows)
    end = (index[-1] + SLOT).to_pydatetime()
    return PlanIn(
        horizon_start=index[0].to_pydatetime(),
        horizon_end=end,
        kind="safe",
        slots=rows,
        setpoints=setpoints,
        solver_status="rule-based",
        objective_jpy=None if price is None else energy,
        inputs_summary=PlanInputsSummary(slots=len(index), prices_known=price is not None),
        cost_breakdown={} if price is None else {"jepx_net_jpy": energy},
        slack_report=[],
    )


def shifted_plan(last: Plan, last_slots: list[PlanSlot], now: dt.datetime) -> PlanIn | None:
    """The last valid plan from the slot containing `now` on; None if it has no slot left."""
    start = floor_to_slot(now)
    keep = [i for i, s in enumerate(last_slots) if s.slot_start >= start]
    if not keep:
        return None
    first = keep[0]
    rows = [PlanSlotIn(s.slot_start, **{k: getattr(s, k) for k in SLOT_FIELDS}) for s in last_slots[first:]]
    setpoints: Setpoints = {
        fid: {dev: list(values[first:]) for dev, values in devices.items()} for fid, devices in last.setpoints.items()
    }
    return PlanIn(
        horizon_start=rows[0].slot_start,
        horizon_end=last.horizon_end,
        kind="shifted",
        slots=rows,
        setpoints=setpoints,
        solver_status=f"shifted from v{last.version}",
        objective_jpy=None,
        inputs_summary=PlanInputsSummary(base_plan_id=last.id, base_version=last.version),
        cost_breakdown=dict(last.cost_breakdown),
        slack_report=list(last.slack_report),
    )
