"""Dashboard page /supply: the plan in force against what happened, over the last 24 h and the plan's horizon.

One chart per 30-min slot (JST labels with dates): the plan's supply stacked (plant, JEPX buy, JEPX sell as
negative, PV, battery, interchange; kW), the planned and the metered grid demand of the group (kW: for a settled
slot the planned line is the plan fixed for it and the actual line its metered energy / 0.5 h; before settlement
the grid meters' slot means), the JEPX price (JPY/kWh, right axis). Below: the imbalance of every settled slot
(kWh, JPY) and the plan per JEPX slot (計画値): for a slot past gate closure the row fixed then (what was
submitted; `binding.py`), later slots from the plan in force. The bars and the planned line use the same rows.
Operators and the disaster office; managers get 403.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from api.dashboard.access import MaybeUser, gate, message
from api.dashboard.binding import BindingSlot, binding_slots
from api.dashboard.chart_spec import Series, slot_labels, time_chart
from api.dashboard.i18n import Catalogue, catalogue
from api.dashboard.market_section import market_section, plan_file
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from runtime.loop.following import grid_meters, planned_demand_kw
from runtime.loop.service import Service
from runtime.store import journal, plans, readings
from runtime.store.models import Imbalance, PlanSlot
from scenarios.timegrid import SLOT, SLOT_HOURS, TZ, jepx_slot_number

router = APIRouter(include_in_schema=False)
PAST = pd.Timedelta(hours=24)


def window(now: dt.datetime, slots: list[PlanSlot]) -> pd.DatetimeIndex:
    """Slot starts from 24 h before the current slot to the end of the plan (at least the current slot), UTC."""
    current = pd.Timestamp(now).tz_convert("UTC").floor("30min")
    end = max([current + SLOT, *(pd.Timestamp(s.slot_start).tz_convert("UTC") + SLOT for s in slots)])
    return pd.date_range(current - PAST, end, freq="30min", inclusive="left")


def metered_kw(svc: Service, start: pd.Timestamp, end: pd.Timestamp) -> dict[pd.Timestamp, float]:
    """Sum of the supplied facilities' grid-meter slot means (kW) per slot in [start, end) (read only for the
    finished slots that have no settlement: a settled slot's actual is its Imbalance row)."""
    meters = grid_meters(svc.scenario)
    total: dict[pd.Timestamp, float] = {}
    for agg in readings.aggregates_between(svc.store, start.to_pydatetime(), end.to_pydatetime(), point="power_kw"):
        if (agg.facility_id, agg.device_id) in meters:
            key = pd.Timestamp(agg.slot_start).tz_convert("UTC")
            total[key] = total.get(key, 0.0) + agg.mean
    return total


def supply_chart(
    t: Catalogue,
    index: pd.DatetimeIndex,
    slots: list[PlanSlot],
    settled: dict[pd.Timestamp, Imbalance],
    metered: dict[pd.Timestamp, float],
) -> dict[str, object]:
    """The plan-vs-actual chart (kW; price in JPY/kWh on the right)."""
    by_t = {pd.Timestamp(s.slot_start).tz_convert("UTC"): s for s in slots}

    def plan(attr: str, sign: float = 1.0) -> list[float | None]:
        return [sign * getattr(by_t[k], attr) if k in by_t else None for k in index]

    planned = [
        settled[k].planned_kwh / SLOT_HOURS if k in settled else (planned_demand_kw(by_t[k]) if k in by_t else None)
        for k in index
    ]
    actual = [settled[k].actual_kwh / SLOT_HOURS if k in settled else metered.get(k) for k in index]
    price = [
        by_t[k].price_jpy_per_kwh if k in by_t else (settled[k].price_jpy_per_kwh if k in settled else None)
        for k in index
    ]
    series = [
        Series(t.t("series.plant"), "bar", "#6b7280", plan("plant_kw"), stack="supply"),
        Series(t.t("series.jepx_buy"), "bar", "#2563eb", plan("jepx_buy_kw"), stack="supply"),
        Series(t.t("series.jepx_sell"), "bar", "#93c5fd", plan("jepx_sell_kw", -1.0), stack="supply"),
        Series(t.t("series.pv"), "bar", "#f59e0b", plan("pv_kw"), stack="supply"),
        Series(t.t("series.battery"), "bar", "#16a34a", plan("battery_kw"), stack="supply"),
        Series(t.t("series.interchange"), "bar", "#a855f7", plan("interchange_kw"), stack="supply"),
        Series(t.t("series.load_plan"), "line", "#111827", plan("load_kw")),
        Series(t.t("series.planned_grid"), "line", "#dc2626", planned),
        Series(t.t("series.actual_grid"), "line", "#0891b2", actual),
        Series(t.t("series.price"), "line", "#9333ea", price, axis=1, dashed=True),
    ]
    return time_chart(slot_labels(index), series, "kW", "JPY/kWh")


def imbalance_chart(t: Catalogue, rows: list[Imbalance]) -> dict[str, object]:
    """Imbalance per settled slot: kWh bars (+ = shortfall) and JPY on the right."""
    index = [r.slot_start for r in rows]
    series = [
        Series(t.t("series.imbalance_kwh"), "bar", "#dc2626", [r.imbalance_kwh for r in rows]),
        Series(t.t("series.imbalance_jpy"), "line", "#111827", [r.cost_jpy for r in rows], axis=1),
    ]
    return time_chart(slot_labels(index), series, "kWh", "JPY")


def submitted_rows(binding: list[BindingSlot]) -> list[dict[str, object]]:
    """The plan per slot as submitted or to be submitted: JEPX slot number (コマ), start JST, plant, JEPX buy and
    sell kWh, demand kWh, price, and the version fixed at gate closure (None = may still change)."""
    out: list[dict[str, object]] = []
    for b in binding:
        s = b.row
        local = pd.Timestamp(s.slot_start).tz_convert(TZ)
        out.append(
            {
                "fixed_version": b.fixed_version,
                "koma": jepx_slot_number(local),
                "start": local,
                "plant_kwh": s.plant_kw * SLOT_HOURS,
                "buy_kwh": s.jepx_buy_kw * SLOT_HOURS,
                "sell_kwh": s.jepx_sell_kw * SLOT_HOURS,
                "demand_kwh": planned_demand_kw(s) * SLOT_HOURS,
                "price": s.price_jpy_per_kwh,
            }
        )
    return out


def supply_context(svc: Service, lang: str, market: bool = False, day: dt.date | None = None) -> dict[str, object]:
    """The page's data: plan, both charts, settled imbalances with totals, the submitted plan; with `market` the
    market day (`day` or the default of `market_section.choose_day`)."""
    t = catalogue(lang)
    now = svc.clock()
    plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    binding = binding_slots(svc, plans.plan_slots(svc.store, plan.id), now) if plan else []
    slots = [b.row for b in binding]
    index = window(now, slots)
    rows = journal.list_imbalances(svc.store, index[0].to_pydatetime(), (index[-1] + SLOT).to_pydatetime())
    settled = {pd.Timestamp(r.slot_start).tz_convert("UTC"): r for r in rows}
    current = pd.Timestamp(now).tz_convert("UTC").floor("30min")
    unsettled = [k for k in index if k not in settled and k < current]  # finished slots without a settlement
    metered = metered_kw(svc, unsettled[0], current) if unsettled else {}
    return {
        "title": t.t("supply.title"),
        "now": now,
        "plan": plan,
        "chart": supply_chart(t, index, slots, settled, metered),
        "imbalance_chart": imbalance_chart(t, rows),
        "imbalances": rows,
        "imbalance_kwh": sum(r.imbalance_kwh for r in rows),
        "imbalance_jpy": sum(r.cost_jpy for r in rows),
        "submitted": submitted_rows(binding),
        "market": market_section(svc, now, day) if market else None,
    }


@router.get("/supply")
def supply(request: Request, svc: ServiceDep, user: MaybeUser, day: dt.date | None = None) -> Response:
    """Plan vs actual with prices, imbalance per settled slot, the submitted plan; for operators the market day
    (`?day=YYYY-MM-DD`)."""
    denied = gate(request, user)
    if denied is not None:
        return denied
    operator = user is not None and user.role == "operator"
    context = supply_context(svc, page_lang(request), market=operator, day=day)
    return render(request, "supply.html", user, context, refresh_s=60)


@router.get("/supply/plan-file/{day}")
def supply_plan_file(request: Request, svc: ServiceDep, user: MaybeUser, day: dt.date) -> Response:
    """The submitted 需要調達計画 file of `day` as written (UTF-8 with BOM CSV); operators only, 404 before it."""
    denied = gate(request, user, ("operator",))
    if denied is not None:
        return denied
    path = plan_file(svc, day)
    if path is None:
        return message(request, user, "market.no_file_title", "market.no_file", 404)
    return FileResponse(path, media_type="text/csv; charset=utf-8", filename=path.name)
