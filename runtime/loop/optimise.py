"""The optimise step: assemble the plan request (latest forecast, measured SoC, JEPX prices) and plan the rolling
horizon through the one fallback chain (``runtime.loop.fallback``); what-if plans on the same inputs.

Slots are 30 min named by their start (tz-aware); powers kW; prices JPY/kWh; SoC a fraction 0..1.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

import httpx
import pandas as pd

from runtime.loop import fallback
from runtime.loop.bands import reserve_margin
from runtime.loop.demand import measured_demand
from runtime.loop.forecast import forecast
from runtime.loop.horizon import horizon_index
from runtime.loop.prices import live_price_series, price_series
from runtime.loop.service import PlanRequest, Service
from runtime.loop.v2h import v2h_kwh_24h
from runtime.store import journal, plans, readings
from runtime.store.models import Plan
from scenarios.device_identity import DeviceKey


def measured_soc(svc: Service) -> dict[str, float]:
    """Latest battery SoC (fraction) per 'facility/battery' key from stored values."""
    kinds = {(f.id, b.id) for f in svc.scenario.facilities for b in f.batteries}
    return {
        str(DeviceKey(r.facility_id, r.device_id)): r.value
        for r in readings.latest_values(svc.store)
        if r.point == "soc" and (r.facility_id, r.device_id) in kinds
    }


def measured_ev_soc(svc: Service) -> dict[str, float]:
    """Latest SoC (fraction) a car reports per EV charger 'facility/charger' of a supplied facility, where the
    charger's latest ``connected`` reading is 1 (a car at it); chargers whose car does not tell are absent."""
    chargers = {(f.id, c.id) for f in svc.scenario.supplied for c in f.ev_chargers}
    latest = {(r.facility_id, r.device_id, r.point): r.value for r in readings.latest_values(svc.store)}
    return {
        str(DeviceKey(fid, cid)): latest[(fid, cid, "vehicle_soc")]
        for fid, cid in sorted(chargers)
        if latest.get((fid, cid, "connected")) == 1.0
        and (fid, cid, "vehicle_soc") in latest
        and 0.0 <= latest[(fid, cid, "vehicle_soc")] <= 1.0
    }


def _forecast_series(svc: Service, now: dt.datetime, index: pd.DatetimeIndex) -> tuple[dict[str, pd.Series], ...]:
    _, frames = journal.latest_forecast(svc.store)
    if not frames or any(index[-1] not in frame.index for frame in frames.values()):
        forecast(svc, now)
        _, frames = journal.latest_forecast(svc.store)
    pv = {f: frame["pv"].reindex(index).fillna(0.0) for f, frame in frames.items() if "pv" in frame}
    load = {f: frame["load"].reindex(index).fillna(0.0) for f, frame in frames.items() if "load" in frame}
    return pv, load


def horizon_prices(svc: Service, index: pd.DatetimeIndex, price_area: str | None = None) -> tuple[pd.Series, str]:
    """Prices for the horizon: today's published JEPX prices when ``EMS_JEPX_SPOT_SOURCE`` is set (the rest of
    the horizon from the recorded data), else the recorded/proxy series; a source that fails raises one
    'price_source_failed' event while it fails and the plan uses the recorded/proxy series."""
    source = svc.settings.jepx_spot_source
    if source is None or price_area not in (None, svc.scenario.market.price_area):
        return price_series(svc.scenario, index, price_area)
    try:
        series, note = live_price_series(svc.scenario, index, source, svc.settings.jepx_timeout_s, svc.http_client)
    except (OSError, ValueError, httpx.HTTPError) as exc:
        svc.alert_once(
            "price_source_failed",
            "price_source_failed",
            f"JEPX spot source {source} failed ({exc}); planning on the recorded prices instead",
        )
        series, note = price_series(svc.scenario, index, price_area)
        return series, f"{note} (published prices unavailable)"
    svc.clear_alert("price_source_failed")
    return series, note


def build_request(
    svc: Service,
    now: dt.datetime,
    unavailable: Sequence[str] = (),
    price: pd.Series | None = None,
    price_area: str | None = None,
) -> PlanRequest:
    """The planner's input from the latest forecast, measured SoC (batteries, and cars at their chargers),
    prices (overrides for what-ifs), the measured demand peaks the demand and capacity charges start from
    (runtime.loop.demand) and the V2H energy of the last 24 h the owners' limits count (runtime.loop.v2h)."""
    index, fraction = horizon_index(now)
    pv, load = _forecast_series(svc, now, index)
    notes: tuple[str, ...] = ()
    if price is None:
        price, note = horizon_prices(svc, index, price_area)
        notes = (note,)
    else:
        price = price.reindex(index).ffill().bfill()
    measured = measured_demand(svc, now, index[0].to_pydatetime(), partial=fraction < 1)
    margin = reserve_margin(svc, now, index)
    return PlanRequest(
        svc.scenario,
        index,
        fraction,
        pv,
        load,
        price,
        measured_soc(svc),
        frozenset(unavailable),
        svc.settings,
        (*notes, margin.note),
        peak_this_month_kw=measured.peak_this_month_kw,
        peak_12_months_kw=measured.peak_12_months_kw,
        metered_kwh_first_slot=measured.metered_kwh_first_slot,
        capacity_peak_kw=measured.capacity_peak_kw,
        extra_reserve_kwh=margin.extra_kwh,
        v2h_kwh_24h=v2h_kwh_24h(svc, now),
        ev_soc_at_charger=measured_ev_soc(svc),
    )


def optimise(svc: Service, now: dt.datetime) -> Plan:
    """Plan the rolling horizon from the latest SoC through the one fallback chain (runtime.loop.fallback: assemble
    -> solve -> LP relaxation -> last plan shifted -> baseline -> safe). Never raises for a failed solve or
    input; returns the stored plan. The job counts as failed unless the MILP itself gave the plan."""
    started = time.perf_counter()
    row, rung = fallback.plan_for_loop(svc, now, lambda: build_request(svc, now), horizon_index(now)[0])
    ok = rung == "solve"
    journal.mark_job(svc.store, "optimise", now, ok, f"plan v{row.version} {row.kind}")
    svc.timed("optimise", started, ok)
    return row


def whatif(
    svc: Service,
    now: dt.datetime,
    unavailable: Sequence[str],
    price: pd.Series | None,
    price_area: str | None = None,
    owner: str = "operator",
) -> Plan:
    """A what-if plan with batteries unavailable and/or another price series (explicit, or another JEPX
    area's); stored as kind 'whatif'. The service's optimiser solves it in the heavy-job pool (a worker process,
    a model of its own; JobsFullError past the pool's bound), another planner (tests) in this thread."""
    from runtime.loop.optimiser_planner import OptimizerPlanner

    request = build_request(svc, now, unavailable, price, price_area)
    if isinstance(svc.planner, OptimizerPlanner):
        plan_in: plans.PlanIn = svc.jobs.submit("whatif", owner, plan_in_worker, request).future.result()
    else:
        plan_in = svc.planner(request)
    plan_in.kind, plan_in.status, plan_in.created_at = "whatif", "proposed", now
    plan_in.inputs_summary = plan_in.inputs_summary.updated(
        unavailable_batteries=sorted(unavailable),
        price_override=price is not None,
        price_area=price_area,
        notes=list(request.notes),
        solver_kind=plan_in.solver_status,
    )
    return plans.save_plan(svc.store, plan_in)


def plan_in_worker(request: PlanRequest) -> plans.PlanIn:
    """Plan `request` with a new optimiser (runs in a heavy-job worker process)."""
    from runtime.loop.build import default_planner

    return default_planner()(request)
