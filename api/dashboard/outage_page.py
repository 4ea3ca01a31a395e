"""Dashboard page /outage (停電計画 Outage plan) for the disaster office and operators: a form (start JST, hours,
PV factor, method) that runs the outage planner (HiGHS with a 20-s limit, warm-started from and never worse
than the greedy plan, or greedy alone) and shows a timeline per shelter, the shelter table (with kWh served / needed
and hours fully served per service tier), the EV itinerary and download links (CSV, JSON). /outage/runs/{run_id}
shows a run stored in the database (runtime.store.outage_runs: it survives a restart) with the same tables and its
stored downloads. Facility managers get 403. Energies kWh, hours h, times JST."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import Response
from markupsafe import Markup

from api.dashboard.access import MaybeUser, forbidden, gate, message
from api.dashboard.i18n import Catalogue, catalogue
from api.dashboard.outage_chart import TimelineRow, timeline_chart
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from api.routers.outage import plan_and_keep
from api.routers.outage_runs import runs_of
from runtime.facades import outage_planning as outage
from runtime.facades.outage_planning import OutagePlan
from runtime.store.outage_retention import run_pruned
from runtime.store.outage_runs import StoredOutageRun, get_run, latest_run, shelter_rows
from scenarios.model import Scenario
from scenarios.timegrid import TZ

router = APIRouter(include_in_schema=False)
ROLES = ("operator", "disaster_office")
TIME_LIMIT_S = 20.0
SERVED_TOLERANCE_KW = 1e-3
MIN_HOURS, MAX_HOURS = 4.0, 72.0  # as POST /api/v1/outage-plans (cars move in blocks of up to 4 h)
RunPath = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


def _form(start: str, hours: str, pv_factor: str, method: str) -> dict[str, object]:
    """The form's values and limits."""
    return {
        "start": start,
        "hours": hours,
        "pv_factor": pv_factor,
        "method": method,
        "min_hours": MIN_HOURS,
        "max_hours": MAX_HOURS,
        "time_limit_s": TIME_LIMIT_S,
    }


def _default_start(now: dt.datetime) -> str:
    """The next full hour after `now`, JST, as the form's text."""
    return (pd.Timestamp(now).tz_convert(TZ).floor("h") + pd.Timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


@router.get("/outage")
def outage_form(request: Request, svc: ServiceDep, user: MaybeUser) -> Response:
    """The empty form (start defaults to the next full hour, JST) and the newest stored run with its map link."""
    denied = gate(request, user, ROLES)
    if denied is not None:
        return denied
    t = catalogue(page_lang(request))
    form = _form(_default_start(svc.clock()), "72", "1.0", "milp")
    context = {"title": t.t("outage.title"), "form": form, "last_run": latest_run(svc.store)}
    return render(request, "outage.html", user, context)


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
    denied = gate(request, user, ROLES)
    if denied is not None or user is None:
        return denied or forbidden(request, user)  # type: ignore[arg-type]
    t = catalogue(page_lang(request))
    try:
        when, h, pv = _parse(start, hours, pv_factor, method)
        result, run_id = plan_and_keep(svc, user, runs_of(request), when, h, method, TIME_LIMIT_S, pv)
    except (ValueError, HTTPException) as exc:
        text = exc.detail if isinstance(exc, HTTPException) else str(exc)
        context = {"title": t.t("outage.title"), "form": _form(start, hours, pv_factor, method), "error": str(text)}
        code = exc.status_code if isinstance(exc, HTTPException) else 422
        return render(request, "outage.html", user, context, status_code=code)
    context = {
        "title": t.t("outage.title"),
        "form": _form(when.strftime("%Y-%m-%dT%H:%M"), f"{h:g}", f"{pv:g}", method),
        **result_context(t, result, run_id, svc.scenario, page_lang(request)),
    }
    return render(request, "outage.html", user, context)


def _names(scenario: Scenario, lang: str) -> dict[str, str]:
    return {f.id: f.name_ja if lang == "ja" else f.name_en for f in scenario.facilities}


def timeline_rows(result: OutagePlan, scenario: Scenario, lang: str = "ja") -> list[TimelineRow]:
    """Per shelter: slot states from served and shed kW, EV supply flags, hours until dark."""
    shed, served, ev = result.shed_kw, result.served_kw, result.ev_delivered_kw
    table: dict[object, dict[object, Any]] = result.shelter_table().to_dict(orient="index")
    names = _names(scenario, lang)
    rows = []
    for j, s in enumerate(result.data.shelters):
        short = shed[:, j] > SERVED_TOLERANCE_KW
        states = np.where(~short, "served", np.where(served[:, j] > SERVED_TOLERANCE_KW, "partial", "dark"))
        dark = table[s.id]["dark_at"]
        rows.append(
            TimelineRow(
                s.id,
                names.get(s.id, s.id),
                [str(v) for v in states],
                [bool(v) for v in ev[:, j] > SERVED_TOLERANCE_KW],
                None if dark is None or pd.isna(dark) else float(table[s.id]["hours_until_dark"]),
            )
        )
    return rows


def _dark_at(iso: object) -> pd.Timestamp | None:
    if iso is None or (isinstance(iso, float) and np.isnan(iso)):
        return None
    return pd.Timestamp(str(iso))


def result_context(t: Catalogue, result: OutagePlan, run_id: str, scenario: Scenario, lang: str) -> dict[str, Any]:
    """The result's summary, timeline SVG (server-drawn, escaped inside), shelter rows, moves and download base."""
    index = result.data.index.tz_convert(TZ)
    labels = {k: t.t(f"timeline.{k}") for k in ("served", "partial", "dark", "ev", "first_dark", "no_dark")}
    chart = timeline_chart(
        timeline_rows(result, scenario, lang),
        result.h,
        [x.strftime("%m/%d %H:%M") for x in index],
        "outage timeline",
        labels,
    )
    names = _names(scenario, lang)
    shelters = [
        {**r, "id": r["shelter"], "name": names.get(r["shelter"], r["shelter"]), "dark_at": _dark_at(r["dark_at"])}
        for r in shelter_rows(result)
    ]
    return {
        "summary": result.summary(),
        "start": index[0],
        "total_hours": result.data.n_slots * result.h,
        "timeline": Markup(chart),  # noqa: S704 - outage_chart escapes every value it writes
        "shelters": shelters,
        "moves": [
            {"m": m, "from": names.get(m.from_site, m.from_site), "to": names.get(m.to_shelter, m.to_shelter)}
            for m in result.moves
        ],
        "notes": result.notes,
        "base": f"/api/v1/outage-plans/{run_id}",
        "run_id": run_id,
    }


def stored_context(run: StoredOutageRun, scenario: Scenario, lang: str) -> dict[str, Any]:
    """A stored run's shelter rows (tier figures None for runs stored before them), moves, totals (kWh) and the
    base of its downloads."""
    names = _names(scenario, lang)
    shelters = [
        {**dataclasses.asdict(s), "id": sid, "name": names.get(sid, sid)} for sid, s in sorted(run.shelters.items())
    ]
    return {
        "stored": run,
        "shelters": shelters,
        "moves": [
            {"m": m, "from": names.get(m.from_site, m.from_site), "to": names.get(m.to_shelter, m.to_shelter)}
            for m in run.moves
        ],
        "stored_served_kwh": sum(s.served_kwh for s in run.shelters.values()),
        "stored_shed_kwh": sum(s.shed_kwh for s in run.shelters.values()),
        "base": f"/api/v1/outage-plans/{run.run_id}",
    }


@router.get("/outage/runs/{run_id}")
def outage_stored(request: Request, svc: ServiceDep, user: MaybeUser, run_id: RunPath) -> Response:
    """A run kept in the database: its shelter table with the tiers, itinerary and downloads (404 if unknown, saying
    so naming EMS_OUTAGE_RUNS_KEPT if a job recorded it and it was pruned since)."""
    denied = gate(request, user, ROLES)
    if denied is not None:
        return denied
    run = get_run(svc.store, run_id)
    if run is None:
        text = "outage.run_pruned" if run_pruned(svc.store, run_id) else "outage.run_not_found"
        return message(request, user, "outage.title", text, 404)
    t, lang = catalogue(page_lang(request)), page_lang(request)
    form = _form(_default_start(svc.clock()), "72", "1.0", "milp")
    context = {"title": t.t("outage.title"), "form": form, **stored_context(run, svc.scenario, lang)}
    return render(request, "outage.html", user, context)
