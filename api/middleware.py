"""HTTP hardening as ASGI middleware: trusted proxy headers, security headers, the Origin/Referer check of
state-changing requests, and the /metrics guard.

- Proxy headers: X-Forwarded-For / X-Forwarded-Proto are applied only from EMS_TRUSTED_PROXIES (uvicorn's
  ProxyHeadersMiddleware), so cookies are ``Secure`` behind an HTTPS proxy and the login back-off sees the
  real client address; anyone else's forwarded headers are ignored.
- Security headers on every response: a Content-Security-Policy without inline script or style
  (``script-src 'self'``), X-Frame-Options DENY, X-Content-Type-Options nosniff, Referrer-Policy.
- POST/PUT/PATCH/DELETE carrying an ``Origin`` (or, without it, a ``Referer``) that is neither the service's
  own origin nor in EMS_ALLOWED_ORIGINS get 403, JSON and forms alike. Requests with neither header (curl,
  scripts with an API key) pass: browsers send Origin on every cross-site POST.
- /metrics: with EMS_METRICS_TOKEN set it needs ``Authorization: Bearer <token>``; without, loopback only.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def _deny(send: Send, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the security headers to every HTTP response (a route's own value wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else "null"


class OriginCheck:
    """403 for a state-changing request whose Origin (or Referer) is foreign."""

    def __init__(self, app: ASGIApp, allowed: list[str]) -> None:
        self.app = app
        self.allowed = {a.lower().rstrip("/") for a in allowed}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            headers = Headers(scope=scope)
            claimed = headers.get("origin") or (_origin_of(headers["referer"]) if "referer" in headers else None)
            if claimed is not None:
                own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()
                if claimed.lower().rstrip("/") not in self.allowed | {own}:
                    await _deny(
                        send,
                        403,
                        f"origin: '{claimed}' may not send {scope['method']} requests here; use the service's own "
                        "pages or add the origin to EMS_ALLOWED_ORIGINS",
                    )
                    return
        await self.app(scope, receive, send)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class MetricsGuard:
    """/metrics needs the bearer token when one is set, else a loopback client."""

    def __init__(self, app: ASGIApp, token: str | None, path: str = "/metrics") -> None:
        self.app, self.token, self.path = app, token, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") == self.path:
            if self.token is not None:
                given = Headers(scope=scope).get("authorization", "").removeprefix("Bearer ").strip()
                if not hmac.compare_digest(given.encode(), self.token.encode()):
                    detail = "metrics: send Authorization: Bearer <EMS_METRICS_TOKEN>"
                    await _deny(send, 401, detail, {"www-authenticate": "Bearer"})
                    return
            elif not _is_loopback((scope.get("client") or ("", 0))[0]):
                detail = "metrics: answered to loopback clients only; set EMS_METRICS_TOKEN to scrape from elsewhere"
                await _deny(send, 403, detail)
                return
        await self.app(scope, receive, send)
