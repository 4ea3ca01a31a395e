"""Who may see which dashboard page, and the answers for those who may not (login redirect, 403, 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard.i18n import catalogue
from api.dashboard.templating import page_lang, render
from api.routers.deps import optional_principal
from runtime.security import Principal

MaybeUser = Annotated[Principal | None, Depends(optional_principal)]
CITY_ROLES = ("operator", "disaster_office")
"""Roles that see the city-wide pages (today, supply, plans, map, outage); facility managers see their own."""


def to_login() -> Response:
    """Not logged in: go to the login page."""
    return RedirectResponse("/login", status_code=303)


def message(request: Request, user: Principal | None, title_key: str, text_key: str, status_code: int) -> HTMLResponse:
    """A short page with one translated message."""
    t = catalogue(page_lang(request)).t
    context = {"title": t(title_key), "message": t(text_key), "css": "error"}
    return render(request, "message.html", user, context, status_code=status_code)


def forbidden(request: Request, user: Principal) -> HTMLResponse:
    """403: this role may not see the page."""
    return message(request, user, "forbidden.title", "forbidden.text", 403)


def gate(request: Request, user: Principal | None, roles: tuple[str, ...] = CITY_ROLES) -> Response | None:
    """None if `user` may see a page for `roles`; else the login redirect or the 403 page."""
    if user is None:
        return to_login()
    if user.role not in roles:
        return forbidden(request, user)
    return None
