"""Investment planning for the disaster office and the utility: a year of series from the scenario, the
sizing loop (optimizer.invest) with its verifications run as tasks of the batch module (runtime.batch), finance, and the
cost-vs-resilience curve. The CLI and benchmarks call these; results are written by runtime.facades.invest_files.

The analysis year is the 365 days from 2024-01-01 JST: JEPX Chugoku prices are recorded for all of it. PV:
pvlib with a measured weather year (default 'nearest-jma': the nearest shipped JMA station's record where it
has one, JMA Tokyo 2024 elsewhere, see runtime.facades.invest_weather; 'clear-sky' is the optimistic
alternative, or a weather file). Load: the facilities' load shapes. The load an outage must carry (the
resilience constraint): the shelters' tier-1 load (issue 13's service tiers: medical + comms + people × W per
person, or tier1_share × critical; optimizer.outage.from_scenario.shelter_tier1_kw), or with
outage_load='critical' the whole critical load of the shelter duty. Interchange links: the scenario's links
are grid-tied feeders (a Link has no islanded mode), so they drop out in an outage and the sizing shares no
energy over them; each shelter's outage is carried by its own PV, battery and allotted cars.
Units: kW, kWh, JPY, h.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from forecasts.load import critical_load_kw, forecast_facility_load
from forecasts.pv import forecast_facility_pv
from optimizer.invest import (
    Finance,
    InvestInput,
    InvestPlan,
    RepresentativeDays,
    YearSeries,
    finance,
    initial_starts,
    invest_cars,
    invest_input,
    pick_days,
    plan_investment,
    wrap,
)
from optimizer.invest.budget import BudgetChoice
from optimizer.invest.verify import SiteTask, SiteVerdict
from optimizer.outage.from_scenario import shelter_tier1_kw
from runtime.batch import BatchSettings, run_tasks
from runtime.facades.invest_weather import NEAREST, weather_year
from runtime.loop.prices import price_series
from scenarios.assets import PVArray
from scenarios.datasets import day_type
from scenarios.invest_costs import InvestCosts, load_invest_costs
from scenarios.model import Scenario
from scenarios.timegrid import SLOT_FREQ, SLOTS_PER_DAY, TZ

log = logging.getLogger(__name__)

YEAR_START = pd.Timestamp("2024-01-01", tz=TZ)
YEAR_DAYS = 365
DEFAULT_WEATHER = NEAREST
OUTAGE_LOADS = ("tier1", "critical")
BUDGET_QUANTILES = (0.5, 0.8, 0.9, 0.95, 0.99)


def _per_kwp(facility_pv: Callable[[PVArray], pd.Series]) -> np.ndarray:
    """AC kW of 1 kWp of new PV (south, 20 degrees, inverter sized 1 kW)."""
    return facility_pv(PVArray(id="new", kwp=1.0, inverter_kw=1.0)).to_numpy()


def year_series(
    scenario: Scenario,
    weather: str = DEFAULT_WEATHER,
    start: pd.Timestamp = YEAR_START,
    duration_slots: int = 144,
    outage_load: str = "tier1",
) -> YearSeries:
    """The year's series for every shelter (see the module docstring); outage series wrap past the year end.
    outage_load: 'tier1' (default) or 'critical', the load every outage window must carry."""
    if outage_load not in OUTAGE_LOADS:
        raise ValueError(f"outage_load: '{outage_load}' is not one of {', '.join(OUTAGE_LOADS)}")
    index = pd.date_range(start, periods=YEAR_DAYS * SLOTS_PER_DAY, freq=SLOT_FREQ)
    source = weather_year(scenario, weather)
    frame = source.frame
    cols: dict[str, list[np.ndarray]] = {"load": [], "critical": [], "pv": [], "per_kwp": []}
    for f in scenario.shelters:
        cols["load"].append(forecast_facility_load(f, index).to_numpy())
        critical = critical_load_kw(f, index).to_numpy()
        cols["critical"].append(shelter_tier1_kw(f, critical, index) if outage_load == "tier1" else critical)
        cols["pv"].append(forecast_facility_pv(f, index, frame).to_numpy())

        def one(array: PVArray, fac: object = f) -> pd.Series:
            return forecast_facility_pv(fac.model_copy(update={"pv_arrays": [array]}), index, frame)  # type: ignore[attr-defined]

        cols["per_kwp"].append(_per_kwp(one))
    price, note = price_series(scenario, index)
    log.info("invest year %s..: %s, weather %s", index[0].date(), note, source.describe())
    stack = {k: np.column_stack(v) for k, v in cols.items()}
    return YearSeries(
        index=index,
        shelter_ids=tuple(f.id for f in scenario.shelters),
        load_kw=stack["load"],
        critical_kw=wrap(stack["critical"], duration_slots),
        pv_existing_kw=wrap(stack["pv"], duration_slots),
        pv_per_kwp=wrap(stack["per_kwp"], duration_slots),
        price_jpy_per_kwh=price.to_numpy(dtype=float),
        duration_slots=duration_slots,
        source=f"weather: {source.describe()}; outage load: {outage_load}",
    )


def representative_days(year: YearSeries) -> RepresentativeDays:
    """Medoid day per season and day type of the shelters' summed load, mean PV per kWp and the price."""
    n = year.n_slots
    features = np.column_stack(
        [
            year.load_kw.sum(axis=1).reshape(-1, SLOTS_PER_DAY),
            year.pv_per_kwp[:n].mean(axis=1).reshape(-1, SLOTS_PER_DAY),
            year.price_jpy_per_kwh.reshape(-1, SLOTS_PER_DAY),
        ]
    )
    days = [ts.date() for ts in year.index[::SLOTS_PER_DAY].tz_convert(TZ)]
    months = np.array([d.month for d in days])
    holidays = np.array([day_type(d) != "weekday" for d in days])
    return pick_days(features, months, holidays)


@dataclass(frozen=True)
class InvestRun:
    """A finished run: the plan, its finance, and what it was run on (budget: the budget mode's choice; links:
    how each interchange link is treated in an outage, see `links_in_outage`)."""

    scenario: str
    weather: str
    plan: InvestPlan
    money: Finance
    days: RepresentativeDays
    with_fleet: bool
    budget_jpy: float | None
    seconds: dict[str, float] = field(default_factory=dict)
    budget: BudgetChoice | None = None
    links: tuple[str, ...] = ()


def _mapper(on_progress: Callable[[str], None] | None, batch: BatchSettings) -> Callable[..., list[SiteVerdict]]:
    """The sizing loop's mapper: the verifications as tasks of the batch module (runtime.batch)."""

    def run(fn: Callable[[SiteTask], SiteVerdict], items: list[SiteTask], label: str) -> list[SiteVerdict]:
        def tick(done: int, total: int) -> None:
            if on_progress is not None:
                on_progress(f"{label}: {done}/{total} shelters verified")

        return run_tasks(fn, items, label=label, on_progress=tick, settings=batch)

    return run


def budget_starts(year: YearSeries) -> dict[str, list[int]]:
    """Budget mode's windows: per shelter the starts at the BUDGET_QUANTILES of the year's 72-h energy need."""
    out: dict[str, list[int]] = {}
    for q in BUDGET_QUANTILES:
        for site, starts in initial_starts(year, q).items():
            out.setdefault(site, [])
            out[site] += [s for s in starts if s not in out[site]]
    return out


def run_invest(
    scenario: Scenario,
    costs: InvestCosts | None = None,
    target: float = 0.95,
    *,
    weather: str = DEFAULT_WEATHER,
    year: YearSeries | None = None,
    budget_jpy: float | None = None,
    with_fleet: bool = True,
    shelters: list[str] | None = None,
    max_rounds: int = 10,
    time_limit_s: float = 120.0,
    on_progress: Callable[[str], None] | None = None,
    batch: BatchSettings | None = None,
) -> InvestRun:
    """Size the shelters' PV, batteries, V2H and fleet cars (least cost for P(72 h) ≥ target, or best resilience
    for `budget_jpy` of capex after subsidy in one MILP over fixed windows: small cases only, it does not finish
    at city scale; `ems invest --budget` uses runtime.facades.invest_budget). shelters: plan only these (their
    own home cars only, no shared fleet: REopt's one-site way) when given."""
    tick = time.perf_counter()
    costs = costs or load_invest_costs()
    year = year or year_series(scenario, weather)
    if shelters is not None:
        year = _subset(year, [f.id for f in scenario.shelters if f.id in shelters])
    loaded = time.perf_counter() - tick
    days = representative_days(year)
    planned = _restricted(scenario, year)
    cars = invest_cars(planned, costs)
    if shelters is not None:
        cars = tuple(c for c in cars if c.base in shelters and not c.candidate)

    def build(starts: dict[str, list[int]]) -> InvestInput:
        return invest_input(planned, costs, year, days, starts, with_fleet=with_fleet, budget_jpy=budget_jpy, cars=cars)

    first = budget_starts(year) if budget_jpy is not None else initial_starts(year, target)
    plan = plan_investment(
        build,
        year,
        first,
        target=target,
        mapper=_mapper(on_progress, batch or BatchSettings(workers=0)),
        max_rounds=1 if budget_jpy is not None else max_rounds,
        time_limit_s=time_limit_s,
        on_progress=on_progress,
    )
    seconds = {"series": loaded, "total": time.perf_counter() - tick}
    seconds["milp"] = sum(r.milp_s for r in plan.iterations)
    seconds["verify"] = sum(r.verify_s for r in plan.iterations)
    money = finance(plan, costs)
    links = links_in_outage(scenario)
    return InvestRun(
        scenario.name, year.source or weather, plan, money, days, with_fleet, budget_jpy, seconds, links=links
    )


def links_in_outage(scenario: Scenario) -> tuple[str, ...]:
    """One line per interchange link: grid-tied (the scenario's Link has no islanded mode), so it drops out in an
    outage and the sizing shares no energy over it."""
    return tuple(
        f"{link.id} ({link.from_facility} - {link.to_facility}, {link.limit_kw:g} kW): grid-tied, drops out in an "
        "outage; not used by the sizing"
        for link in scenario.links
    )


def invest_input_for(
    scenario: Scenario,
    year: YearSeries,
    starts: dict[str, list[int]],
    costs: InvestCosts | None = None,
    *,
    with_fleet: bool = True,
    budget_jpy: float | None = None,
) -> InvestInput:
    """The sizing input of the whole city for these outage starts (representative days of `year`)."""
    costs = costs or load_invest_costs()
    return invest_input(
        scenario, costs, year, representative_days(year), starts, with_fleet=with_fleet, budget_jpy=budget_jpy
    )


def _subset(year: YearSeries, shelters: list[str]) -> YearSeries:
    cols = [year.column(s) for s in shelters]
    return replace(
        year,
        shelter_ids=tuple(shelters),
        load_kw=year.load_kw[:, cols],
        critical_kw=year.critical_kw[:, cols],
        pv_existing_kw=year.pv_existing_kw[:, cols],
        pv_per_kwp=year.pv_per_kwp[:, cols],
    )


def _restricted(scenario: Scenario, year: YearSeries) -> Scenario:
    """The scenario with only the year's shelters kept as shelters (order as in the year series)."""
    if len(year.shelter_ids) == len(scenario.shelters):
        return scenario
    keep = set(year.shelter_ids)
    facilities = [
        f if f.shelter is None or f.id in keep else f.model_copy(update={"shelter": None}) for f in scenario.facilities
    ]
    return scenario.model_copy(update={"facilities": facilities})


def resilience_curve(
    scenario: Scenario,
    targets: tuple[float, ...] = (0.5, 0.7, 0.9, 0.95, 0.99),
    costs: InvestCosts | None = None,
    *,
    year: YearSeries | None = None,
    on_progress: Callable[[str], None] | None = None,
    time_limit_s: float = 120.0,
    batch: BatchSettings | None = None,
) -> list[InvestRun]:
    """Least-cost plans over the targets (the cost-vs-resilience curve), on one year of series."""
    year = year or year_series(scenario)
    runs = []
    for t in targets:
        if on_progress is not None:
            on_progress(f"curve: target {t:.2f}")
        runs.append(run_invest(scenario, costs, t, year=year, time_limit_s=time_limit_s, batch=batch))
    return runs
