"""Dashboard routes: login and logout, the static files (style sheet, scripts, vendored ECharts), and the today
page (energy flow of the balancing group now and the day's money). Facility managers land on their facility."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.dashboard.access import MaybeUser, gate, to_login
from api.dashboard.binding import binding_slots
from api.dashboard.chart_spec import sankey
from api.dashboard.flow import flow_links, flow_now
from api.dashboard.i18n import catalogue
from api.dashboard.money import day_bounds, day_money
from api.dashboard.templating import page_lang, render
from api.routers.deps import ServiceDep
from api.sessions import check_login, close_session, open_session
from runtime.loop.service import Service
from runtime.store import journal, plans
from runtime.store.models import Plan, PlanSlot
from runtime.store.status import city_status, summarise

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).with_name("static")
FLOW_NODES = ("plant", "jepx_buy", "jepx_sell", "group", "grid", "pv", "bat_out", "bat_in", "facilities", "ev")


def mount_static(app: FastAPI) -> None:
    """Serve the dashboard's style sheet, scripts and the vendored chart library under /static."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


@router.get("/login")
def login_page(request: Request) -> Response:
    """The login form."""
    return render(request, "login.html", None, {"title": catalogue(page_lang(request)).t("login.title")})


@router.post("/login")
def login_submit(
    request: Request,
    svc: ServiceDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Check the password (with the login back-off: 429 while waiting), open a server-side session, set its cookie
    and go to the start page of the role."""
    try:
        principal = check_login(svc, request, username, password)
    except HTTPException as exc:
        t = catalogue(page_lang(request)).t
        error = t("login.wrong") if exc.status_code == 401 else str(exc.detail)
        answer = render(request, "login.html", None, {"title": t("login.title"), "error": error})
        answer.status_code = exc.status_code
        answer.headers.update(exc.headers or {})
        return answer
    response = RedirectResponse("/", status_code=303)
    open_session(svc, request, response, principal)
    return response


@router.get("/logout")
def logout(svc: ServiceDep, request: Request) -> Response:
    """End the session (revoked server-side) and go to the login page."""
    response = RedirectResponse("/login", status_code=303)
    close_session(svc, request, response)
    return response


def current_slot(slots: list[PlanSlot], now: pd.Timestamp) -> PlanSlot | None:
    """The plan row of the slot containing `now`, if the plan covers it."""
    start = now.floor("30min")
    return next((s for s in slots if pd.Timestamp(s.slot_start) == start), None)


def today_context(svc: Service, plan: Plan | None, lang: str) -> dict[str, object]:
    """Everything the today page shows: flow now (kW), sankey, the day's money (JPY), plan and alarms. "Planned"
    is the binding row of each slot (the plan fixed at gate closure once it has passed, else the plan in force)."""
    t = catalogue(lang).t
    now = svc.clock()
    slots = [b.row for b in binding_slots(svc, plans.plan_slots(svc.store, plan.id), now)] if plan else []
    statuses = city_status(svc.store, svc.scenario, now)
    summary = summarise(svc.scenario, statuses, svc.settings.stale_after_s)
    flow = flow_now(current_slot(slots, pd.Timestamp(now)), summary)
    names = {k: t(f"flow.{k}") for k in FLOW_NODES}
    start, end = day_bounds(now)
    settled = journal.list_imbalances(svc.store, start.to_pydatetime(), end.to_pydatetime())
    money = day_money(
        now,
        settled,
        lambda plan_id: plans.plan_slots(svc.store, plan_id),
        slots,
        svc.scenario.market.sale_discount_jpy_per_kwh,
    )
    return {
        "title": t("today.title"),
        "now": now,
        "plan": plan,
        "flow": flow,
        "summary": summary,
        "statuses": statuses,
        "money": money,
        "flow_spec": sankey(flow_links(flow, names), "kW"),
        "open_alarms": journal.count_open_alarms(svc.store),
    }


@router.get("/")
def today(request: Request, svc: ServiceDep, user: MaybeUser) -> Response:
    """Today: the balancing group's energy flow now and the day's money; facility managers go to their facility."""
    if user is not None and user.role == "facility_manager" and user.facility_id:
        return RedirectResponse(f"/facility/{user.facility_id}", status_code=303)
    if user is None:
        return to_login()
    denied = gate(request, user)
    if denied is not None:
        return denied
    context = today_context(svc, plans.plan_in_force(svc.store, svc.settings.auto_approve), page_lang(request))
    return render(request, "today.html", user, context, refresh_s=30)
