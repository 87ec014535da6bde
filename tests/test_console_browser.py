"""The web console end to end in a real headless Chromium (the Debian package, driven by
Playwright) against a real daemon: log in, every page, the explain playground, audit
filters, no script from audit fields; screenshots for the README in docs/console/."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from privacy_fixtures import shared_scanner
from serving import serve
from test_console import TOKEN, XSS, Daemon, console_settings, plant_hostile_record

from edge_router.app import create_app
from edge_router.config import Settings

CHROMIUM = "/usr/bin/chromium"
# Screenshots go to a scratch directory unless EDGE_ROUTER_SCREENSHOTS names one: the
# README's copies are refreshed with EDGE_ROUTER_SCREENSHOTS=docs/console, not by every
# test run (which would rewrite tracked files).
SHOTS = Path(
    os.environ.get("EDGE_ROUTER_SCREENSHOTS")
    or Path(tempfile.gettempdir()) / "edge-router-console-shots"
)

sync_api = pytest.importorskip("playwright.sync_api", reason="install.sh --dev installs it")
if shutil.which(CHROMIUM) is None:
    pytest.fail(f"{CHROMIUM} missing: ./install.sh --dev installs the chromium package")

Page = sync_api.Page


@pytest.fixture(scope="module")
def daemon(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    s = console_settings(settings, tmp_path_factory.mktemp("console-browser"))
    app = create_app(s, scanner=shared_scanner())
    with serve(app) as url:
        plant_hostile_record(s.audit.resolve_path())
        # Some traffic for the overview and the screenshots.
        client = openai.OpenAI(base_url=url + "/v1", api_key="unused", max_retries=0)
        for text in ("Name a colour.", "My email is jan.nowak@example.org, say hi."):
            client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": text}], max_tokens=4
            )
        yield Daemon(url, s.audit.resolve_path())


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _new_page(browser: object, width: int = 1280, height: int = 860) -> Page:
    page: Page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_default_timeout(30_000)
    page.dialogs = dialogs  # type: ignore[attr-defined]
    return page


def _login(page: Page, url: str) -> None:
    page.goto(url + "/")
    assert page.url.endswith("/ui/login")
    page.get_by_label("Admin token").fill(TOKEN)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(url + "/ui")


@pytest.fixture()
def page(browser: object, daemon: Daemon) -> Iterator[Page]:
    p = _new_page(browser)
    _login(p, daemon.url)
    yield p
    p.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)
    assert (SHOTS / name).stat().st_size > 1000  # a real image, not an empty file


def test_login_is_required_and_wrong_tokens_are_refused(browser: object, daemon: Daemon) -> None:
    p = _new_page(browser)
    p.goto(daemon.url + "/ui/audit")
    assert p.url.endswith("/ui/login")
    p.get_by_label("Admin token").fill("not-the-token")
    p.get_by_role("button", name="Log in").click()
    assert "not the admin token" in p.get_by_role("alert").inner_text()
    cookies = {c["name"]: c for c in p.context.cookies()}
    assert "er_console" not in cookies
    p.close()


def test_session_cookie_in_the_browser(page: Page) -> None:
    cookie = next(c for c in page.context.cookies() if c["name"] == "er_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/ui"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: invisible to scripts


def test_overview_renders_and_refreshes(page: Page) -> None:
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert page.get_by_role("heading", name="Providers").is_visible()
    page.wait_for_selector("#live[data-refreshed]", timeout=20_000)  # the poll swapped it in
    assert page.get_by_role("heading", name="Latency by route").is_visible()
    _shot(page, "overview.png")


def test_explain_playground_highlights_and_redacts(page: Page) -> None:
    page.get_by_role("link", name="Explain").click()
    page.get_by_label("Prompt or JSON request").fill(
        "Hi, please send the contract to maria.kowalski@example.org by Friday."
    )
    page.get_by_label("Policy").select_option("gdpr")
    page.get_by_role("button", name="Explain").click()
    mark = page.locator('mark[data-type="EMAIL_ADDRESS"]')
    mark.wait_for()
    assert mark.inner_text().startswith("maria.kowalski@example.org")
    outbound = page.locator("#r-outbound").inner_text()
    assert "maria.kowalski@example.org" not in outbound and "<EMAIL_ADDRESS_" in outbound
    assert page.locator("#r-route").inner_text() == "cloud (redacted)" or (
        "not sent" in page.locator("#r-outbound-note").inner_text()
    )
    _shot(page, "explain.png")


def test_audit_table_filters_and_escapes(page: Page, daemon: Daemon) -> None:
    page.goto(daemon.url + "/ui/audit?window=all")
    rows = page.locator("#audit-table tbody tr")
    assert rows.count() >= 1
    _shot(page, "audit.png")
    page.get_by_label("Route").select_option("block")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**route=block**")
    assert page.locator("#audit-table tbody tr").count() == 1
    cell = page.locator("#audit-table tbody tr td").nth(1)
    assert XSS in cell.inner_text()  # shown as text, not run
    assert page.evaluate("window.__pwned") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    csv_link = page.get_by_role("link", name="Export CSV")
    assert "route=block" in (csv_link.get_attribute("href") or "")


def test_privacy_and_policies_pages(page: Page, daemon: Daemon) -> None:
    page.get_by_role("link", name="Privacy").click()
    assert page.get_by_role("heading", name="Why requests stayed local").is_visible()
    page.get_by_role("link", name="Policies").click()
    assert page.get_by_role("heading", name="default default").is_visible()
    page.get_by_label("Policy YAML").fill("default: sometimes\nrules: []\n")
    page.get_by_role("button", name="Check").click()
    problem = page.locator("#check-result li").first
    problem.wait_for()
    assert problem.inner_text().startswith("line 1:")
    _shot(page, "policies.png")
    page.get_by_role("button", name="Reload policies from disk").click()
    assert page.get_by_role("status").inner_text() == "Policies reloaded."


def test_keyboard_and_phone_width(browser: object, daemon: Daemon) -> None:
    p = _new_page(browser, width=390, height=844)
    _login(p, daemon.url)
    p.keyboard.press("Tab")  # the skip link comes first
    assert p.evaluate("document.activeElement.textContent") == "Skip to content"
    # Nothing wider than the phone's screen but the scrollable tables.
    width = p.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    _shot(p, "overview-phone.png")
    p.close()
