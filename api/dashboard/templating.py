"""Jinja2 rendering of the dashboard: one environment (autoescaped), the base layout with navigation by role, the
language switch, and `render()` that every page route calls.

Pages carry no inline script (the app's CSP is `script-src 'self'`): data for the charts travels in
`<script type="application/json">` blocks (`json_block`), the code in `static/js/*.js`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from api.dashboard.i18n import LANG_COOKIE, LANGS, catalogue, choose_lang
from runtime.security import Principal
from scenarios.timegrid import TZ

ECHARTS_VERSION = "6.1.0"
TEMPLATES = Path(__file__).with_name("templates")
NAV = (  # (path, message key, roles that see the link)
    ("/", "nav.today", ("operator", "disaster_office")),
    ("/supply", "nav.supply", ("operator", "disaster_office")),
    ("/plans", "nav.plans", ("operator", "disaster_office")),
    ("/events", "nav.events", ("operator", "disaster_office", "facility_manager")),
    ("/map", "nav.map", ("operator", "disaster_office")),
    ("/outage", "nav.outage", ("operator", "disaster_office")),
    ("/invest", "nav.invest", ("operator", "disaster_office")),
)


def json_block(element_id: str, data: Any) -> Markup:
    """A `<script type="application/json">` block (not executed; CSP-safe) holding `data`; `<`, `>` and `&` are
    escaped so no value can close the block."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup('<script type="application/json" id="{}">{}</script>').format(element_id, Markup(text))  # noqa: S704


def _num(value: float | None, digits: int = 1) -> str:
    """A number with thousands separators, or '–' for None."""
    return "–" if value is None else f"{value:,.{digits}f}"


def _jst(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A tz-aware time shown in Asia/Tokyo; '–' for None."""
    return "–" if value is None else pd.Timestamp(value).tz_convert(TZ).strftime(fmt)


ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["num"] = _num
ENV.filters["jst"] = _jst
ENV.globals["json_block"] = json_block
ENV.globals["echarts_version"] = ECHARTS_VERSION


def nav_links(user: Principal | None) -> list[tuple[str, str]]:
    """(path, message key) of the links `user`'s role sees; a facility manager gets their facility first."""
    if user is None:
        return []
    links = [(path, key) for path, key, roles in NAV if user.role in roles]
    if user.role == "facility_manager" and user.facility_id:
        links.insert(0, (f"/facility/{user.facility_id}", "nav.facility"))
    return links


def page_lang(request: Request) -> str:
    """The language of this request (`?lang=`, cookie, default ja)."""
    return choose_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def render(
    request: Request,
    template: str,
    user: Principal | None,
    context: Mapping[str, Any] | None = None,
    status_code: int = 200,
    refresh_s: int | None = None,
) -> HTMLResponse:
    """Render `template` in the request's language with the layout's context; a `?lang=` choice is kept in a
    cookie for a year."""
    lang = page_lang(request)
    messages = catalogue(lang)
    here = request.url.path
    switch = {other: f"{here}?{_with_lang(request, other)}" for other in LANGS}
    html = ENV.get_template(template).render(
        {
            **(context or {}),
            "t": messages.t,
            "tv": messages.tv,
            "lang": lang,
            "langs": LANGS,
            "switch": switch,
            "user": user,
            "nav": nav_links(user),
            "here": here,
            "refresh_s": refresh_s,
        }
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _with_lang(request: Request, lang: str) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = lang
    return urlencode(params)
