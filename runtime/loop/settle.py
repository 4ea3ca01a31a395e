"""The settle step: the imbalance of a finished slot, planned vs metered energy of the balancing group.

Imbalance = actual − planned in kWh (+ = shortfall), the actual being the sum of the supplied facilities' grid
meters (slot means, kW, + = import) × 0.5 h and the plan the one fixed at gate closure
(``runtime.loop.following.plan_for_slot``). Settlement estimate: a shortfall pays min(spot + spread, cap) per kWh,
a surplus earns max(spot − spread, 0) per kWh (cost_jpy + = YGE pays).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from runtime.loop.following import grid_meters, plan_for_slot, planned_demand_kw
from runtime.loop.service import Service
from runtime.store import journal, readings
from runtime.store.models import Imbalance
from scenarios.device_identity import DeviceKey
from scenarios.model import ImbalanceParams
from scenarios.timegrid import SLOT, SLOT_FREQ, SLOT_HOURS, floor_to_slot


def imbalance_cost_jpy(
    imbalance_kwh: float, spot_jpy_per_kwh: float, params: ImbalanceParams, when: dt.datetime
) -> float:
    """Estimated settlement of one slot's imbalance in JPY (+ = pay), with the cap valid at `when`."""
    cap = (
        params.cap_from_2026_10_jpy_per_kwh
        if when >= dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        else params.cap_jpy_per_kwh
    )
    if imbalance_kwh >= 0:
        return imbalance_kwh * min(spot_jpy_per_kwh + params.spread_jpy_per_kwh, cap)
    return imbalance_kwh * max(spot_jpy_per_kwh - params.spread_jpy_per_kwh, 0.0)


def slot_actual_kwh(meter_means_kw: dict[str, float]) -> float:
    """Metered energy of a slot in kWh from each supplied facility's mean grid power (kW)."""
    return sum(meter_means_kw.values()) * SLOT_HOURS


def settle(svc: Service, slot_start: dt.datetime) -> Imbalance | None:
    """Record the imbalance of a finished slot from its metered grid energy; None without plan or meters."""
    found = plan_for_slot(svc, slot_start)
    if found is None:
        return None
    plan, slot = found
    end = slot_start + SLOT
    readings.aggregate_slots(svc.store, slot_start, end)
    meters = grid_meters(svc.scenario)
    means = {
        str(DeviceKey(a.facility_id, a.device_id)): a.mean
        for a in readings.aggregates_between(svc.store, slot_start, end, point="power_kw")
        if (a.facility_id, a.device_id) in meters
    }
    if not means:
        return None
    planned = planned_demand_kw(slot) * SLOT_HOURS
    actual = slot_actual_kwh(means)
    cost = imbalance_cost_jpy(actual - planned, slot.price_jpy_per_kwh, svc.scenario.market.imbalance, slot_start)
    return journal.save_imbalance(svc.store, slot_start, plan.id, planned, actual, slot.price_jpy_per_kwh, cost)


def settle_previous(svc: Service, now: dt.datetime) -> Imbalance | None:
    """Settle the slot before the one containing `now`."""
    return settle(svc, (floor_to_slot(now) - SLOT).to_pydatetime())


CATCH_UP_SLOTS = 96
"""How far back (slots, 48 h) a catch-up looks when settle never ran."""


def missed_slots(svc: Service, now: dt.datetime, max_slots: int = CATCH_UP_SLOTS) -> list[dt.datetime]:
    """Finished slots (starts, tz-aware) not settled yet: from the slot the last settle run settled (table
    job_runs), at most `max_slots` back, to the slot before the one containing `now`."""
    last_finished = floor_to_slot(now) - SLOT
    earliest = last_finished - (max_slots - 1) * SLOT
    last = journal.job_runs(svc.store).get("settle")
    if last is not None:
        earliest = max(earliest, floor_to_slot(last.last_run) - SLOT)
    if earliest > last_finished:
        return []
    done = {i.slot_start for i in journal.list_imbalances(svc.store, earliest.to_pydatetime(), now)}
    slots = [t.to_pydatetime() for t in pd.date_range(earliest, last_finished, freq=SLOT_FREQ)]
    return [t for t in slots if t not in done]


def settle_missed(svc: Service, now: dt.datetime) -> list[Imbalance]:
    """Settle every finished slot not settled yet (catch-up after a restart or a failed run; the scheduled job
    too, so a gap never stays open); records the run in job_runs. Returns the imbalances recorded."""
    done = [imb for slot in missed_slots(svc, now) if (imb := settle(svc, slot)) is not None]
    journal.mark_job(svc.store, "settle", now, True, f"{len(done)} slots settled")
    return done
