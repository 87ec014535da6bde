"""The web console over HTTP against a real daemon: access, cookies, CSRF, escaping,
the UI API, and that no prompt sent through the daemon shows up anywhere in it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from privacy_fixtures import shared_scanner
from serving import serve

from edge_router.api.auth import AuthSettings, hash_key
from edge_router.app import create_app
from edge_router.config import ServerSettings, Settings
from edge_router.console import stats
from edge_router.console.render import environment
from edge_router.console.session import CSP, console_mode, secure_cookies
from edge_router.record.audit import AuditLog, AuditRecord, AuditSettings
from edge_router.record.logs import JsonFormatter

TOKEN = "console-admin-token-0123456789abcdef"
XSS = "<script>window.__pwned=1</script>"
EVIL_TENANT = "acme" + XSS


@dataclass
class Daemon:
    url: str
    audit_path: Path


def console_settings(base: Settings, tmp: Path) -> Settings:
    """The session's settings with an admin token and an audit trail of its own."""
    audit = AuditSettings(path=str(tmp / "audit.sqlite"))
    auth = AuthSettings(admin_token_hash=hash_key(TOKEN))
    return base.model_copy(update={"auth": auth, "audit": audit})


def plant_hostile_record(path: Path) -> None:
    """An audit row whose free-text labels carry markup (tenant and rule are not
    restricted to label characters), as a hostile config or client could leave."""
    log = AuditLog.open(AuditSettings(path=str(path)))
    try:
        rec = AuditRecord(
            request_id="xss-1",
            route="block",
            status=403,
            tenant=EVIL_TENANT,
            rule="r" + XSS,
            entity_types={"EMAIL_ADDRESS": 1},
        )
        log.submit(rec).result(timeout=60)
    finally:
        log.close()


@pytest.fixture(scope="module")
def daemon(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    s = console_settings(settings, tmp_path_factory.mktemp("console"))
    app = create_app(s, scanner=shared_scanner())
    with serve(app) as url:
        plant_hostile_record(s.audit.resolve_path())
        yield Daemon(url, s.audit.resolve_path())


@contextmanager
def login(url: str) -> Iterator[httpx.Client]:
    """A client holding a logged-in console session."""
    with httpx.Client(base_url=url, timeout=60, follow_redirects=False) as c:
        form = c.get("/ui/login")
        nonce = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert nonce
        r = c.post("/ui/login", data={"csrf": nonce.group(1), "token": TOKEN})
        assert r.status_code == 303 and r.headers["location"] == "/ui"
        yield c


def csrf_of(c: httpx.Client) -> str:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', c.get("/ui/explain").text)
    assert m
    return m.group(1)


@pytest.fixture(scope="module")
def admin(daemon: Daemon) -> Iterator[httpx.Client]:
    with login(daemon.url) as c:
        yield c


PAGES = ("/ui", "/ui/privacy", "/ui/audit", "/ui/explain", "/ui/policies", "/ui/overview/panel")


def test_root_redirects_to_the_console_without_using_the_host(daemon: Daemon) -> None:
    r = httpx.get(daemon.url + "/", headers={"host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui"


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_session(daemon: Daemon, path: str) -> None:
    r = httpx.get(daemon.url + path, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/ui/login"


def test_api_and_export_need_a_session(daemon: Daemon) -> None:
    assert httpx.get(daemon.url + "/ui/api/overview").status_code == 401
    assert httpx.get(daemon.url + "/ui/audit.csv", follow_redirects=False).status_code == 303
    r = httpx.post(daemon.url + "/ui/api/explain", json={"input": "hi"})
    assert r.status_code == 401
    # A forged cookie is no session.
    r = httpx.get(daemon.url + "/ui/api/overview", cookies={"er_console": "forged"})
    assert r.status_code == 401


def test_wrong_token_is_refused_and_gives_no_session(daemon: Daemon) -> None:
    with httpx.Client(base_url=daemon.url) as c:
        nonce = re.search(r'name="csrf" value="([^"]+)"', c.get("/ui/login").text)
        assert nonce
        r = c.post("/ui/login", data={"csrf": nonce.group(1), "token": "wrong"})
        assert r.status_code == 401 and "not the admin token" in r.text
        assert "er_console=" not in r.headers.get("set-cookie", "").replace("er_console_login", "")
        assert c.get("/ui/api/overview").status_code == 401


def test_login_form_is_csrf_protected(daemon: Daemon) -> None:
    with httpx.Client(base_url=daemon.url) as c:
        # No double-submit cookie: a form posted from elsewhere.
        r = c.post("/ui/login", data={"csrf": "x", "token": TOKEN})
        assert r.status_code == 403
        nonce = re.search(r'name="csrf" value="([^"]+)"', c.get("/ui/login").text)
        assert nonce
        r = c.post(
            "/ui/login",
            data={"csrf": nonce.group(1), "token": TOKEN},
            headers={"origin": "http://evil.example"},
        )
        assert r.status_code == 403


def test_session_cookie_flags(daemon: Daemon) -> None:
    with httpx.Client(base_url=daemon.url) as c:
        nonce = re.search(r'name="csrf" value="([^"]+)"', c.get("/ui/login").text)
        assert nonce
        r = c.post("/ui/login", data={"csrf": nonce.group(1), "token": TOKEN})
        cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("er_console="))
        flags = {p.strip().lower() for p in cookie.split(";")[1:]}
        assert "httponly" in flags and "samesite=strict" in flags and "path=/ui" in flags
        # Bound to loopback over plain HTTP: no Secure flag (see console/session.py).
        assert "secure" not in flags


def test_secure_cookie_and_modes_follow_the_bind_address(settings: Settings) -> None:
    token = AuthSettings(admin_token_hash=hash_key(TOKEN))
    public = settings.model_copy(update={"server": ServerSettings(host="0.0.0.0"), "auth": token})
    assert secure_cookies(public) and console_mode(public) == "token"
    assert not secure_cookies(settings) and console_mode(settings) == "open"
    keys_only = public.model_copy(update={"auth": AuthSettings()})
    assert console_mode(keys_only) == "disabled"


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_strict_csp_and_no_inline_script(admin: httpx.Client, path: str) -> None:
    r = admin.get(path)
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "default-src 'self'" in CSP
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    # Every script is a file of ours; no inline handlers or script bodies.
    for m in re.finditer(r"<script([^>]*)>(.*?)</script>", r.text, re.DOTALL):
        assert 'src="/ui/static/' in m.group(1) and not m.group(2).strip()
    assert not re.search(r"\son[a-z]+=", r.text)


def test_audit_fields_are_escaped(admin: httpx.Client) -> None:
    r = admin.get("/ui/audit", params={"window": "all"})
    assert XSS not in r.text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in r.text


def test_posts_without_the_csrf_token_are_refused(admin: httpx.Client) -> None:
    r = admin.post("/ui/api/explain", json={"input": "hello"})
    assert r.status_code == 403
    r = admin.post("/ui/api/explain", json={"input": "hello"}, headers={"x-csrf-token": "nope"})
    assert r.status_code == 403
    token = csrf_of(admin)
    r = admin.post(
        "/ui/api/explain",
        json={"input": "hello"},
        headers={"x-csrf-token": token, "origin": "http://evil.example"},
    )
    assert r.status_code == 403
    r = admin.post(
        "/ui/api/explain",
        json={"input": "hello"},
        headers={"x-csrf-token": token, "sec-fetch-site": "cross-site"},
    )
    assert r.status_code == 403
    assert admin.post("/ui/policies/reload", data={"csrf": "nope"}).status_code == 403
    assert admin.post("/ui/logout", data={}).status_code == 403


def test_explain_api_highlights_and_redacts(admin: httpx.Client) -> None:
    prompt = "Please reply to maria.kowalski@example.org about the invoice."
    r = admin.post(
        "/ui/api/explain",
        json={"input": prompt, "policy": "gdpr"},
        headers={"x-csrf-token": csrf_of(admin)},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    field = body["fields"][0]
    email = [s for s in field["spans"] if s["type"] == "EMAIL_ADDRESS"]
    assert email and field["text"][email[0]["start"] : email[0]["end"]] == (
        "maria.kowalski@example.org"
    )
    out = str(body["outbound"]["body"])
    assert "maria.kowalski@example.org" not in out and "<EMAIL_ADDRESS_" in out
    assert body["report"]["policy"] == "gdpr"


def test_explain_api_errors_are_clear(admin: httpx.Client) -> None:
    headers = {"x-csrf-token": csrf_of(admin)}
    r = admin.post("/ui/api/explain", json={"input": "{not json"}, headers=headers)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = admin.post("/ui/api/explain", json={"input": "hi", "policy": "nope"}, headers=headers)
    assert r.status_code == 400 and r.json()["error"]["param"] == "policy"


def test_policy_check_reports_lines(admin: httpx.Client) -> None:
    headers = {"x-csrf-token": csrf_of(admin)}
    bad = (
        "name: t\ndefault: auto\nrules:\n"
        "  - name: r1\n    when:\n      entities: [NOPE]\n    action: local\n"
    )
    r = admin.post("/ui/api/policy-check", json={"yaml": bad}, headers=headers)
    errors = r.json()["errors"]
    assert not r.json()["ok"] and errors[0]["line"] == 6 and "NOPE" in errors[0]["message"]
    good = bad.replace("NOPE", "EMAIL_ADDRESS")
    r = admin.post("/ui/api/policy-check", json={"yaml": good}, headers=headers)
    assert r.json() == {"ok": True, "errors": [], "name": "t", "rules": 1}


def test_reload_from_the_console(admin: httpx.Client) -> None:
    r = admin.post("/ui/policies/reload", data={"csrf": csrf_of(admin)})
    assert r.status_code == 303 and r.headers["location"] == "/ui/policies?reload=ok"
    assert "Policies reloaded." in admin.get("/ui/policies?reload=ok").text


def test_overview_api_shape(admin: httpx.Client) -> None:
    o = admin.get("/ui/api/overview").json()
    assert o["status"]["status"] in {"ready", "degraded"}
    assert set(o["traffic"]["share"]) == {"local", "cloud", "block"}
    assert o["local"] and o["local"][0]["model"] == "smollm2-135m-instruct"
    assert o["providers"] == []


def test_logout_ends_the_session(daemon: Daemon) -> None:
    with login(daemon.url) as c:
        r = c.post("/ui/logout", data={"csrf": csrf_of(c)})
        assert r.status_code == 303 and r.headers["location"] == "/ui/login"
        assert c.get("/ui/api/overview").status_code == 401


def test_open_mode_on_loopback_says_so(base_url: str) -> None:
    """The shared daemon has no admin token and listens on loopback: open, with a banner,
    and without the reload button."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as c:
        r = c.get("/ui")
        assert r.status_code == 200 and "No admin token is configured" in r.text
        assert "er_console=" in r.headers["set-cookie"]
        page = c.get("/ui/policies").text
        assert "Reload policies from disk" not in page
        assert c.post("/ui/policies/reload", data={"csrf": csrf_of(c)}).status_code == 403


def _written(records: list[logging.LogRecord]) -> list[str]:
    """The lines the daemon's log setup (record/logs.py) would write for ``records``:
    its own and the server's loggers at DEBUG, anything else from WARNING, as JSON."""
    fmt = JsonFormatter()
    own = ("edge_router", "uvicorn")
    return [
        fmt.format(r)
        for r in records
        if r.name.split(".")[0] in own or r.levelno >= logging.WARNING
    ]


def test_no_prompt_value_reaches_the_console_or_the_logs(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "zq-console-marker-7731"
    email = "olenka.przybylska@example.org"
    caplog.set_level(logging.DEBUG)
    client = openai.OpenAI(base_url=daemon.url + "/v1", api_key="unused", max_retries=0)
    for text in (f"Say {marker} to {email}", f"Repeat {marker}"):
        client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": text}], max_tokens=4
        )
    httpx.post(daemon.url + "/v1/route", json={"text": f"{marker} {email}"}, timeout=60)
    seen: list[str] = []
    with login(daemon.url) as c:
        for path in PAGES:
            seen.append(c.get(path, params={"window": "all"}).text)
        seen.append(c.get("/ui/privacy", params={"window": "1h"}).text)
        seen.append(c.get("/ui/api/overview").text)
        csv_text = c.get("/ui/audit.csv", params={"window": "all"}).text
        seen.append(csv_text)
        assert "chat" in csv_text and csv_text.startswith("id,ts,request_id")
    logs = _written(caplog.records)
    for text in [*seen, *logs]:
        assert marker not in text and email not in text and "olenka" not in text.lower()
    # The capture did see the daemon: one access line per console request at least.
    assert any(r.name == "edge_router.access" for r in caplog.records)


def _audit_rows(text: str) -> list[Any]:
    return re.findall(r"<tr>\s*<td>", text)


def test_audit_filters_and_paging(admin: httpx.Client, daemon: Daemon) -> None:
    every = admin.get("/ui/audit", params={"window": "all"}).text
    blocked = admin.get("/ui/audit", params={"window": "all", "route": "block"}).text
    assert len(_audit_rows(blocked)) == 1 and 'class="route-block"' in blocked
    assert len(_audit_rows(every)) >= len(_audit_rows(blocked))
    page2 = admin.get("/ui/audit", params={"window": "all", "page": "2"}).text
    assert "No records match." in page2


def test_budgets_and_strategies_render_when_present(admin: httpx.Client) -> None:
    """Costs, cache, arms, domains and budgets appear once requests carry them (the
    shared daemon has none: rendered here from its real figures plus such values)."""
    o = admin.get("/ui/api/overview").json()
    assert o["budgets"] == [] and "Budgets" not in admin.get("/ui/overview/panel").text
    o["budgets"] = [
        {
            "scope": "key",
            "name": "ci",
            "daily_usd": 1.0,
            "monthly_usd": None,
            "on_budget": "local",
            "spent_day": 0.25,
            "spent_month": 0.5,
        }
    ]
    o["traffic"]["strategies"].update(
        cost_usd=0.0123, priced_requests=3, cache={"hit": 2}, arms={"exp:a": 1}
    )
    html = environment().get_template("overview_panel.html").render(o=o)
    assert "key ci" in html and "0.2500 / 1.0" in html and "$0.0123" in html
    assert "hit 2" in html and "exp:a" in html


def test_figures_from_audit_rows() -> None:
    def row(route: str, ms: float, reasons: list[str], **kw: Any) -> dict[str, Any]:
        base = {"ts": "2026-01-01T00:00:30.000Z", "route": route, "latency_ms": ms}
        return {**base, "reasons": reasons, "endpoint": "chat", "entity_types": {}, **kw}

    rows = [
        row(
            "local",
            10,
            ["entity:EMAIL_ADDRESS", "auto:sensitive"],
            rule="default",
            entity_types={"EMAIL_ADDRESS": 2},
        ),
        row("local", 30, ["auto:local_capable"], rule="default"),
        row("local", 20, ["cloud_unavailable"], rule="r1"),
        row("cloud", 100, ["auto:complex"], rule="default"),
        row("local", 1, ["entity:PERSON"], endpoint="route", entity_types={"PERSON": 1}),
    ]
    t = stats.traffic(rows, window_s=10)
    assert t["requests"] == 4 and t["per_route"] == {"local": 3, "cloud": 1, "block": 0}
    assert t["latency"]["local"] == {"p50_ms": 20.0, "p95_ms": 30.0, "count": 3}
    assert t["requests_per_s"] == 0.4
    since = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    p = stats.privacy(rows, since=since, until=since + 60, buckets=2)
    assert p["entity_totals"] == {"EMAIL_ADDRESS": 2, "PERSON": 1}
    assert p["series"][0]["total"] == 0 and p["series"][1]["total"] == 3
    assert p["top_rules"][0] == ("default", 3)
    assert p["kept_local"] == {
        "sensitivity": 1,
        "attachments": 0,
        "load_or_complexity": 1,
        "cloud_unavailable": 1,
        "policy": 0,
    }
