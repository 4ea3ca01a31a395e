"""Dashboard page /facility/{id}: one facility's live points, PV/load forecast, the SoC the plan in force leads its
batteries to, a day's history (date picker, JST day) with daily kWh and the grid energy cost at the JEPX spot
price, and manual set-points (operators send, facility managers request; operators approve requests).
Everyone who may read the facility sees it (a manager only their own)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dashboard.access import MaybeUser, message, to_login
from api.dashboard.chart_spec import Series, slot_labels, time_chart
from api.dashboard.facility_data import HISTORY_KINDS, DayHistory, day_history, soc_path
from api.dashboard.i18n import Catalogue, catalogue
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from runtime.loop.prices import price_series
from runtime.loop.service import Service
from runtime.security import Principal
from runtime.store import journal, plans, readings
from runtime.store.models import Plan
from runtime.store.status import city_status
from scenarios.device_identity import DeviceKind, asset_kinds
from scenarios.model import Facility
from scenarios.timegrid import TZ

router = APIRouter(include_in_schema=False)
KIND_COLORS = {
    DeviceKind.PV: "#f59e0b",
    DeviceKind.BATTERY: "#16a34a",
    DeviceKind.EV: "#2563eb",
    DeviceKind.METER: "#111827",
}


def parse_day(text: str | None, now: dt.datetime) -> pd.Timestamp:
    """The JST day of `?date=YYYY-MM-DD` (default: today in JST); ValueError naming the field."""
    if not text:
        return pd.Timestamp(now).tz_convert(TZ).normalize()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date: '{text}' is not a date; use YYYY-MM-DD, e.g. 2024-06-09") from None
    return pd.Timestamp(day).tz_localize(TZ)


def history(svc: Service, facility: Facility, day: pd.Timestamp) -> DayHistory:
    """The stored 30-min aggregates of `facility` over the JST `day`, with the day's spot prices."""
    index = pd.date_range(day, day + pd.Timedelta(days=1), freq="30min", inclusive="left")
    rows = readings.aggregates_between(
        svc.store, index[0].to_pydatetime(), (index[-1] + pd.Timedelta("30min")).to_pydatetime(), facility.id
    )
    prices, _note = price_series(svc.scenario, index)
    grid = {m.id for m in facility.meters if m.role == "grid"}
    return day_history(index, rows, asset_kinds(facility), grid, prices)


def history_chart(t: Catalogue, h: DayHistory) -> dict[str, object]:
    """kW per slot by device kind over the day."""
    series = [Series(t.t(f"kind_device.{k.value}"), "line", KIND_COLORS[k], h.kw[k]) for k in HISTORY_KINDS]
    return time_chart(slot_labels(h.index), series, "kW")


def forecast_chart(t: Catalogue, frame: pd.DataFrame | None) -> dict[str, object] | None:
    """The stored PV and load forecast (kW) of the facility, if any."""
    if frame is None or frame.empty:
        return None
    series = [
        Series(t.t("series.pv_forecast"), "line", "#f59e0b", [float(v) for v in frame.get("pv", [])]),
        Series(t.t("series.load_forecast"), "line", "#111827", [float(v) for v in frame.get("load", [])]),
    ]
    return time_chart(slot_labels(frame.index), [s for s in series if s.data], "kW")


def soc_chart(t: Catalogue, plan: Plan | None, facility: Facility) -> dict[str, object] | None:
    """SoC plan (%) of each battery of the facility under the plan in force."""
    if plan is None or not facility.batteries:
        return None
    index = pd.date_range(
        pd.Timestamp(plan.horizon_start), pd.Timestamp(plan.horizon_end), freq="30min", inclusive="left"
    )
    series = []
    for b in facility.batteries:
        setpoints = plan.setpoints.get(facility.id, {}).get(b.id)
        start = plan.inputs_summary.battery_soc.get(f"{facility.id}/{b.id}")
        if not setpoints or start is None:
            continue
        path = [100 * v for v in soc_path(b, start, setpoints[: len(index)])]
        series.append(Series(f"{b.id} SoC", "line", "#16a34a", path + [None] * (len(index) - len(path))))
    if not series:
        return None
    labels = slot_labels(index + pd.Timedelta("30min"))  # the SoC at each slot's end
    return time_chart(labels, series, "%")


def controllable(facility: Facility) -> list[tuple[str, str, float, float]]:
    """(device id, kind, lowest kW, highest kW) of the batteries and chargers a set-point may be sent to."""
    out = [(b.id, "battery", -b.charge_kw, b.discharge_kw) for b in facility.batteries]
    out += [(c.id, "ev_charger", -c.discharge_kw, c.power_kw) for c in facility.ev_chargers]
    return out


def facility_context(
    svc: Service, facility: Facility, day: pd.Timestamp, user: Principal, lang: str
) -> dict[str, object]:
    """Everything the facility page shows."""
    t = catalogue(lang)
    now = svc.clock()
    status = city_status(svc.store, svc.scenario, now, facility.id)[0]
    _run, frames = journal.latest_forecast(svc.store)
    plan = plans.plan_in_force(svc.store, svc.settings.auto_approve)
    h = history(svc, facility, day)
    return {
        "title": facility.name_ja if lang == "ja" else facility.name_en,
        "facility": facility,
        "status": status,
        "forecast_chart": forecast_chart(t, frames.get(facility.id)),
        "soc_chart": soc_chart(t, plan, facility),
        "plan": plan,
        "day": day,
        "today": pd.Timestamp(now).tz_convert(TZ).normalize(),
        "history": h,
        "history_chart": history_chart(t, h),
        "kinds": HISTORY_KINDS,
        "devices": controllable(facility),
        "overrides": journal.list_overrides(svc.store, facility_id=facility.id)[:20],
        "may_send": user.role in ("operator", "facility_manager"),
        "may_decide": user.role == "operator",
    }


@router.get("/facility/{facility_id}")
def facility_page(
    request: Request, facility_id: str, svc: ServiceDep, user: MaybeUser, date: str | None = None
) -> Response:
    """One facility (a manager only their own: another facility answers 403, an unknown one 404)."""
    if user is None:
        return to_login()
    if facility_id not in {f.id for f in svc.scenario.facilities}:
        return message(request, user, "facility.title", "facility.not_found", 404)
    if not user.may_read(facility_id):
        return message(request, user, "forbidden.title", "facility.not_yours", 403)
    try:
        day = parse_day(date, svc.clock())
    except ValueError as exc:
        t = catalogue(page_lang(request))
        return render(
            request,
            "message.html",
            user,
            {"title": t.t("facility.title"), "message": str(exc), "css": "error"},
            status_code=422,
        )
    context = facility_context(svc, svc.scenario.facility(facility_id), day, user, page_lang(request))
    return render(request, "facility.html", user, context, refresh_s=None)
