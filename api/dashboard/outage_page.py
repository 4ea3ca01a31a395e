"""Dashboard page /outage (停電計画 Outage plan) for the disaster office and operators: a form (start JST, hours,
PV factor, method) that runs the outage planner (HiGHS with a 20-s limit, warm-started from and never worse
than the greedy plan, or greedy alone) and shows a timeline per shelter, the shelter table, the EV itinerary
and download links (CSV, JSON). Facility managers get 403. Energies kWh, hours h, times JST."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from api.dashboard.outage_chart import TimelineRow, timeline_chart
from api.dashboard.pages import MaybeUser, page
from api.routers.deps import ServiceDep
from api.routers.outage import execute_plan
from api.routers.outage_runs import runs_of
from runtime.facades import outage_planning as outage
from runtime.facades.outage_planning import OutagePlan
from runtime.security import Principal
from scenarios.model import Scenario
from scenarios.timegrid import TZ

router = APIRouter(include_in_schema=False)
ROLES = ("operator", "disaster_office")
TIME_LIMIT_S = 20.0
SERVED_TOLERANCE_KW = 1e-3
MIN_HOURS, MAX_HOURS = 4.0, 72.0  # as POST /api/v1/outage-plans (cars move in blocks of up to 4 h)
STYLE = (
    "<style>form.outage{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-end;background:#fff;padding:12px;"
    "border-radius:6px;margin-bottom:12px}form.outage label{display:flex;flex-direction:column;font-size:13px;"
    "gap:4px}form.outage button{padding:8px 16px;background:#14532d;color:#fff;border:0;border-radius:4px}"
    "tr.dark td:first-child{border-left:4px solid #dc2626}h2{font-size:16px;margin:16px 0 8px}</style>"
)


def _form(start: str, hours: str, pv_factor: str, method: str, error: str = "") -> str:
    message = f'<p class="error" id="outage-error">{escape(error)}</p>' if error else ""
    options = "".join(
        f'<option value="{v}"{" selected" if v == method else ""}>{label}</option>'
        for v, label in (("milp", f"最適化 MILP (≤ {TIME_LIMIT_S:g} s)"), ("greedy", "簡易 Greedy"))
    )
    return (
        f'{STYLE}<h1>停電計画 Outage plan</h1><form class="outage" id="outage-form" method="post" action="/outage">'
        f'{message}<label>開始 Start (JST)<input id="start" name="start" type="datetime-local" '
        f'value="{escape(start)}" required></label>'
        f'<label>時間 Hours ({MIN_HOURS:g}–{MAX_HOURS:g})<input id="hours" name="hours" type="number" '
        f'min="{MIN_HOURS:g}" max="{MAX_HOURS:g}" step="0.5" value="{escape(hours)}" required></label>'
        '<label>PV係数 PV factor (0–1)<input id="pv_factor" name="pv_factor" type="number" min="0" max="1" '
        f'step="0.05" value="{escape(pv_factor)}"></label>'
        f'<label>方法 Method<select id="method" name="method">{options}</select></label>'
        '<button type="submit" id="outage-run">計画実行 Run plan</button></form>'
    )


def _forbidden(user: Principal) -> Response:
    response = page(
        "Outage plan",
        "<p>権限がありません Not permitted: the outage plan is for the disaster office and operators.</p>",
        user,
    )
    response.status_code = 403
    return response


def _default_start(now: dt.datetime) -> str:
    """The next full hour after `now`, JST, as the form's text."""
    return (pd.Timestamp(now).tz_convert(TZ).floor("h") + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


@router.get("/outage")
def outage_form(svc: ServiceDep, user: MaybeUser) -> Response:
    """The empty form (start defaults to the next full hour, JST)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in ROLES:
        return _forbidden(user)
    return page("Outage plan", _form(_default_start(svc.clock()), "72", "1.0", "milp"), user)


def _parse(start: str, hours: str, pv_factor: str, method: str) -> tuple[pd.Timestamp, float, float]:
    """Form values to (start JST, hours, pv factor); ValueError naming the field."""
    try:
        when, _ = outage.outage_start(start)
    except (ValueError, TypeError):
        raise ValueError(f"start: '{start}' is not a date and time, e.g. 2024-09-01T14:00") from None
    try:
        h, pv = float(hours), float(pv_factor or "1")
    except ValueError:
        raise ValueError(f"hours / pv_factor: '{hours}' / '{pv_factor}' must be numbers") from None
    if not MIN_HOURS <= h <= MAX_HOURS:
        raise ValueError(f"hours: {h:g} must be {MIN_HOURS:g}..{MAX_HOURS:g}")
    if not 0 <= pv <= 1:
        raise ValueError(f"pv_factor: {pv:g} must be 0..1 (fraction of the clear-sky PV)")
    if method not in ("milp", "greedy"):
        raise ValueError(f"method: '{method}' is not 'milp' or 'greedy'")
    return when, h, pv


@router.post("/outage")
def outage_run(
    request: Request,
    svc: ServiceDep,
    user: MaybeUser,
    start: Annotated[str, Form(max_length=40)],
    hours: Annotated[str, Form(max_length=10)] = "72",
    pv_factor: Annotated[str, Form(max_length=10)] = "1.0",
    method: Annotated[str, Form(max_length=10)] = "milp",
) -> Response:
    """Run the plan and show timeline, shelter table, itinerary and downloads; 422 with the form on bad input."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role not in ROLES:
        return _forbidden(user)
    try:
        when, h, pv = _parse(start, hours, pv_factor, method)
        result = execute_plan(svc, user, when, h, method, TIME_LIMIT_S, pv)
    except (ValueError, HTTPException) as exc:
        text = exc.detail if isinstance(exc, HTTPException) else str(exc)
        response = page("Outage plan", _form(start, hours, pv_factor, method, str(text)), user)
        response.status_code = exc.status_code if isinstance(exc, HTTPException) else 422
        return response
    run_id = runs_of(request).add(result)
    form = _form(when.strftime("%Y-%m-%dT%H:%M"), f"{h:g}", f"{pv:g}", method)
    return page("Outage plan", form + result_view(result, run_id, svc.scenario), user)


def _names(scenario: Scenario) -> dict[str, tuple[str, str]]:
    return {f.id: (f.name_ja, f.name_en) for f in scenario.facilities}


def timeline_rows(result: OutagePlan, scenario: Scenario) -> list[TimelineRow]:
    """Per shelter: slot states from served and shed kW, EV supply flags, hours until dark."""
    shed, served, ev = result.shed_kw, result.served_kw, result.ev_delivered_kw
    table: dict[object, dict[object, Any]] = result.shelter_table().to_dict(orient="index")
    names = _names(scenario)
    rows = []
    for j, s in enumerate(result.data.shelters):
        short = shed[:, j] > SERVED_TOLERANCE_KW
        states = np.where(~short, "served", np.where(served[:, j] > SERVED_TOLERANCE_KW, "partial", "dark"))
        dark = table[s.id]["dark_at"]
        rows.append(
            TimelineRow(
                s.id,
                names.get(s.id, (s.id, s.id))[0],
                [str(v) for v in states],
                [bool(v) for v in ev[:, j] > SERVED_TOLERANCE_KW],
                None if dark is None or pd.isna(dark) else float(table[s.id]["hours_until_dark"]),
            )
        )
    return rows


def _jst(iso: object) -> str:
    if iso is None or (isinstance(iso, float) and np.isnan(iso)):
        return "–"
    return pd.Timestamp(str(iso)).tz_convert(TZ).strftime("%m/%d %H:%M")


def _cards(result: OutagePlan) -> str:
    s = result.summary()
    gap = "–" if s["gap"] is None else f"{100 * s['gap']:.2f} %"
    items = (
        ("方法 Method", f"{s['method']} ({s['status']})"),
        ("供給 Served kWh", f"{s['served_kwh']:,.1f}"),
        ("重要負荷 Critical kWh", f"{s['critical_kwh']:,.1f}"),
        ("遮断 Shed kWh", f"{s['critical_kwh'] - s['served_kwh']:,.1f}"),
        ("ギャップ Gap", gap),
        ("計算 Solve s", f"{s['solve_seconds']:.1f}"),
        ("EV 移動 Moves", str(s["moves"])),
    )
    return (
        '<div class="cards" id="outage-summary">'
        + "".join(f'<div class="card">{k}<b>{escape(v)}</b></div>' for k, v in items)
        + "</div>"
    )


def _shelter_table(result: OutagePlan, scenario: Scenario) -> str:
    names = _names(scenario)
    rows = []
    for sid, r in result.shelter_table().iterrows():
        ja, en = names.get(str(sid), (str(sid), str(sid)))
        dark = r["dark_at"] is not None and not pd.isna(r["dark_at"])
        rows.append(
            f'<tr class="shelter-row{" dark" if dark else ""}" data-shelter="{escape(str(sid))}">'
            f'<td class="name">{escape(ja)}<br><small>{escape(en)}</small></td>'
            f"<td>{r['critical_kwh']:,.1f}</td><td>{r['hours_served']:g}</td>"
            f"<td>{_jst(r['dark_at']) if dark else '–'}</td><td>{r['pv_kwh']:,.1f}</td>"
            f"<td>{r['battery_kwh']:,.1f}</td><td>{r['ev_kwh']:,.1f}</td><td>{r['shed_kwh']:,.1f}</td></tr>"
        )
    return (
        '<h2>避難所 Shelters</h2><table id="outage-shelters"><thead><tr><th class="name">避難所 Shelter</th>'
        "<th>重要負荷 Critical kWh</th><th>供給時間 Hours served</th><th>停電開始 Dark at (JST)</th>"
        "<th>PV kWh</th><th>蓄電池(正味) Battery net kWh</th><th>EV kWh</th><th>遮断 Shed kWh</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )


def _itinerary(result: OutagePlan, scenario: Scenario) -> str:
    names = _names(scenario)
    rows = "".join(
        f'<tr class="move-row"><td class="name">{escape(m.car)}</td><td class="name">'
        f'{escape(names.get(m.from_site, (m.from_site,))[0])}</td><td class="name">'
        f"{escape(names.get(m.to_shelter, (m.to_shelter,))[0])}</td><td>{m.depart.tz_convert(TZ):%m/%d %H:%M}</td>"
        f"<td>{m.arrive.tz_convert(TZ):%m/%d %H:%M}</td><td>{m.delivered_kwh:,.1f}</td></tr>"
        for m in result.moves
    )
    if not rows:
        rows = '<tr><td class="name" colspan="6">移動なし No moves</td></tr>'
    return (
        '<h2>EV 配車 EV itinerary</h2><table id="outage-itinerary"><thead><tr><th class="name">車両 Car</th>'
        '<th class="name">出発地 From</th><th class="name">行先 To</th><th>出発 Depart (JST)</th>'
        "<th>到着 Arrive (JST)</th><th>供給 Delivered kWh</th></tr></thead><tbody>" + rows + "</tbody></table>"
    )


def result_view(result: OutagePlan, run_id: str, scenario: Scenario) -> str:
    """Summary cards, timeline SVG, shelter table, itinerary and the download links of a plan."""
    index = result.data.index.tz_convert(TZ)
    chart = timeline_chart(
        timeline_rows(result, scenario), result.h, [t.strftime("%m/%d %H:%M") for t in index], "outage timeline"
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
    base = f"/api/v1/outage-plans/{run_id}"
    links = (
        f'<p class="downloads" id="outage-downloads"><a href="{base}/shelters.csv">避難所表 CSV shelters</a> · '
        f'<a href="{base}/itinerary.csv">配車表 CSV itinerary</a> · <a href="{base}/plan.json">計画 JSON plan</a>'
        "</p>"
    )
    return (
        f"<h2>結果 Result: {index[0]:%Y-%m-%d %H:%M} JST から {result.data.n_slots * result.h:g} h</h2>"
        f"{_cards(result)}<h2>避難所タイムライン Shelter timeline</h2>"
        f'<div class="chart" id="outage-timeline">{chart}</div>{_shelter_table(result, scenario)}'
        f'{_itinerary(result, scenario)}{links}<ul class="notes">{notes}</ul>'
    )
