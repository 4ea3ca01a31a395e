"""Dashboard routes: login, city overview, supply chart, facility page, events (session cookie auth)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, FastAPI, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.dashboard import views
from api.routers.deps import COOKIE, ServiceDep, optional_principal
from runtime import security
from runtime.security import Principal
from runtime.store import journal, plans, readings
from runtime.store.status import city_status, summarise
from scenarios.timegrid import SLOT

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).with_name("static")
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def mount_static(app: FastAPI) -> None:
    """Serve the dashboard's CSS."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def page(title: str, body: str, user: Principal | None, refresh_s: int | None = None) -> HTMLResponse:
    """A full HTML page with the navigation bar."""
    meta = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    nav = ""
    if user is not None:
        nav = (
            '<a href="/">概要 Overview</a><a href="/supply">需給 Supply</a><a href="/events">イベント Events</a>'
            + ('<a href="/outage">停電計画 Outage plan</a>' if user.role in ("operator", "disaster_office") else "")
            + f'<span class="user">{escape(user.username)} ({escape(user.role)}) · <a href="/logout">'
            "ログアウト Log out</a></span>"
        )
    return HTMLResponse(
        f'<!doctype html><html lang="ja"><head><meta charset="utf-8">{meta}<title>{escape(title)}'
        '</title><link rel="stylesheet" href="/static/style.css"></head><body><header>'
        f"<strong>山口EMS Yamaguchi EMS</strong>{nav}</header><main>{body}</main></body></html>"
    )


def _login_form(error: str = "") -> str:
    message = f'<p class="error" id="login-error">{escape(error)}</p>' if error else ""
    return (
        '<form class="login" method="post" action="/login"><h1>ログイン Log in</h1>'
        + message
        + '<label for="username">ユーザー名 User name</label><input id="username" name="username" required>'
        '<label for="password">パスワード Password</label>'
        '<input id="password" name="password" type="password" required>'
        '<button type="submit" id="login-button">ログイン Log in</button></form>'
    )


@router.get("/login")
def login_page(user: MaybeUser) -> Response:
    """The login form."""
    return page("Login", _login_form(), None)


@router.post("/login")
def login_submit(
    svc: ServiceDep, username: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=256)]
) -> Response:
    """Check the password, set the session cookie and go to the overview."""
    principal = security.authenticate(svc.store, username, password)
    if principal is None:
        return page("Login", _login_form("ユーザー名またはパスワードが違います / Wrong user name or password"), None)
    hours = svc.settings.session_hours
    token = security.issue_token(principal, svc.settings.secret_key.get_secret_value(), hours)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, token, max_age=int(hours * 3600), httponly=True, samesite="strict")
    return response


@router.get("/logout")
def logout() -> Response:
    """Clear the session and go to the login page."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def overview(svc: ServiceDep, user: MaybeUser) -> Response:
    """City overview (facility managers see their facility)."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    only = user.facility_id if user.role == "facility_manager" else None
    statuses = city_status(svc.store, svc.scenario, svc.clock(), only)
    summary = None if only else summarise(svc.scenario, statuses, svc.settings.stale_after_s)
    return page("Overview", views.overview(summary, statuses), user, refresh_s=15)


@router.get("/supply")
def supply(svc: ServiceDep, user: MaybeUser) -> Response:
    """Supply-plan chart: plan per slot, planned vs actual grid, imbalance."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if user.role == "facility_manager":
        return page("Supply", "<p>権限がありません Not permitted for facility managers.</p>", user)
    plan = plans.latest_plan(svc.store)
    slots = plans.plan_slots(svc.store, plan.id) if plan else []
    actual: dict[pd.Timestamp, float] = {}
    imbalances = []
    if slots:
        start, end = slots[0].slot_start, slots[-1].slot_start + SLOT
        meters = {(f.id, m.id) for f in svc.scenario.supplied for m in f.meters if m.role == "grid"}
        for agg in readings.aggregates_between(svc.store, start, end, point="power_kw"):
            if (agg.facility_id, agg.device_id) in meters:
                key = pd.Timestamp(agg.slot_start)
                actual[key] = actual.get(key, 0.0) + agg.mean
        imbalances = journal.list_imbalances(svc.store, start - pd.Timedelta(hours=24), end)
    return page("Supply", views.supply(plan, slots, actual, imbalances), user, refresh_s=60)


@router.get("/facility/{facility_id}")
def facility(facility_id: str, svc: ServiceDep, user: MaybeUser) -> Response:
    """One facility's live points and forecast."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    if facility_id not in {f.id for f in svc.scenario.facilities} or not user.may_read(facility_id):
        return page("Facility", "<p>施設が見つかりません Facility not found.</p>", user)
    status = city_status(svc.store, svc.scenario, svc.clock(), facility_id)[0]
    _run, frames = journal.latest_forecast(svc.store)
    return page(status.name_en, views.facility(status, frames.get(facility_id)), user, refresh_s=15)


@router.get("/events")
def events(svc: ServiceDep, user: MaybeUser) -> Response:
    """Recent events."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    only = user.facility_id if user.role == "facility_manager" else None
    return page("Events", views.events(journal.list_events(svc.store, 200, only)), user, refresh_s=30)
