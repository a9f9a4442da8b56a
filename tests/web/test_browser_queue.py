"""In a real browser (Chromium via Playwright, waitress): /analytics draws every chart with no console
error and no CSP violation, on a desktop and on a phone-sized screen; the queue re-orders itself live
when priorities change, without a reload and without losing a draft answer."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from frontdesk.models import Call
from frontdesk.services import Services
from frontdesk.usage import record_lookup, record_read_back, set_urgent
from tests.browser import chromium, demo_site, needs_chromium
from tests.web.conftest import EMAIL, PASSWORD, escalate, start_call

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, needs_chromium]
CHARTS = ("chart-calls", "chart-rates", "chart-answer", "chart-outcomes", "chart-reuse", "chart-readback",
          "chart-transfers", "chart-delivery", "chart-topics")
# Listens for CSP violations from the first byte (an init script is injected by the browser, not the page).
WATCH_CSP = "window.__csp = []; document.addEventListener('securitypolicyviolation', " \
            "e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    with demo_site(tmp_path / "fd.db", supervisors=((EMAIL, PASSWORD, "Sam"),), request_timeout_seconds=1800) as site:
        yield site


def _login(page: object, base: str, target: str) -> None:
    page.goto(base + target)  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(EMAIL)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Log in").click()  # type: ignore[attr-defined]
    page.wait_for_url(base + target)  # type: ignore[attr-defined]


def _some_history(svc: Services) -> None:
    """A few days of calls, answers, read-backs and a timeout, so every chart has data."""
    now = svc.clock.now()
    entry = svc.knowledge.list(status="active", limit=1)[0].id
    for day in range(4):
        for i in range(3 + day):
            cid = start_call(svc, f"+1555010{day}{i:03d}")
            with svc.db.write() as s:
                s.execute(update(Call).where(Call.id == cid).values(
                    started_at=now - timedelta(days=day, hours=i), status="ended"))
            record_lookup(svc.db, svc.clock, cid, "answered" if i % 2 else "read_back", entry)
            if not i % 2:
                record_read_back(svc.db, svc.clock, cid, entry, confirmed=bool(day % 2))
    a = escalate(svc, "Do you do henna tattoos for weddings?", phone="+15550200001")
    svc.desk.answer(a, "Not yet.", by=EMAIL)
    escalate(svc, "Can I bring my dog to my appointment?", phone="+15550200002")
    escalate(svc, "Are dogs allowed inside the salon?", phone="+15550200003")


def test_analytics_draws_every_chart_without_errors(live_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = live_server
    _some_history(svc)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with chromium() as browser:
        for name, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 390, "height": 844})):
            page = browser.new_page(viewport=viewport)
            page.add_init_script(WATCH_CSP)
            errors: list[str] = []
            page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
            page.on("console", lambda msg, errors=errors: errors.append(f"{msg.text} {msg.location.get('url')}")
                    if msg.type == "error" and "favicon.ico" not in str(msg.location.get("url")) else None)
            _login(page, base, "/analytics")
            sync_api.expect(page.locator("#charts")).to_have_attribute("data-drawn", str(len(CHARTS)), timeout=10_000)
            for chart in CHARTS:
                drawn = page.evaluate(
                    """id => { const c = document.getElementById(id); if (!c || !c.width) return 0;
                       const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                       let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""", chart)
                assert drawn > 100, (name, chart, drawn)  # ink on the canvas
            assert page.locator("#chart-heat td.heat-1, #chart-heat td.heat-2, #chart-heat td.heat-3, "
                                "#chart-heat td.heat-4, #chart-heat td.heat-5").count() > 0
            if name == "phone":  # nothing wider than the screen but the heat map's own scroller
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, width
            assert page.evaluate("window.__csp") == [], page.evaluate("window.__csp")
            assert not errors, errors
            page.screenshot(path=str(artifacts / f"analytics-{name}.png"), full_page=name == "desktop")
            if name == "desktop" and os.environ.get("UPDATE_SCREENSHOT"):
                page.screenshot(path=str(artifacts / "analytics-top.png"), full_page=False)
                shutil.copy(artifacts / "analytics-top.png", ROOT / "docs" / "analytics.png")
            page.close()


def test_queue_reorders_live_and_keeps_the_draft(live_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = live_server
    calm = escalate(svc, "Do you sell gift cards for the spa?", phone="+15550300001")
    with svc.db.write() as s:  # the first caller hung up: priority 0
        s.execute(update(Call).values(status="ended"))
    busy = escalate(svc, "Is there parking behind the building?", phone="+15550300002")  # 1 caller on the line
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.add_init_script(WATCH_CSP)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, base, "/pending")
        sync_api.expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=5000)
        ids = page.eval_on_selector_all("#queue .card", "cs => cs.map(c => Number(c.dataset.id))")
        assert ids == [busy, calm]
        assert "1 caller on the line" in page.locator(f"#request-{busy} .why").inner_text()
        page.evaluate("window.__noReload = true")
        draft = "Yes, we sell gift cards at the desk, any amount from"
        box = page.locator(f"#answer-{calm}")
        box.click()
        box.type(draft)
        # A supervisor elsewhere marks the calm one urgent: it moves to the top while being typed in.
        set_urgent(svc.db, svc.clock, calm, True, by="other@example.com")
        svc.signals.publish("help_request", id=calm, action="urgent")
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('#queue .card')).map(c => Number(c.dataset.id))"
            f".join(',') === '{calm},{busy}'", timeout=15_000)
        assert "marked urgent" in page.locator(f"#request-{calm} .why").inner_text()
        assert box.input_value() == draft
        assert page.evaluate("document.activeElement.id") == f"answer-{calm}"
        # The caller of the other one hangs up and a new urgent question arrives: order follows.
        box.type(" 20 dollars.")
        hot = escalate(svc, "I had an allergic reaction to the dye, what should I do?", phone="+15550300003")
        page.wait_for_function(
            f"() => Array.from(document.querySelectorAll('#queue .card')).map(c => Number(c.dataset.id))"
            f".join(',') === '{hot},{calm},{busy}'", timeout=15_000)
        assert box.input_value() == draft + " 20 dollars."
        assert page.evaluate("window.__noReload") is True
        # Marking urgent from the card itself.
        page.locator(f"#request-{busy} .js-urgent button").click()
        sync_api.expect(page.locator(f"#request-{busy} .js-urgent button")).to_have_text("Not urgent")
        assert page.evaluate("window.__csp") == []
        assert not errors, errors
        page.screenshot(path=str(ROOT / "test-artifacts" / "queue-priority.png"))
