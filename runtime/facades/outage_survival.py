"""Survival analysis for the disaster office, as REopt does it: outages of `hours` starting at every slot of a
period, PV from clear sky or a recorded weather file, each battery's starting SoC from normal operation at
that start (the day-ahead baseline's battery rule over the facility's load forecast), the cars allotted by the
plan's greedy rule and leaving when the fleet calendar lets them, PHEV engines with their fuel.

Tables per shelter with and without the fleet, and P(survive) by start month and by start hour. Times
tz-aware (Asia/Tokyo shown); kW, kWh, h.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecasts.load import forecast_facility_load
from optimizer.outage import SurvivalInput, survival_input_from_scenario, survival_table
from optimizer.outage.survival import simulate_starts
from optimizer.outage.survival_tables import grouped_probability
from runtime.facades.outage_planning import shelter_series
from scenarios.model import Scenario
from scenarios.timegrid import SLOT_FREQ

log = logging.getLogger(__name__)
START_SOC = ("normal", "initial")


@dataclass(frozen=True)
class SurvivalResult:
    """The per-shelter table (see optimizer.outage.survival_table) and P(survive threshold_h) by start month
    and by start hour with the fleet ('ev') and without ('no_ev'); the input they came from."""

    table: pd.DataFrame
    by_month: dict[str, pd.DataFrame]
    by_hour: dict[str, pd.DataFrame]
    data: SurvivalInput
    threshold_h: float


def survival_data(
    scenario: Scenario,
    period_start: pd.Timestamp,
    period_end: pd.Timestamp,
    hours: float = 72.0,
    *,
    weather: pd.DataFrame | None = None,
    pv_factor: float = 1.0,
    battery_soc: float | None = None,
    start_soc: str = "normal",
    calendar: bool = True,
    allotment: str = "greedy",
) -> SurvivalInput:
    """The survival input for starts in [period_start, period_end) every 30 min. start_soc: 'normal' (each
    battery's SoC at that slot in normal operation) or 'initial' (its initial_soc); battery_soc overrides
    both with one fraction for every battery."""
    if start_soc not in START_SOC:
        raise ValueError(f"start_soc: '{start_soc}' is not one of {', '.join(START_SOC)}")
    duration = round(hours * 2)
    starts = pd.date_range(period_start, period_end, freq=SLOT_FREQ, inclusive="left")
    if len(starts) == 0:
        raise ValueError("period: the end must be after the start")
    index = pd.date_range(starts[0], periods=len(starts) + duration - 1, freq=SLOT_FREQ)
    pv, critical = shelter_series(scenario, index, weather, pv_factor)
    load = None
    if start_soc == "normal" and battery_soc is None:
        load = pd.DataFrame(
            {f.id: forecast_facility_load(f, index).to_numpy() for f in scenario.shelters if f.batteries},
            index=index,
        )
    data = survival_input_from_scenario(
        scenario, index, duration, pv, critical, battery_soc, load_kw=load, allotment=allotment, calendar=calendar
    )
    log.info(
        "survival: %d starts x %d shelters, %d cars supporting", data.n_starts, len(data.shelter_ids), len(data.cars)
    )
    return data


def analyse(data: SurvivalInput, threshold_h: float = 24.0, bin_hours: int = 1) -> SurvivalResult:
    """The tables of one survival input: per shelter, and P(first shortfall ≥ threshold_h, at most the
    duration) by start month and by start hour (bins of bin_hours)."""
    table = survival_table(data)
    limit = min(threshold_h, data.duration_slots * data.slot_hours)
    by_month, by_hour = {}, {}
    for label, with_evs in (("no_ev", False), ("ev", True)):
        hours, _ = simulate_starts(data, with_evs=with_evs)
        by_month[label] = grouped_probability(data, hours, "month", limit)
        by_hour[label] = grouped_probability(data, hours, "hour", limit, bin_hours)
    return SurvivalResult(table, by_month, by_hour, data, limit)


def write_grouped(result: SurvivalResult, path: Path) -> list[Path]:
    """Write the by-month and by-hour tables beside `path` as <stem>_by_month.csv and <stem>_by_hour.csv
    (columns ev_<group> and no_ev_<group>, one row per shelter)."""
    paths = []
    for name, frames in (("month", result.by_month), ("hour", result.by_hour)):
        flat = pd.concat(frames, axis=1)
        flat.columns = ["_".join(map(str, c)) for c in flat.columns]
        target = path.with_name(f"{path.stem}_by_{name}.csv")
        flat.to_csv(target)
        paths.append(target)
    return paths
