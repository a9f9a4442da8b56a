"""Issue 17 in Chromium: the nav stays on one row from 1280 to 1920 px, the status control works in one
click (no reload) and the open tab's heartbeat keeps `online` alive; fresh README screenshots of the queue,
the knowledge page and the caller page with UPDATE_SCREENSHOT=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk import presence
from frontdesk.services import Services
from tests.browser import chromium, demo_site, needs_chromium
from tests.web.conftest import EMAIL, PASSWORD, escalate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    with demo_site(tmp_path / "fd.db", supervisors=((EMAIL, PASSWORD, "Sam"), ("ana@example.com", PASSWORD, "Ana"))) as site:
        yield site


def _shot(page: object, name: str) -> None:
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / name))  # type: ignore[attr-defined]
    if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's pictures on purpose only
        (ROOT / "docs" / name).write_bytes((artifacts / name).read_bytes())


def test_nav_one_row_status_control_and_screenshots(live_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = live_server
    escalate(svc, "Do you do keratin for curly hair?", phone="+15551234567")
    escalate(svc, "Can I bring my dog to the salon?", phone="+15559876543")
    with svc.db.read() as s:
        ana = next(x for x in presence.list_supervisors(s, svc.clock.now(), svc.settings) if x["name"] == "Ana")
    presence.set_availability(svc.db, svc.clock.now(), ana["id"], "online")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.goto(base + "/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/pending")
        for width in (1280, 1440, 1920):
            page.set_viewport_size({"width": width, "height": 900})
            tops = page.evaluate("[...document.querySelectorAll('.mainnav li')].map(li => li.getBoundingClientRect().top)")
            assert len(tops) >= 6 and len(set(tops)) == 1, (width, tops)  # Analytics on the same row
        page.set_viewport_size({"width": 1280, "height": 900})
        # One click sets my status without a reload; the online count follows.
        page.evaluate("window.__noReload = true")
        page.get_by_role("button", name="Online", exact=True).click()
        sync_api.expect(page.locator(".presence-online")).to_have_attribute("aria-pressed", "true")
        sync_api.expect(page.locator("#presence-count")).to_have_text("2")
        assert page.evaluate("window.__noReload") is True
        with svc.db.read() as s:
            assert {x.name for x in presence.online_supervisors(s, svc.clock.now(), svc.settings)} == {"Ana", "Sam"}
        sync_api.expect(page.locator("#online-list li")).to_have_count(2)
        page.locator(".card").first.wait_for()
        _shot(page, "screenshot.png")
        page.get_by_role("link", name="Knowledge", exact=True).click()
        page.get_by_label("Search, or test a caller's question").fill("do you sell gift vouchers")
        page.get_by_role("button", name="Search").click()
        page.locator(".agent-test").wait_for()
        _shot(page, "knowledge.png")
        page.goto(base + "/call")
        page.set_viewport_size({"width": 800, "height": 700})
        page.fill("#phone", "+1 415 555 0142")
        page.fill("#name", "Dana")
        page.click("#start-text")
        page.wait_for_selector("#transcript li.agent")
        page.fill("#text", "How much is balayage?")
        page.press("#text", "Enter")
        page.wait_for_selector("#transcript li:nth-child(3)")
        _shot(page, "call-page.png")
        assert not errors, errors
