"""What ran on a delivery day: plan segments stitched slot by slot, the actual PV/load applied, the state carried.

Execution model (stated in the README): batteries, EVs, links and the plant follow the set-points of the plan in
force for the slot (the latest plan whose first slot is at or before it); PV and load are the actuals, and each
facility's difference to the forecast its plan used goes through its grid meter, so the group's JEPX net moves
by the sum of those differences (kW; + = more import). PV curtailed by the plan stays curtailed at most as much.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from optimizer.dayahead.costs import demand_kw
from optimizer.dayahead.decisions import Dispatch
from optimizer.dayahead.from_scenario import Overrides
from optimizer.dayahead.inputs import PlanInputs
from scenarios.model import CapacityContribution
from scenarios.timegrid import TZ


@dataclass(frozen=True)
class Segment:
    """A plan in force from day slot ``first`` (0..47) on; its arrays start at that slot."""

    first: int
    inputs: PlanInputs
    dispatch: Dispatch


@dataclass(frozen=True)
class Executed:
    """A day as it ran: the stitched dispatch (before the actuals), the PV and load forecasts (kW, (F, 48))
    the plans in force used, and the dispatch after the actuals."""

    planned: Dispatch
    pv_forecast_kw: np.ndarray
    load_forecast_kw: np.ndarray
    actual: Dispatch


def stitch(segments: Sequence[Segment], n_slots: int) -> tuple[Dispatch, np.ndarray, np.ndarray]:
    """The dispatch in force slot by slot, and the PV / load forecasts (F, n) it was planned on."""
    firsts = [s.first for s in segments]
    if not segments or firsts[0] != 0 or firsts != sorted(set(firsts)):
        raise ValueError(f"segments: first slots {firsts} must start at 0 and increase")
    ends = [*firsts[1:], n_slots]
    fields: dict[str, list[np.ndarray]] = {k: [] for k in segments[0].dispatch.__dict__}
    pv, load = [], []
    for seg, end in zip(segments, ends, strict=True):
        width = end - seg.first
        for k, v in seg.dispatch.__dict__.items():
            fields[k].append(v[..., :width])
        pv.append(np.array([f.pv_kw[:width] for f in seg.inputs.facilities]))
        load.append(np.array([f.load_kw[:width] for f in seg.inputs.facilities]))
    stitched = Dispatch(**{k: np.concatenate(v, axis=-1) for k, v in fields.items()})
    return stitched, np.concatenate(pv, axis=-1), np.concatenate(load, axis=-1)


def apply_actuals(
    planned: Dispatch,
    pv_forecast: np.ndarray,
    load_forecast: np.ndarray,
    pv_actual: np.ndarray,
    load_actual: np.ndarray,
) -> Dispatch:
    """The dispatch with actual PV/load (kW, (F, T)): meters and the group's JEPX net absorb the difference."""
    full = planned.pv_used_kw >= pv_forecast - 1e-6
    pv_used = np.where(full, pv_actual, np.minimum(planned.pv_used_kw, pv_actual))
    delta = (load_actual - load_forecast) - (pv_used - planned.pv_used_kw)
    net = planned.import_kw - planned.export_kw + delta
    group = planned.buy_kw - planned.sell_kw + delta.sum(axis=0)
    values = dict(planned.__dict__)
    values.update(
        pv_used_kw=pv_used,
        import_kw=np.clip(net, 0.0, None),
        export_kw=np.clip(-net, 0.0, None),
        buy_kw=np.clip(group, 0.0, None),
        sell_kw=np.clip(-group, 0.0, None),
    )
    return Dispatch(**values)


def execute(segments: Sequence[Segment], pv_actual: np.ndarray, load_actual: np.ndarray) -> Executed:
    """Stitch the segments over the day and apply the actuals (F, T) to them."""
    planned, pv_fc, load_fc = stitch(segments, pv_actual.shape[-1])
    return Executed(planned, pv_fc, load_fc, apply_actuals(planned, pv_fc, load_fc, pv_actual, load_actual))


def state_at(inputs: PlanInputs, d: Dispatch, slot: int, before: Overrides) -> Overrides:
    """The state at the start of ``slot`` of a day that started in state ``before`` and ran ``d`` (actuals):
    SoC of batteries and EVs at the end of slot - 1, this month's / 12 months' / the season's peaks including
    the slots run, and the plant's output in the last slot run. ``slot`` = 0 gives ``before`` itself."""
    if slot == 0:
        return before
    done = Dispatch(**{k: v[..., :slot] for k, v in d.__dict__.items()})
    demand = demand_kw(inputs, d)[:, :slot]
    peaks = {f.id: max(f.peak_so_far_kw, float(demand[j].max())) for j, f in enumerate(inputs.facilities)}
    yearly = {f.id: max(f.peak_12_months_kw, peaks[f.id]) for f in inputs.facilities}
    capacity = before.capacity_peak_kw
    season = [t for t in inputs.capacity_slots if t < slot]
    if season:
        capacity = max(inputs.capacity_peak_so_far_kw, float(demand[:, season].sum(axis=0).max()))
    return Overrides(
        battery_soc={
            b.key: float(np.clip(done.bat_soc_kwh[i, -1] / b.capacity_kwh, 0.0, 1.0))
            for i, b in enumerate(inputs.batteries)
        },
        ev_soc={
            e.id: float(np.clip(done.ev_soc_kwh[i, -1] / e.capacity_kwh, 0.0, 1.0)) for i, e in enumerate(inputs.evs)
        },
        peak_this_month_kw=peaks,
        peak_12_months_kw=yearly,
        capacity_peak_kw=capacity,
        plant_output_kw=float(done.plant_kw[-1]) if inputs.plant is not None else None,
    )


def next_day_state(
    inputs: PlanInputs, d: Dispatch, before: Overrides, next_day: dt.date, capacity: CapacityContribution
) -> Overrides:
    """The state at 00:00 of ``next_day``; a new month starts this month's peaks at 0 kW, a new capacity season
    of ``capacity`` (or leaving one) the group's season peak at 0 kW."""
    state = state_at(inputs, d, inputs.n_slots, before)
    month = inputs.index[0].tz_convert(TZ).month
    if next_day.month == month:
        return state
    peaks: Mapping[str, float] = {f.id: 0.0 for f in inputs.facilities}
    same_season = _season(capacity, month) == _season(capacity, next_day.month)
    return Overrides(
        battery_soc=state.battery_soc,
        ev_soc=state.ev_soc,
        peak_this_month_kw=peaks,
        peak_12_months_kw=state.peak_12_months_kw,
        capacity_peak_kw=state.capacity_peak_kw if same_season else 0.0,
        plant_output_kw=state.plant_output_kw,
    )


def _season(capacity: CapacityContribution, month: int) -> str:
    """'summer', 'winter' or '' (outside the capacity contribution's seasons)."""
    return "summer" if month in capacity.summer_months else "winter" if month in capacity.winter_months else ""
