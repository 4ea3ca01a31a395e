"""Day-ahead and rolling plans for a scenario: forecasts + JEPX prices -> optimiser + baseline -> files.

The thin layer the CLI and the service call (api never imports optimizer/forecasts directly). Slots are
30 min named by their start (Asia/Tokyo); powers in kW, energies in kWh (MWh in the summary), money in JPY.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.backtest_load import load_pairs, relabel_wall_time
from forecasts.bands import shelter_reserve_margin_kwh
from forecasts.load import forecast_facility_load
from forecasts.pv import forecast_facility_pv
from forecasts.uncertainty import ErrorQuantiles, fit_error_quantiles
from optimizer.dayahead.costs import demand_kw
from optimizer.dayahead.from_scenario import Overrides, build_inputs
from optimizer.dayahead.headline import CostSplit, split_costs
from optimizer.dayahead.inputs import PlanInputs
from optimizer.dayahead.result import PlanResult, SolveOptions
from optimizer.dayahead.rolling import RollingPlanner
from optimizer.dayahead.solve import baseline
from runtime.facades.forecasting import EMHASS_SITE_TZ
from runtime.facades.plan_files import write_tables
from runtime.loop.fallback import plan_result
from scenarios.datasets import emhass_load_pv, market_prices
from scenarios.model import AvailabilityWindow, Scenario
from scenarios.timegrid import SLOT, SLOT_FREQ, TZ, default_horizon

__all__ = [
    "CostSplit",
    "PlanRun",
    "PlanSummary",
    "RollingPlanner",
    "SolveOptions",
    "UncertaintyReserve",
    "day_index",
    "load_error_model",
    "parse_plant_outage",
    "plan_inputs",
    "plot_plan",
    "replan",
    "run_plan",
    "split_costs",
    "uncertainty_reserve",
    "write_outputs",
]

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def day_index(date: dt.date, horizon_slots: int = 96) -> pd.DatetimeIndex:
    """`horizon_slots` slot starts from 00:00 JST of `date` (96 = the day and the next)."""
    if horizon_slots < 1:
        raise ValueError(f"horizon: {horizon_slots} slots; give at least 1")
    start = pd.Timestamp(date).tz_localize(TZ)
    return pd.date_range(start, periods=horizon_slots, freq=SLOT_FREQ, name="slot_start")


def plan_inputs(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    first_slot_fraction: float = 1.0,
    overrides: Overrides | None = None,
    weather: pd.DataFrame | None = None,
    load_history: Mapping[str, pd.Series] | None = None,
) -> PlanInputs:
    """PlanInputs from the forecasts package (PV per facility, load per facility) and the scenario's prices."""
    pv = {f.id: forecast_facility_pv(f, index, weather=weather) for f in scenario.supplied if f.pv_arrays}
    history = load_history or {}
    load = {
        f.id: forecast_facility_load(f, index, history=history.get(f.id))
        for f in scenario.supplied
        if f.load is not None
    }
    price = market_prices(scenario.market.price_source, index[0], index[-1] + SLOT).reindex(index)
    return build_inputs(scenario, index, pv, load, price, first_slot_fraction=first_slot_fraction, overrides=overrides)


@lru_cache(maxsize=1)
def load_error_model() -> ErrorQuantiles:
    """Relative error quantiles (actual - forecast) / forecast by lead time of the day-type load forecaster,
    learned from its day-ahead backtest on the one measured 30-min load year shipped (scenarios/data, EMHASS).

    That series is a single household, far more volatile than a public building, so the band (P90 about
    +100 % of the forecast) is a conservative stand-in until the service has the facilities' own pairs.
    """
    pairs = load_pairs(relabel_wall_time(emhass_load_pv()["load_kw"], EMHASS_SITE_TZ), with_weather_model=False)
    forecast = pairs["day_type_profile"].to_numpy(dtype=float)
    return fit_error_quantiles(
        forecast, pairs["actual"].to_numpy(dtype=float), pairs["lead_h"].to_numpy(dtype=float), scale=forecast
    )


@dataclass(frozen=True)
class UncertaintyReserve:
    """Extra shelter reserve (kWh per facility id) for load-forecast uncertainty, and the window it covers (h).

    For a shelter f: extra_kwh[f] = sum over the first N hours of the plan of max(0, P90 - P50) of its critical
    load (kW) x 0.5 h, with N = the shelter's reserve_hours (or a given ``hours``) and P10/P50/P90 from relative
    error quantiles by lead time (lead of slot t = (t + 1) x 0.5 h after the plan start). PV is not in the
    margin: the base reserve (reserve_hours x critical load) already assumes no PV during an outage.
    """

    extra_kwh: dict[str, float]
    window_h: dict[str, float]

    @property
    def total_kwh(self) -> float:
        """Extra reserve of all shelters in kWh."""
        return float(sum(self.extra_kwh.values()))


def uncertainty_reserve(
    scenario: Scenario,
    index: pd.DatetimeIndex,
    model: ErrorQuantiles | None = None,
    hours: float | None = None,
    models: Mapping[str, ErrorQuantiles] | None = None,
) -> UncertaintyReserve:
    """The extra reserve of every supplied shelter on the plan ``index`` (see :class:`UncertaintyReserve`).

    ``model``: relative error quantiles of the load forecast (default :func:`load_error_model`);
    ``hours``: look-ahead N in hours (default each shelter's reserve_hours), capped at the horizon;
    ``models``: per facility id, its own quantiles (e.g. learned by forecasts.bands.learn_facility_bands), which
    win over ``model`` for that shelter.
    """
    if hours is not None and not hours > 0:
        raise ValueError(f"hours: {hours} must be > 0 (look-ahead of the uncertainty margin)")
    extra, window = {}, {}
    for f in scenario.supplied:
        if f.shelter is None:
            continue
        own = (models or {}).get(f.id) or model or load_error_model()
        extra[f.id], window[f.id] = shelter_reserve_margin_kwh(f, index, own, hours)
    return UncertaintyReserve(extra_kwh=extra, window_h=window)


@dataclass(frozen=True)
class PlanSummary:
    """Headline figures (JPY, MWh, kW), money apart from penalties (optimizer.dayahead.headline).

    *_money_jpy: money paid (+) or earned (-) over the horizon (energy, wheeling, links, demand, capacity,
    wear, curtailment); money_saving_jpy = baseline - optimised money. *_penalties_jpy: soft-target penalties
    (not money). *_stored_value_jpy: value of the energy left in storage at the end. *_jpy (optimised,
    baseline, saving, saving_pct): the objective, money + penalties - stored value. peak_facilities_import_kw:
    the highest 30-min sum of the facilities' meter imports (the group's demand, what the capacity contribution
    is allocated on); peak_jepx_purchase_kw: the highest JEPX purchase of the group.
    """

    optimised_jpy: float
    baseline_jpy: float
    saving_jpy: float
    saving_pct: float
    optimised_money_jpy: float
    baseline_money_jpy: float
    money_saving_jpy: float
    optimised_penalties_jpy: float
    baseline_penalties_jpy: float
    optimised_stored_value_jpy: float
    baseline_stored_value_jpy: float
    purchase_mwh: float
    sale_mwh: float
    interchange_mwh: float
    peak_facilities_import_kw: float
    peak_jepx_purchase_kw: float
    missed_targets: int
    status: str
    fallback: str | None
    uncertainty_reserve_kwh: float = 0.0


@dataclass(frozen=True)
class PlanRun:
    """An optimised plan and the rule-based baseline on the same inputs (and the uncertainty reserve, if used)."""

    result: PlanResult
    baseline: PlanResult
    uncertainty: UncertaintyReserve | None = field(default=None)

    def summary(self) -> PlanSummary:
        """The figures the CLI prints."""
        proc = self.result.procurement
        opt, base = self.result.objective_jpy, self.baseline.objective_jpy
        mine, theirs = split_costs(self.result.breakdown), split_costs(self.baseline.breakdown)
        missed = [m for m in self.result.missed if m.kind != "shelter_no_storage"]
        demand = demand_kw(self.result.inputs, self.result.dispatch)
        return PlanSummary(
            optimised_jpy=opt,
            baseline_jpy=base,
            saving_jpy=base - opt,
            saving_pct=100.0 * (base - opt) / abs(base) if base else 0.0,
            optimised_money_jpy=mine.money_total_jpy,
            baseline_money_jpy=theirs.money_total_jpy,
            money_saving_jpy=theirs.money_total_jpy - mine.money_total_jpy,
            optimised_penalties_jpy=mine.penalties_total_jpy,
            baseline_penalties_jpy=theirs.penalties_total_jpy,
            optimised_stored_value_jpy=mine.stored_energy_value_jpy,
            baseline_stored_value_jpy=theirs.stored_energy_value_jpy,
            purchase_mwh=float(proc["purchase_kwh"].sum()) / 1000,
            sale_mwh=float(proc["sale_kwh"].sum()) / 1000,
            interchange_mwh=float(proc["interchange_kwh"].sum()) / 1000,
            peak_facilities_import_kw=float(demand.sum(axis=0).max()),
            peak_jepx_purchase_kw=float(self.result.dispatch.buy_kw.max()),
            missed_targets=len(missed),
            status=self.result.status,
            fallback=self.result.fallback_used,
            uncertainty_reserve_kwh=self.uncertainty.total_kwh if self.uncertainty else 0.0,
        )


def _jst(text: str, option: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"{option}: '{text}' is not a date-time; use e.g. 2024-08-01T13:00") from None
    return ts.tz_localize(TZ) if ts.tzinfo is None else ts.tz_convert(TZ)


def parse_plant_outage(text: str, option: str = "--plant-outage") -> AvailabilityWindow:
    """A forced outage / derate of the supply plant from 'START/END[@KW]' (ISO date-times, JST unless they carry
    an offset; KW = what the plant can still give, default 0 kW). ValueError naming `option` if malformed."""
    span, _, kw = text.partition("@")
    start, sep, end = span.partition("/")
    if not sep:
        raise ValueError(f"{option}: '{text}' needs START/END[@KW], e.g. 2024-08-01T13:00/2024-08-01T18:00@0")
    try:
        available = float(kw) if kw else 0.0
    except ValueError:
        raise ValueError(f"{option}: '{kw}' after @ is not a kW figure") from None
    first, last = _jst(start, option), _jst(end, option)
    if last <= first or available < 0:
        raise ValueError(f"{option}: '{text}' needs END after START and KW >= 0")
    return AvailabilityWindow(
        start=first.to_pydatetime(), end=last.to_pydatetime(), available_kw=available, reason="forced outage (operator)"
    )


def run_plan(
    scenario: Scenario,
    date: dt.date,
    horizon_slots: int = 96,
    options: SolveOptions | None = None,
    progress: Progress | None = None,
    uncertainty: bool = False,
    error_model: ErrorQuantiles | None = None,
    plant_outages: tuple[AvailabilityWindow, ...] = (),
) -> PlanRun:
    """Forecast, optimise and run the baseline for `horizon_slots` slots from 00:00 JST of `date`.

    ``uncertainty``: raise each shelter's reserve by :func:`uncertainty_reserve` (``error_model`` or the
    learned :func:`load_error_model`); off, the inputs are exactly those of the plain plan.
    ``plant_outages``: forced outages of the supply plant (:func:`parse_plant_outage`): its output drops at once
    in the first slot of each and ramps back after (optimizer.dayahead.plant_profile).
    """
    say = progress or (lambda _msg: None)
    index = day_index(date, horizon_slots)
    margin = None
    if uncertainty:
        say("sizing the shelters' uncertainty reserve (P90 - P50 critical load)")
        margin = uncertainty_reserve(scenario, index, error_model)
    say("forecasting PV and load, reading JEPX prices")
    overrides = Overrides(extra_reserve_kwh=margin.extra_kwh if margin else {}, plant_forced_outages=plant_outages)
    inputs = plan_inputs(scenario, index, overrides=overrides)
    say(f"optimising {len(inputs.facilities)} facilities x {inputs.n_slots} slots with HiGHS")
    result = plan_result(inputs, options)
    say("running the rule-based baseline")
    return PlanRun(result=result, baseline=baseline(inputs), uncertainty=margin)


def replan(
    planner: RollingPlanner,
    scenario: Scenario,
    now: dt.datetime,
    battery_soc: Mapping[str, float],
    ev_soc: Mapping[str, float] | None = None,
    max_slots: int = 96,
) -> PlanResult:
    """A rolling re-plan from `now` (partial first slot) with measured SoC (keys 'facility/battery', EV ids),
    through the fallback chain (runtime.loop.fallback.plan_result; the planner's last plan is the shifted rung).

    The planner keeps its model while the slot count stays the same, so pass a fixed `max_slots`.
    """
    horizon = default_horizon(now, max_slots=max_slots)
    index = horizon.index
    if len(index) < max_slots:
        index = pd.date_range(index[0], periods=max_slots, freq=SLOT_FREQ, name="slot_start")
    overrides = Overrides(battery_soc=dict(battery_soc), ev_soc=dict(ev_soc or {}))
    inputs = plan_inputs(scenario, index, horizon.first_slot_fraction, overrides)
    return plan_result(inputs, planner.options, first=planner.plan, previous=planner.last)


def plot_plan(result: PlanResult, path: Path) -> Path:
    """PNG: supply stack (plant, PV used, battery/EV discharge, JEPX purchase; sale below zero) against demand,
    and stored energy (batteries, EVs) with the JEPX price. Chooses matplotlib's file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # after choosing the Agg backend

    d, idx = result.dispatch, result.inputs.index.tz_convert(TZ)
    demand = (
        np.array([f.load_kw for f in result.inputs.facilities]).sum(axis=0)
        + d.bat_charge_kw.sum(axis=0)
        + d.ev_charge_kw.sum(axis=0)
    )
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    stack = [
        d.plant_kw,
        d.pv_used_kw.sum(axis=0),
        d.bat_discharge_kw.sum(axis=0) + d.ev_discharge_kw.sum(axis=0),
        d.buy_kw,
    ]
    top.stackplot(
        idx,
        stack,
        labels=["plant", "PV used", "storage discharge", "JEPX purchase"],
        step="post",
        colors=["#8c6d31", "#f2c12e", "#2a9d8f", "#e76f51"],
    )
    top.fill_between(idx, -d.sell_kw, step="post", color="#264653", label="JEPX sale")
    top.step(idx, demand, where="post", color="black", lw=1.2, label="load + charging")
    top.set_ylabel("kW")
    top.legend(loc="upper left", fontsize=8, ncol=3)
    top.set_title(
        f"Plan {idx[0]:%Y-%m-%d %H:%M} JST, {len(idx)} slots: {result.objective_jpy:,.0f} JPY ({result.status})"
    )
    bottom.step(idx, d.bat_soc_kwh.sum(axis=0), where="post", label="battery energy kWh")
    bottom.step(idx, d.ev_soc_kwh.sum(axis=0), where="post", label="EV energy kWh")
    bottom.set_ylabel("kWh")
    price = bottom.twinx()
    price.step(idx, result.inputs.price_jpy_per_kwh, where="post", color="grey", ls="--", label="JEPX JPY/kWh")
    price.set_ylabel("JPY/kWh")
    bottom.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_outputs(run: PlanRun, out_dir: Path) -> dict[str, Path]:
    """Write schedule.csv, procurement.csv, slack.csv, interchange.csv (each with a CSV-on-the-Web sidecar
    describing its columns, runtime.facades.plan_files), summary.json and plan.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = write_tables(run.result, out_dir)
    paths.update({name: out_dir / name for name in ("summary.json", "plan.png")})
    mine, theirs = split_costs(run.result.breakdown), split_costs(run.baseline.breakdown)
    body = {
        "summary": asdict(run.summary()),
        "money_jpy": {"optimised": mine.money_jpy, "baseline": theirs.money_jpy},
        "penalties_jpy": {"optimised": mine.penalties_jpy, "baseline": theirs.penalties_jpy},
        "stored_energy_value_jpy": {
            "optimised": mine.stored_energy_value_jpy,
            "baseline": theirs.stored_energy_value_jpy,
        },
        "breakdown_jpy": run.result.breakdown,
        "baseline_breakdown_jpy": run.baseline.breakdown,
        "mip_gap": run.result.mip_gap,
        "fallback_reason": run.result.fallback_reason,
        "notes": list(run.result.inputs.notes),
        "uncertainty_reserve_kwh": run.uncertainty.extra_kwh if run.uncertainty else {},
        "seconds": {"build": run.result.build_s, "handover": run.result.handover_s, "highs": run.result.highs_s},
    }
    paths["summary.json"].write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    plot_plan(run.result, paths["plan.png"])
    log.info("plan written to %s", out_dir)
    return paths
