"""The attacks of issue 11 (authentication, sessions, browser hardening, bad input) tried against a real service
on loopback (uvicorn in a thread, SQLite in a temporary folder, the 'tiny' scenario) and the `ems` CLI in
subprocesses. Prints a table: attack, expected, result, held; and the login timing of known vs unknown names.

    .venv/bin/python benchmarks/bench_security.py [--out benchmarks/results/security.md]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from service_fixtures import PASSWORD, add_users, make_service

from api.app import create_app
from runtime import security
from runtime.settings import DEFAULT_SECRET, Settings, UnsafeSettingsError
from runtime.store.db import masked_url, open_store
from scenarios.timegrid import utcnow

EMS = str(Path(sys.executable).with_name("ems"))
STRONG = "Kintaikyo-bridge-1673"
ROWS: list[tuple[str, str, str, bool]] = []


def row(attack: str, expected: str, result: str, held: bool) -> None:
    """Record one attack."""
    ROWS.append((attack, expected, result, held))


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """uvicorn on a free loopback port in a thread; yields the base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def ems(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the `ems` CLI."""
    return subprocess.run(
        [EMS, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def accounts(folder: Path) -> None:
    """Production refusals: default admin password, weak accounts, weak `ems users add`, duplicate add."""
    url = f"sqlite:///{folder / 'accounts.db'}"
    store = open_store(url)
    security.prepare_accounts(store, Settings(), utcnow())
    production = Settings(mode="production", secret_key="k" * 40, admin_password=STRONG)
    security.prepare_accounts(store, production, utcnow())
    old = security.authenticate(store, "operator", "ems-dev-password")
    new = security.authenticate(store, "operator", STRONG)
    result = f"default {'accepted' if old else 'refused'}, new {'accepted' if new else 'refused'}"
    row(
        "production restart keeps ems-dev-password",
        "default refused, new accepted",
        result,
        old is None and new is not None,
    )
    security.create_user(store, "clerk", "a", "disaster_office")
    try:
        security.prepare_accounts(store, production, utcnow())
        refused = ""
    except UnsafeSettingsError as exc:
        refused = str(exc)
    row("production start with a weak account", "start refused", refused[:60] or "started", bool(refused))
    store.dispose()
    env = {"EMS_DATABASE_URL": url, "EMS_SCENARIO": "tiny", "EMS_MODE": "production", "EMS_SECRET_KEY": "k" * 40,
           "EMS_ADMIN_PASSWORD": STRONG}  # fmt: skip
    weak = ems(["users", "add", "x", "--role", "operator", "--password", "a"], env)
    row("`ems users add x --password a` in production", "exit 2, one line",
        f"exit {weak.returncode}, {len(weak.stderr.strip().splitlines())} line", weak.returncode == 2)  # fmt: skip
    ems(["users", "add", "dup", "--role", "operator", "--password", STRONG], env)
    dup = ems(["users", "add", "dup", "--role", "operator", "--password", STRONG], env)
    leak = "argon2" in dup.stderr + dup.stdout or "Traceback" in dup.stderr
    lines = len(dup.stderr.strip().splitlines())
    row("duplicate `ems users add`", "one line, no hash/traceback", f"{lines} line, hash shown: {leak}",
        lines == 1 and not leak)  # fmt: skip
    shown = masked_url("postgresql+psycopg://ems:hunter2@db:5432/ems")
    row("banner prints EMS_DATABASE_URL", "password masked", shown, "hunter2" not in shown)
    bind = ems(["up", "--port", "1"], {"EMS_HOST": "0.0.0.0", "EMS_DATABASE_URL": url})  # noqa: S104
    row("development `ems up` on 0.0.0.0", "refused", f"exit {bind.returncode}", bind.returncode == 2)


def attacks(base: str, store_path: Path) -> tuple[list[float], list[float]]:
    """HTTP attacks against the running service; returns login times (ms) of a known and an unknown name."""
    with httpx.Client(base_url=base, timeout=30) as c:
        payload = f"operator.{int(time.time()) + 3600}"
        forged = payload + "." + hmac.new(DEFAULT_SECRET.encode(), payload.encode(), hashlib.sha256).hexdigest()
        got = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        row("token forged with the public default secret", "401", str(got), got == 401)

        login = c.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
        token, cookie = login.json()["access_token"], login.cookies["ems_session"]
        c.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        bearer = c.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        c.cookies.clear()
        by_cookie = c.get("/api/v1/auth/me", cookies={"ems_session": cookie}).status_code
        c.cookies.clear()
        row("bearer token reused after logout", "401", str(bearer), bearer == 401)
        row("session cookie reused after logout", "401", str(by_cookie), by_cookie == 401)

        known: list[float] = []
        unknown: list[float] = []
        for i in range(6):  # below the back-off: time the password check itself
            for name, into in (("disaster", known), (f"ghost{i}", unknown)):
                start = time.perf_counter()
                c.post("/api/v1/auth/login", json={"username": name, "password": "wrong-password"})
                into.append((time.perf_counter() - start) * 1000)
        codes = [c.post("/api/v1/auth/login", json={"username": "mgr", "password": f"guess{i}"}).status_code
                 for i in range(25)]  # fmt: skip
        row("25 password guesses on one account", "back-off (429) after 5",
            f"{codes.count(401)} x 401, {codes.count(429)} x 429", codes.count(429) >= 19)  # fmt: skip
        right = c.post("/api/v1/auth/login", json={"username": "mgr", "password": PASSWORD}).status_code
        row("right password while backing off", "429 (no oracle)", str(right), right == 429)

        c.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD})
        evil = {"Origin": "http://evil.example"}
        body = {"facility_id": "centre", "device_id": "bat1", "value_kw": 1.0, "reason": "csrf"}
        form_outage, form_login = {"start": "x", "hours": "4"}, {"username": "op", "password": "x"}
        for what, request in (
            ("JSON POST /api/v1/overrides, Origin evil", lambda: c.post("/api/v1/overrides", json=body, headers=evil)),
            ("form POST /outage, Origin evil", lambda: c.post("/outage", data=form_outage, headers=evil)),
            ("form POST /login, Origin evil", lambda: c.post("/login", data=form_login, headers=evil)),
            ("JSON POST, Referer evil (no Origin)",
             lambda: c.post("/api/v1/overrides", json=body, headers={"Referer": "http://evil.example/x"})),
        ):  # fmt: skip
            status = request().status_code
            row(what, "403", str(status), status == 403)
        headers = c.get("/login").headers
        wanted = ("content-security-policy", "x-frame-options", "x-content-type-options", "referrer-policy")
        present = [h for h in wanted if h in headers]
        inline = "unsafe-inline" in headers.get("content-security-policy", "")
        row("security headers on /login", "CSP (no inline script), XFO, nosniff, Referrer-Policy",
            f"{len(present)}/4 present, unsafe-inline: {inline}", len(present) == 4 and not inline)  # fmt: skip
        docs = c.get("/docs").text
        assets = c.get("/docs-assets/swagger-ui-bundle.js").status_code
        row("/docs offline", "assets from the package", f"CDN in page: {'cdn' in docs.lower()}, bundle {assets}",
            "cdn" not in docs.lower() and assets == 200)  # fmt: skip
        outages, as_json = "/api/v1/outage-plans", {"content-type": "application/json"}
        bad_cases: list[tuple[str, Callable[[], httpx.Response], int]] = [
            ("value_kw: true", lambda: c.post("/api/v1/overrides", json={**body, "value_kw": True}), 422),
            ('"until" (not honoured)', lambda: c.post("/api/v1/overrides", json={**body, "until": "2024-01-01"}), 422),
            ("outage start 2999", lambda: c.post(outages, json={"start": "2999-01-01T00:00+09:00"}), 422),
            ("outage start 1900", lambda: c.post(outages, json={"start": "1900-01-01T00:00+09:00"}), 422),
            ("hours: 4.3", lambda: c.post(outages, json={"start": "2024-06-10T12:00+09:00", "hours": 4.3}), 422),
            ("malformed JSON", lambda: c.post("/api/v1/overrides", content=b"{", headers=as_json), 400),
        ]  # fmt: skip
        op = c.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD}).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {op}"
        for what, request, expected in bad_cases:
            response = request()
            detail = response.json()["detail"]
            where = detail[0]["loc"][-1] if isinstance(detail, list) else detail.split(":")[0]
            row(
                what,
                f"{expected} naming the field",
                f"{response.status_code} ({where})",
                response.status_code == expected,
            )
    return known, unknown


def metrics_and_cookies(store_path: Path) -> None:
    """/metrics off loopback, Secure cookies behind a trusted HTTPS proxy (in-process ASGI: chosen client address)."""
    from fastapi.testclient import TestClient

    store = open_store(f"sqlite:///{store_path / 'asgi.db'}")
    add_users(store)
    service = make_service(store)
    with TestClient(create_app(service), client=("192.0.2.10", 40000)) as remote:
        status = remote.get("/metrics").status_code
    row("/metrics from a non-loopback client", "403", str(status), status == 403)
    service.settings = service.settings.model_copy(update={"trusted_proxies": ["127.0.0.1"]})
    with TestClient(create_app(service), client=("127.0.0.1", 40000)) as proxied:
        answer = proxied.post("/api/v1/auth/login", json={"username": "op", "password": PASSWORD},
                              headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    secure = "secure" in answer.headers.get("set-cookie", "").lower()
    row("cookie behind a trusted HTTPS proxy", "Secure", f"Secure: {secure}", secure)
    store.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="Also write the table to this Markdown file.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ems_bench_security_"))
    accounts(folder)
    store = open_store(f"sqlite:///{folder / 'ems.db'}")
    add_users(store)
    with serving(create_app(make_service(store))) as base:
        known, unknown = attacks(base, folder)
    store.dispose()
    metrics_and_cookies(folder)
    k, u = statistics.median(known), statistics.median(unknown)
    row("login time: known vs unknown name (median ms)", "about equal", f"{k:.1f} vs {u:.1f} ms (x{u / k:.2f})",
        0.5 < u / k < 2.0)  # fmt: skip
    lines = ["| attack | expected | result | held |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {e} | {r.replace('|', '/')} | {'yes' if h else 'NO'} |" for a, e, r, h in ROWS]
    held = sum(h for *_, h in ROWS)
    lines.append(f"\n{held} of {len(ROWS)} attacks refused.")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(f"# Security attacks (benchmarks/bench_security.py)\n\n{text}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
