"""The dashboard on a phone (Chromium at 390x844, touch): every page fits with no sideways scroll and
44 px tap targets, the nav folds behind "Menu", the queue is one column with the answer box first, and a
supervisor answers a request. The web-app shell (manifest, service worker) caches no caller data. The
in-tab alerts: a notification for a new request while the tab is in the background (permission
granted), and permission never asked for on load."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk.models import HelpRequest
from frontdesk.services import Services
from tests.browser import chromium, demo_site, needs_chromium
from tests.web.conftest import EMAIL, PASSWORD, escalate

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
pytestmark = [pytest.mark.browser, needs_chromium]

# Visible things a finger must hit: buttons, form controls, nav links, button-styled links, summaries.
SMALL_TARGETS_JS = """() => {
  const sel = 'button, a.btn, .mainnav a, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), ' +
              'select, textarea, summary, .check, .list td a, .req-link, .nav-toggle';
  return Array.from(document.querySelectorAll(sel)).filter(el => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') return false;
    return r.height < 44 || r.width < 44;
  }).map(el => el.tagName + '.' + el.className + ' "' + (el.textContent || el.name || '').trim().slice(0, 30) +
                '" ' + Math.round(el.getBoundingClientRect().width) + 'x' + Math.round(el.getBoundingClientRect().height));
}"""


@pytest.fixture
def phone_server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    # every page opens a live-update stream that holds a server thread until the client is gone: room for a tour
    with demo_site(tmp_path / "fd.db", supervisors=((EMAIL, PASSWORD, "Sam"),), threads=32) as site:
        yield site


def login(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/pending")


def fits(page: Any) -> tuple[int, list[str]]:
    return int(page.evaluate("document.documentElement.scrollWidth")), page.evaluate(SMALL_TARGETS_JS)


def test_every_page_fits_a_phone_and_a_request_is_answered(phone_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = phone_server
    rid = escalate(svc, "Do you do keratin treatments for very curly, thick hair with a long wordy question?",
                   phone="+15551234567")
    done = escalate(svc, "Is there parking nearby?", phone="+15551234568")
    svc.desk.answer(done, "Yes, free behind the salon.", by=EMAIL)
    late = escalate(svc, "Do you sell gift cards online?", phone="+15551234569")
    svc.desk.close(late, by=EMAIL)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/login")
        width, small = fits(page)
        assert width <= 390 and not small, ("/login", width, small)
        login(page, base)

        problems = {}
        for path in ("/pending", "/resolved", "/unresolved", f"/requests/{rid}", f"/requests/{done}", "/knowledge",
                     "/profile", "/analytics", "/account", "/offline"):
            page.goto(base + path)
            width, small = fits(page)
            if width > 390 or small:
                problems[path] = (width, small)
            toggle = page.locator(".nav-toggle")
            if toggle.count():
                assert not page.locator("#mainnav").is_visible(), path  # the nav is folded
        assert not problems, problems

        page.goto(base + "/pending")
        nav = page.locator("#mainnav")
        page.locator(".nav-toggle").click()
        sync_api.expect(nav).to_be_visible()
        assert page.locator(".nav-toggle").get_attribute("aria-expanded") == "true"
        assert fits(page)[0] <= 390
        page.locator(".nav-toggle").click()
        sync_api.expect(nav).to_be_hidden()

        card = page.locator(f"#request-{rid}")
        box = card.locator("textarea")
        # One column, the answer box right under the question, above the details.
        assert card.bounding_box()["width"] <= 390
        assert box.bounding_box()["y"] < card.locator(".meta").bounding_box()["y"]
        box.fill("Yes, our keratin smoothing works on curly hair; it takes about 2.5 hours.")
        page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=False)
        if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
            shutil.copy(artifacts / "dashboard-phone.png", ROOT / "docs" / "screenshot-phone.png")
        card.get_by_role("button", name="Send answer").tap()
        sync_api.expect(card).to_have_count(0, timeout=15000)
        assert not errors, errors
        context.close()
    with svc.db.read() as s:
        req = s.get_one(HelpRequest, rid)
        assert (req.status, req.answered_by) == ("resolved", EMAIL)
        assert req.answer.startswith("Yes, our keratin")


NOTIFICATION_SPY = """
  window.__asked = 0; window.__shown = [];
  if (window.Notification) {
    const Real = window.Notification;
    class Spy extends Real { constructor(title, opts) { super(title, opts); window.__shown.push(title); } }
    Spy.requestPermission = function () { window.__asked += 1; return Real.requestPermission.apply(Real, arguments); };
    window.Notification = Spy;
  }
  // Headless Chromium keeps every tab "visible": let the test send this one to the background.
  window.__hidden = false;
  Object.defineProperty(document, 'visibilityState', { get: () => window.__hidden ? 'hidden' : 'visible' });
  Object.defineProperty(document, 'hidden', { get: () => window.__hidden });
"""


def test_notification_for_a_new_request_in_a_background_tab(phone_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = phone_server
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.grant_permissions(["notifications"], origin=base)
        context.add_init_script(NOTIFICATION_SPY)
        page = context.new_page()
        login(page, base)
        sync_api.expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=15000)
        assert page.evaluate("Notification.permission") == "granted"
        assert page.locator("#alerts-enable").is_hidden()  # nothing left to ask for

        first = escalate(svc, "Do you do keratin treatments?", phone="+15551230001")  # tab in front: no alert
        sync_api.expect(page.locator(f"#request-{first}")).to_be_visible(timeout=15000)
        assert page.evaluate("window.__shown") == []
        sync_api.expect(page).to_have_title(re.compile(r"^\(1\) Pending · "), timeout=10000)

        page.evaluate("window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))")
        second = escalate(svc, "Can I bring my dog?", phone="+15551230002")
        page.wait_for_function("window.__shown.length === 1", timeout=15000)
        assert page.evaluate("window.__shown") == ["New question from a caller"]
        assert page.evaluate("window.Frontdesk.alerts.sounds") == 1
        sync_api.expect(page).to_have_title(re.compile(r"^\(2\) Pending · "), timeout=10000)
        assert second and page.evaluate("window.__asked") == 0
        # A live handoff offer (the shape web/live.py streams for transfer events) alerts the same way, once.
        offer = {"messages": [{"event_id": 99, "type": "transfer", "id": None, "transfer_id": "7",
                               "action": "transfer_offered"}]}
        for _ in range(2):
            page.evaluate("d => document.dispatchEvent(new CustomEvent('frontdesk:update', {detail: d}))", offer)
        page.wait_for_function("window.__shown.length === 2", timeout=10000)
        assert page.evaluate("window.__shown")[1] == "A caller wants to talk to a person"
        context.close()


def test_permission_is_asked_only_by_the_button_never_on_load(phone_server: tuple[str, Services]) -> None:
    base, _ = phone_server
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(NOTIFICATION_SPY)
        page = context.new_page()
        login(page, base)
        for path in ("/pending", "/knowledge", "/resolved"):
            page.goto(base + path)
            page.wait_for_timeout(300)
            assert page.evaluate("window.__asked") == 0, path
        button = page.locator("#alerts-enable")
        assert button.is_visible() and button.inner_text() == "Turn on alerts"
        button.click()
        page.wait_for_function("window.__asked === 1", timeout=10000)
        context.close()


def test_manifest_and_service_worker_cache_the_shell_only(phone_server: tuple[str, Services]) -> None:
    import httpx

    base, _ = phone_server
    manifest = httpx.get(base + "/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/pending"
    for icon in manifest["icons"]:
        r = httpx.get(base + icon["src"])
        assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    sw = httpx.get(base + "/sw.js")
    assert sw.headers["Service-Worker-Allowed"] == "/" and "no-cache" in sw.headers["Cache-Control"]
    body = sw.text
    assert "__SHELL__" not in body and "/static/css/app.css" in body and "/offline" in body
    for data_path in ("/api/", "/pending", "/requests", "/events", "/knowledge"):
        assert f'"{data_path}' not in body.split("var SHELL = ", 1)[1].split(";", 1)[0], data_path
    offline = httpx.get(base + "/offline")
    assert offline.status_code == 200 and "Content-Security-Policy" in offline.headers
    assert EMAIL not in offline.text


CACHED_URLS_JS = """async () => {
  await navigator.serviceWorker.ready;
  const urls = [];
  for (const key of await caches.keys()) {
    const cache = await caches.open(key);
    for (const req of await cache.keys()) urls.push(new URL(req.url).pathname);
  }
  return urls;
}"""


def test_service_worker_installs_and_caches_only_the_shell(phone_server: tuple[str, Services]) -> None:
    base, svc = phone_server
    rid = escalate(svc, "Do you do keratin treatments?", phone="+15551230001")
    with chromium() as browser:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        login(page, base)
        for path in ("/pending", f"/requests/{rid}", "/knowledge"):
            page.goto(base + path)
        page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
        page.goto(base + "/pending")  # now through the worker
        cached = page.evaluate(CACHED_URLS_JS)
        assert "/static/css/app.css" in cached and "/offline" in cached
        assert all(u.startswith("/static/") or u == "/offline" for u in cached), cached
        context.set_offline(True)
        page.goto(base + f"/requests/{rid}")  # a page with caller data: never from the cache
        assert "You're offline" in page.content() and "keratin" not in page.content()
        context.close()
