"""Logging in and out over HTTP, shared by the API (/api/v1/auth) and the dashboard (/login, /logout).

A login is checked against the back-off first (429 with Retry-After, before any password check), then the
password; a success opens a server-side session whose token is returned and set as the ``ems_session`` cookie
(HttpOnly, SameSite=Strict, Secure when the request came over HTTPS, directly or through a trusted proxy).
"""

from __future__ import annotations

import math

from fastapi import HTTPException, Request, Response, status

from runtime import security
from runtime.loop.service import Service
from runtime.security import Principal
from runtime.throttle import LoginThrottle

COOKIE = "ems_session"


def client_address(request: Request) -> str:
    """The client's IP address (a trusted proxy's X-Forwarded-For is applied by the proxy-headers middleware)."""
    return request.client.host if request.client else ""


def throttle_for(svc: Service) -> LoginThrottle:
    """A login throttle configured from the service's settings."""
    s = svc.settings
    return LoginThrottle(s.login_free_attempts, s.login_address_free_attempts, s.login_backoff_s, s.login_backoff_max_s)


def check_login(svc: Service, request: Request, username: str, password: str) -> Principal:
    """The principal of a correct login; HTTPException 429 while backing off, 401 for a wrong name or password."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = client_address(request)
    wait = throttle.retry_after_s(username, address)
    if wait > 0:
        seconds = math.ceil(wait)
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed logins for this account or address; retry in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    principal = security.authenticate(svc.store, username, password)
    if principal is None:
        throttle.failed(username, address)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "username or password is wrong")
    throttle.succeeded(username)
    return principal


def open_session(svc: Service, request: Request, response: Response, principal: Principal) -> str:
    """Start a session for `principal`, set its cookie on `response`, return its bearer token."""
    hours = svc.settings.session_hours
    token = security.start_session(
        svc.store, principal, svc.settings.secret_key.get_secret_value(), svc.clock(), hours, client_address(request)
    )
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(hours * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return token


def request_token(request: Request) -> str | None:
    """The session token the request carries: the bearer token, else the cookie."""
    auth = request.headers.get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(COOKIE)


def close_session(svc: Service, request: Request, response: Response) -> bool:
    """Revoke the request's session (bearer token or cookie) and clear the cookie; True if one was revoked."""
    token = request_token(request)
    revoked = False
    if token and token.startswith(security.SESSION_PREFIX):
        revoked = security.end_session(svc.store, token, svc.settings.secret_key.get_secret_value(), svc.clock())
    response.delete_cookie(COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return revoked
