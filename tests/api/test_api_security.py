# mypy: allow-untyped-defs, allow-incomplete-defs
"""The API as an attacker sees it: logout revokes bearer token and cookie, failed logins back off (429), forged
tokens fail, security headers on every page, foreign Origins refused on state-changing requests (JSON and forms),
Secure cookies behind a trusted HTTPS proxy only, /metrics guarded, /docs served from the package, and bad input
refused with the field named (strict types, unknown fields, date ranges, half-hour steps, malformed JSON)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_fixtures import PASSWORD, add_users, login, make_service, sqlite_store  # noqa: F401
from sqlalchemy import select

from api.app import create_app
from api.middleware import CSP
from runtime.settings import DEFAULT_SECRET
from runtime.store.db import Store
from runtime.store.models import LoginSession

LOOPBACK = ("127.0.0.1", 50000)


def _app(store: Store, **settings):
    service = make_service(store)
    if settings:
        service.settings = service.settings.model_copy(update=settings)
    return create_app(service)


@pytest.fixture
def store(sqlite_store) -> Store:  # noqa: F811
    add_users(sqlite_store)
    return sqlite_store


@pytest.fixture
def client(store) -> Iterator[TestClient]:
    with TestClient(_app(store)) as c:
        yield c


def test_logout_revokes_bearer_token_and_cookie(client, store):
    response = client.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
    token = response.json()["access_token"]
    cookie = client.cookies.get("ems_session")
    assert cookie == token
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/me", headers=bearer).json()["username"] == "op"
    with store.session() as session:  # the server keeps a hash, never the token
        hashes = list(session.scalars(select(LoginSession.token_hash)))
    assert token not in hashes
    assert len(hashes) == 1
    assert client.post("/api/v1/auth/logout", headers=bearer).json()["detail"] == "logged out"
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    client.cookies.set("ems_session", cookie)
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"


def test_dashboard_logout_revokes_the_cookie(client):
    page = client.post("/login", data={"username": "op", "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 303
    cookie = client.cookies.get("ems_session")
    assert client.get("/api/v1/auth/me").status_code == 200
    client.get("/logout", follow_redirects=False)
    client.cookies.set("ems_session", cookie)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_forged_default_secret_token_refused(client):
    payload = f"op.{int(time.time()) + 3600}"
    forged = payload + "." + hmac.new(DEFAULT_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_failed_logins_back_off_per_account_and_unknown_names_alike(store):
    client = TestClient(_app(store, login_backoff_s=60.0))  # a first wait of 60 s: no race with the wall clock
    for name in ("op", "no-such-user"):
        for _ in range(5):
            bad = client.post("/api/v1/auth/login", json={"username": name, "password": "wrong-password"})
            assert bad.status_code == 401
        locked = client.post("/api/v1/auth/login", json={"username": name, "password": "wrong-password"})
        assert locked.status_code == 401  # the 6th failure is checked, then the account waits
        throttled = client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
        assert throttled.status_code == 429
        assert throttled.headers["retry-after"] == "60"
        assert "retry in 60 s" in throttled.json()["detail"]
    assert client.post("/api/v1/auth/login", json={"username": "mgr", "password": PASSWORD}).status_code == 200
    form = client.post("/login", data={"username": "op", "password": PASSWORD}, follow_redirects=False)
    assert form.status_code == 429  # the dashboard form shares the back-off
    assert "too many failed logins" in form.text


def test_security_headers_on_api_dashboard_and_docs(client):
    for path in ("/api/v1/health", "/login", "/docs", "/static/style.css", "/no-such-page"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert "script-src 'self';" in CSP
        assert "unsafe-inline" not in CSP
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


def test_foreign_origin_refused_on_every_state_changing_request(client):
    op = login(client, "op")
    evil = {"Origin": "http://evil.example"}
    body = {"facility_id": "centre", "device_id": "bat1", "value_kw": 1.0, "reason": "t"}
    assert client.post("/api/v1/overrides", json=body, headers={**op, **evil}).status_code == 403
    refused = client.post("/login", data={"username": "op", "password": PASSWORD}, headers=evil)
    assert refused.status_code == 403
    assert "origin: 'http://evil.example'" in refused.json()["detail"]
    outage = client.post("/outage", data={"start": "2024-06-10T12:00", "hours": "4"}, headers=evil)
    assert outage.status_code == 403
    referer = {"Referer": "http://evil.example/page"}
    assert (
        client.post("/api/v1/auth/login", json={"username": "op", "password": "x"}, headers=referer).status_code == 403
    )
    same = {"Origin": "http://testserver"}
    assert client.post("/api/v1/overrides", json=body, headers={**op, **same}).status_code == 201
    own_referer = {"Referer": "http://testserver/login"}
    ok = client.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD}, headers=own_referer)
    assert ok.status_code == 200
    assert client.post("/api/v1/overrides", json=body, headers=op).status_code == 201  # no Origin: curl, scripts


def test_allowed_origins_setting(store):
    with TestClient(_app(store, allowed_origins=["https://ems.example.jp"])) as c:
        good = {"Origin": "https://ems.example.jp"}
        assert (
            c.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD}, headers=good).status_code == 200
        )


def test_secure_cookie_only_behind_a_trusted_https_proxy(store):
    creds = {"username": "op", "password": PASSWORD}
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with TestClient(_app(store, trusted_proxies=["127.0.0.1"]), client=LOOPBACK) as c:
        cookie = c.post("/api/v1/auth/login", json=creds, headers=https).headers["set-cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in c.post("/api/v1/auth/login", json=creds).headers["set-cookie"]
    with TestClient(_app(store), client=LOOPBACK) as c:  # nobody trusted: the header is ignored
        assert "Secure" not in c.post("/api/v1/auth/login", json=creds, headers=https).headers["set-cookie"]


def test_spoofed_forwarded_for_does_not_escape_the_address_backoff(store):
    with TestClient(_app(store, login_address_free_attempts=3), client=LOOPBACK) as c:
        for i in range(4):
            spoof = {"X-Forwarded-For": f"198.51.100.{i}"}
            c.post("/api/v1/auth/login", json={"username": f"u{i}", "password": "x"}, headers=spoof)
        assert c.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD}).status_code == 429


def test_metrics_loopback_only_or_token(store):
    with TestClient(_app(store)) as remote:  # TestClient's address is not loopback
        assert remote.get("/metrics").status_code == 403
    with TestClient(_app(store), client=LOOPBACK) as local:
        assert local.get("/metrics").status_code == 200
    with TestClient(_app(store, metrics_token=SecretStr("scrape-token-1234567")), client=LOOPBACK) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/metrics", headers={"Authorization": "Bearer scrape-token-1234567"}).status_code == 200


def test_docs_served_from_the_package(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower()
    assert "<script>" not in page  # no inline script
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css", "/docs-assets/docs-init.js"):
        assert asset in page
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    assert "Apache License" in client.get("/docs-assets/LICENSE").text
    assert client.get("/redoc").status_code in (404, 303)  # ReDoc (CDN only) is not offered


def test_bad_input_refused_with_the_field_named(client):
    op = login(client, "op")
    body = {"facility_id": "centre", "device_id": "bat1", "value_kw": 1.0, "reason": "t"}
    outage = {"start": "2024-06-10T12:00:00+09:00", "hours": 4}
    cases = [
        ("/api/v1/overrides", {**body, "value_kw": True}, "value_kw", "valid number"),
        ("/api/v1/overrides", {**body, "value_kw": "1"}, "value_kw", "valid number"),
        ("/api/v1/overrides", {**body, "until": "2024-06-10T13:00:00+09:00"}, "until", "Extra inputs"),
        ("/api/v1/outage-plans", {**outage, "start": "2999-01-01T00:00:00+09:00"}, "start", "2000-01-01..2099-12-31"),
        ("/api/v1/outage-plans", {**outage, "start": "9999-12-31T00:00:00+09:00"}, "start", "start: 9999-12-31"),
        ("/api/v1/outage-plans", {**outage, "start": "1900-01-01T00:00:00+09:00"}, "start", "start: 1900-01-01"),
        ("/api/v1/outage-plans", {**outage, "hours": 4.3}, "hours", "multiple of 0.5"),
        ("/api/v1/outage-plans", {**outage, "hours": True}, "hours", "valid number"),
        (
            "/api/v1/outage/survival",
            {"period_start": "1900-01-01", "period_end": "2024-01-02"},
            "period_start",
            "",
        ),
        ("/api/v1/plans/whatif", {"price_jpy_per_kwh": [True]}, "price_jpy_per_kwh", ""),
        ("/api/v1/auth/login", {"username": "op", "password": PASSWORD, "remember": True}, "remember", ""),
    ]
    for path, payload, field, message in cases:
        response = client.post(path, json=payload, headers=op)
        assert response.status_code == 422, (path, payload, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, list), response.text
        assert field in [str(part) for part in detail[0]["loc"]], (field, response.text)
        assert message in detail[0]["msg"], (message, response.text)


def test_router_422s_are_lists_naming_the_field(client):
    op = login(client, "op")
    both = client.post("/api/v1/plans/whatif", json={"price_jpy_per_kwh": [5], "price_area": "system"}, headers=op)
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"] == ["body", "price_area"]


def test_malformed_json_is_400(client):
    op = login(client, "op")
    headers = {**op, "Content-Type": "application/json"}
    response = client.post("/api/v1/overrides", content=b'{"facility_id": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("body: malformed JSON")


def test_openapi_documents_the_error_bodies(client):
    schema = client.get("/openapi.json").json()
    whatif = schema["paths"]["/api/v1/plans/whatif"]["post"]["responses"]
    assert whatif["422"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/HTTPValidationError"
    assert whatif["400"]["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/Message"
    overrides = schema["paths"]["/api/v1/overrides"]["post"]["responses"]
    assert "400" in overrides
    assert overrides["422"]["content"]["application/json"]["schema"]["$ref"].endswith("HTTPValidationError")
    login_responses = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert "429" in login_responses
    body = schema["components"]["schemas"]["OverrideIn"]
    assert body["additionalProperties"] is False
