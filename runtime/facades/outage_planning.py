"""Outage planning for the disaster office: thin functions from a Scenario to plans, survival tables and
readiness targets (the API and CLI call these).

PV comes from forecasts.pv (clear sky unless `weather` is given, scaled by pv_factor, e.g. 0.3 for a
typhoon overcast); critical load from forecasts.load.critical_load_kw. Times tz-aware; a naive start is
read as Asia/Tokyo by `outage_start`. Units: kW, kWh, h.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from forecasts.load import critical_load_kw
from forecasts.pv import forecast_facility_pv
from optimizer.dayahead.result import PlanResult
from optimizer.outage import (
    CarAvailability,
    OutageInput,
    ReadinessTargets,
    calendar_options,
    fleet_availability,
    greedy_plan,
    input_from_scenario,
    plan_outage,
    readiness_scenario,
    readiness_targets,
    survival_table,
)
from optimizer.outage import (
    OutagePlan as OutagePlan,  # re-exported for api (which reaches optimizer only through runtime)
)
from scenarios.model import Scenario
from scenarios.timegrid import SLOT_FREQ, TZ, floor_to_slot

log = logging.getLogger(__name__)


def outage_start(value: str | dt.datetime | pd.Timestamp) -> tuple[pd.Timestamp, bool]:
    """The start as a tz-aware Timestamp floored to its 30-min slot, and whether it was naive (read as JST)."""
    stamp = pd.Timestamp(value)
    naive = stamp.tzinfo is None
    stamp = stamp.tz_localize(TZ) if naive else stamp.tz_convert(TZ)
    return floor_to_slot(stamp), naive


def shelter_series(
    scenario: Scenario, index: pd.DatetimeIndex, weather: pd.DataFrame | None = None, pv_factor: float = 1.0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PV kW and critical kW per slot (columns = shelter ids) on the index."""
    if not 0 <= pv_factor <= 1:
        raise ValueError(f"pv_factor: {pv_factor} must be in 0..1 (fraction of the PV forecast)")
    pv = pd.DataFrame(
        {
            f.id: forecast_facility_pv(f, index, weather).to_numpy() * pv_factor
            for f in scenario.shelters
            if f.pv_arrays
        },
        index=index,
    )
    critical = pd.DataFrame({f.id: critical_load_kw(f, index).to_numpy() for f in scenario.shelters}, index=index)
    return pv, critical


def outage_input(
    scenario: Scenario,
    start: pd.Timestamp,
    hours: float = 72.0,
    *,
    weather: pd.DataFrame | None = None,
    pv_factor: float = 1.0,
    block_hours: float = 4.0,
    candidate_shelters: int = 6,
    ev_soc: dict[str, float] | None = None,
    battery_soc: dict[str, float] | None = None,
    unavailable_evs: tuple[str, ...] = (),
    available_from: dict[str, pd.Timestamp] | None = None,
    charge_points: dict[str, tuple[int, float]] | None = None,
    fleet_calendar: bool = True,
) -> OutageInput:
    """The planner input for an outage of `hours` (≤ 72) from `start` (tz-aware) over all shelters and EVs.

    fleet_calendar: cars away on official use or car-sharing, their mobilisation delays and the dealer cars'
    hand-over delay come from the scenario (`availability_options`); `unavailable_evs` and `available_from`
    (the CLI's --unavailable) override it car by car."""
    unavailable_evs, available_from = availability_options(
        scenario, start, unavailable_evs, available_from, fleet_calendar
    )
    n_slots = round(hours * 2)
    if block_hours not in (2.0, 2.5, 3.0, 3.5, 4.0):
        raise ValueError(f"block_hours: {block_hours} must be 2..4 h in half hours")
    index = pd.date_range(start, periods=n_slots, freq=SLOT_FREQ)
    pv, critical = shelter_series(scenario, index, weather, pv_factor)
    return input_from_scenario(
        scenario,
        start,
        n_slots,
        {c: pv[c].to_numpy() for c in pv.columns},
        {c: critical[c].to_numpy() for c in critical.columns},
        ev_soc=ev_soc,
        battery_soc=battery_soc,
        unavailable_evs=unavailable_evs,
        available_from=available_from,
        charge_points=charge_points,
        block_slots=min(round(block_hours * 2), n_slots),
        candidate_shelters=candidate_shelters,
    )


def availability_options(
    scenario: Scenario,
    start: pd.Timestamp,
    unavailable_evs: tuple[str, ...] = (),
    available_from: dict[str, pd.Timestamp] | None = None,
    fleet_calendar: bool = True,
) -> tuple[tuple[str, ...], dict[str, pd.Timestamp]]:
    """Cars left out and {car: earliest departure} for the planner: the fleet calendar (if `fleet_calendar`)
    overridden car by car by the explicit `unavailable_evs` / `available_from` (e.g. ev@14:00 = free now)."""
    explicit = dict(available_from or {})
    if not fleet_calendar:
        return tuple(unavailable_evs), explicit
    off, free = calendar_options(scenario, start)
    overridden = set(unavailable_evs) | set(explicit)
    merged = {car: when for car, when in free.items() if car not in overridden} | explicit
    return tuple(c for c in off if c not in overridden) + tuple(unavailable_evs), merged


def availability(scenario: Scenario, start: pd.Timestamp) -> tuple[CarAvailability, ...]:
    """Every car at the outage start from the fleet calendar (where, why, back at, free from)."""
    return fleet_availability(scenario, start)


def plan(
    scenario: Scenario,
    start: pd.Timestamp,
    hours: float = 72.0,
    time_limit_s: float = 60.0,
    method: str = "milp",
    *,
    weather: pd.DataFrame | None = None,
    pv_factor: float = 1.0,
    block_hours: float = 4.0,
    candidate_shelters: int = 6,
    ev_soc: dict[str, float] | None = None,
    battery_soc: dict[str, float] | None = None,
    unavailable_evs: tuple[str, ...] = (),
    available_from: dict[str, pd.Timestamp] | None = None,
    charge_points: dict[str, tuple[int, float]] | None = None,
    fleet_calendar: bool = True,
) -> OutagePlan:
    """Outage plan: 'milp' (time-limited HiGHS, warm-started, never worse than greedy) or 'greedy'.
    Options as in `outage_input`; the plan's notes say which cars the calendar kept back and until when."""
    if method not in ("milp", "greedy"):
        raise ValueError(f"method: '{method}' is not 'milp' or 'greedy'")
    data = outage_input(
        scenario,
        start,
        hours,
        weather=weather,
        pv_factor=pv_factor,
        block_hours=block_hours,
        candidate_shelters=candidate_shelters,
        ev_soc=ev_soc,
        battery_soc=battery_soc,
        unavailable_evs=unavailable_evs,
        available_from=available_from,
        charge_points=charge_points,
        fleet_calendar=fleet_calendar,
    )
    result = greedy_plan(data) if method == "greedy" else plan_outage(data, time_limit_s=time_limit_s)
    return replace(result, notes=(*result.notes, *_availability_notes(data)))


def _availability_notes(data: OutageInput) -> list[str]:
    """One note per car that cannot leave at the start: left out, or free from a time (Asia/Tokyo)."""
    index = data.index
    notes = [f"car {e.id}: not available in this outage" for e in data.evs if not e.available]
    for e in data.evs:
        if e.available and e.available_from_slot > 0:
            when = (
                "after the outage"
                if e.available_from_slot >= data.n_slots
                else (f"from {index[e.available_from_slot].tz_convert(TZ):%a %m-%d %H:%M}")
            )
            notes.append(f"car {e.id}: leaves its base {when}")
    return notes


def parse_shares(items: list[str], option: str) -> dict[str, float]:
    """`ID=FRACTION` items (e.g. ev_bz4x_1=0.8) as {id: fraction in 0..1}; ValueError naming the option."""
    out: dict[str, float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            share = float(value)
        except ValueError:
            share = -1.0
        if not sep or not key or not 0 <= share <= 1:
            raise ValueError(f"{option}: '{item}' is not ID=FRACTION with a fraction in 0..1, e.g. ev_bz4x_1=0.8")
        out[key] = share
    return out


def parse_charge_points(items: list[str]) -> dict[str, tuple[int, float]] | None:
    """`FACILITY[:CHARGERS[:KW]]` items (e.g. cleaning-plant:2:6) as {id: (chargers, kW)}; None if no items
    (the scenario's outage_chargers apply); 'none' alone = no charge point."""
    if not items:
        return None
    out: dict[str, tuple[int, float]] = {}
    for item in items:
        if item == "none":
            continue
        fid, *rest = item.split(":")
        try:
            count = int(rest[0]) if rest else 1
            kw = float(rest[1]) if len(rest) > 1 else 6.0
        except ValueError:
            count, kw = 0, 0.0
        if not fid or count < 1 or kw <= 0 or len(rest) > 2:
            raise ValueError(f"--charge-point: '{item}' is not FACILITY[:CHARGERS[:KW]], e.g. cleaning-plant:2:6")
        out[fid] = (count, kw)
    return out


def parse_unavailable(items: list[str], start: pd.Timestamp) -> tuple[tuple[str, ...], dict[str, pd.Timestamp]]:
    """`ID` (not available in the outage) or `ID@TIME` (busy until TIME: HH:MM on the start's day or later,
    or an ISO date-time; naive = Asia/Tokyo) items as (unavailable ids, {id: free from})."""
    unavailable: list[str] = []
    free: dict[str, pd.Timestamp] = {}
    local = start.tz_convert(TZ)
    for item in items:
        car, sep, when = item.partition("@")
        if not sep:
            unavailable.append(car)
            continue
        try:
            if len(when) <= 5 and ":" in when:
                hh, mm = (int(x) for x in when.split(":"))
                stamp = local.normalize() + pd.Timedelta(hours=hh, minutes=mm)
                stamp = stamp if stamp >= local else stamp + pd.Timedelta(days=1)
            else:
                stamp = pd.Timestamp(when)
                stamp = stamp.tz_localize(TZ) if stamp.tzinfo is None else stamp
        except ValueError:
            raise ValueError(f"--unavailable: '{item}' is not ID or ID@TIME (e.g. ev_cpod_1@18:00)") from None
        free[car] = stamp
    return tuple(unavailable), free


def survival(
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
) -> pd.DataFrame:
    """Survival table (see optimizer.outage.survival_table) for outages starting at every slot in
    [period_start, period_end), each lasting `hours`; options as runtime.facades.outage_survival.survival_data
    (by default the starting SoC from normal operation, the plan's allotment and the fleet calendar)."""
    from runtime.facades.outage_survival import survival_data

    data = survival_data(
        scenario,
        period_start,
        period_end,
        hours,
        weather=weather,
        pv_factor=pv_factor,
        battery_soc=battery_soc,
        start_soc=start_soc,
        calendar=calendar,
        allotment=allotment,
    )
    return survival_table(data)


def readiness(
    scenario: Scenario, event_time: pd.Timestamp, hours: float = 72.0, ev_target_soc: float = 0.95
) -> tuple[ReadinessTargets, Scenario]:
    """Raised reserves and pre-charge targets for an event, and the scenario carrying them for the
    day-ahead planner (see `readiness_cost`)."""
    targets = readiness_targets(scenario, event_time, hours, ev_target_soc)
    return targets, readiness_scenario(scenario, targets)


@dataclass(frozen=True)
class ReadinessCost:
    """Day-ahead plan cost (JPY over the horizon) without and with readiness, from 00:00 JST of plan_date.

    money_*: the plan's objective without soft-target penalties (energy, wheeling, link, wear, demand,
    capacity, curtailment, terminal value); extra_money_jpy = money_ready - money_base is the cost of readiness.
    missed_ready: soft targets the readiness plan could not meet (e.g. a reserve not reachable in time).
    """

    plan_date: dt.date
    horizon_slots: int
    objective_base_jpy: float
    objective_ready_jpy: float
    money_base_jpy: float
    money_ready_jpy: float
    status_base: str
    status_ready: str
    missed_ready: tuple[str, ...]

    @property
    def extra_money_jpy(self) -> float:
        """What readiness costs in JPY (positive = more expensive)."""
        return self.money_ready_jpy - self.money_base_jpy

    def to_dict(self) -> dict[str, str | int | float | list[str]]:
        """JSON-ready dict: the fields (plan_date ISO, missed_ready a list) and extra_money_jpy."""
        return {
            **{k: v for k, v in asdict(self).items() if k not in ("plan_date", "missed_ready")},
            "plan_date": self.plan_date.isoformat(),
            "missed_ready": list(self.missed_ready),
            "extra_money_jpy": self.extra_money_jpy,
        }


def readiness_cost(
    scenario: Scenario,
    event_time: pd.Timestamp,
    hours: float = 72.0,
    ev_target_soc: float = 0.95,
    plan_date: dt.date | None = None,
    horizon_slots: int = 96,
) -> ReadinessCost:
    """Run the day-ahead planner (runtime.facades.dayahead_planning.run_plan) with and without readiness;
    plan_date defaults to the day before the event (JST), so a 96-slot horizon ends with the event day."""
    from runtime.facades.dayahead_planning import run_plan

    event = pd.Timestamp(event_time).tz_convert(TZ)
    day = plan_date or (event - pd.Timedelta(days=1)).date()
    _, ready_scenario = readiness(scenario, event, hours, ev_target_soc)
    base = run_plan(scenario, day, horizon_slots).result
    ready = run_plan(ready_scenario, day, horizon_slots).result

    def money(result: PlanResult) -> float:
        return float(sum(v for k, v in result.breakdown.items() if not k.startswith("penalty")))

    missed = tuple(
        f"{m.kind} {m.subject}: {m.shortfall:.2f} {m.unit}" for m in ready.missed if m.kind != "shelter_no_storage"
    )
    return ReadinessCost(
        day,
        horizon_slots,
        base.objective_jpy,
        ready.objective_jpy,
        money(base),
        money(ready),
        base.status,
        ready.status,
        missed,
    )


def write_plan(result: OutagePlan, directory: Path) -> list[Path]:
    """Write shelters.csv, itinerary.csv, shed_kw.csv, plan.json and cars.csv (per car and slot: where, SoC)
    into directory; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / n for n in ("shelters.csv", "itinerary.csv", "shed_kw.csv", "plan.json", "cars.csv")]
    result.shelter_table().to_csv(paths[0])
    result.itinerary_table().to_csv(paths[1], index=False)
    result.shed_table().to_csv(paths[2])
    paths[3].write_text(result.to_json(), encoding="utf-8")
    result.car_table().to_csv(paths[4], index=False)
    return paths


def write_survival(table: pd.DataFrame, path: Path) -> Path:
    """Write a survival table as CSV (suffix .csv) or JSON records (suffix .json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    flat = table.copy()
    flat.columns = ["_".join(map(str, c)) for c in flat.columns]
    if path.suffix == ".json":
        records = flat.reset_index().replace({np.nan: None}).to_dict(orient="records")
        path.write_text(json.dumps(records, indent=1), encoding="utf-8")
    else:
        flat.to_csv(path)
    return path
