"""A supervisor in a real browser (Chromium via Playwright) against a real waitress server: log in,
start typing an answer, see a new request arrive live without losing the draft, answer a request and
find it in history and in the knowledge base."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from frontdesk.services import Services
from tests.browser import chromium, demo_site, needs_chromium
from tests.web.conftest import EMAIL, PASSWORD, escalate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Services]]:
    """The demo salon served by waitress in a thread on a free port, one supervisor."""
    with demo_site(tmp_path / "fd.db", supervisors=((EMAIL, PASSWORD, "Sam"),)) as site:
        yield site


def test_supervisor_answers_live_queue_in_a_browser(live_server: tuple[str, Services]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc = live_server
    first = escalate(svc, "Do you cut curly hair for kids?", phone="+15551234567")
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/pending")
        assert "/login" in page.url
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/pending")
        sync_api.expect(page.locator("#live-status")).to_have_attribute("data-state", "live", timeout=5000)

        # Start typing an answer, then a new request arrives.
        draft = "Yes, we cut curly hair for kids, it takes about"
        box = page.locator(f"#answer-{first}")
        box.click()
        box.type(draft)
        page.evaluate("window.__noReload = true")
        second = escalate(svc, "Can I bring my dog to the salon?", phone="+15559876543")
        card = page.locator(f"#request-{second}")
        sync_api.expect(card).to_be_visible(timeout=3000)
        sync_api.expect(card.locator(".question")).to_have_text("Can I bring my dog to the salon?")
        assert page.evaluate("window.__noReload") is True  # no reload happened
        assert box.input_value() == draft  # the draft survived
        sync_api.expect(page.locator("#pending-total")).to_have_text("2")
        # A suggested answer fills the box in one click (seeded knowledge matches curly hair).
        page.locator(f"#request-{first} .js-suggest").first.click()
        assert "curly" in box.input_value().lower()
        box.fill(draft + " 2.5 hours.")
        page.screenshot(path=str(artifacts / "dashboard-queue.png"), full_page=False)
        if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
            shutil.copy(artifacts / "dashboard-queue.png", ROOT / "docs" / "screenshot.png")

        # Answer the new request; it leaves the queue, the other card keeps its draft.
        card.locator("textarea").fill("Yes, well-behaved dogs are welcome.")
        card.get_by_label("Question wording for the knowledge base").fill("Are dogs allowed in the salon?")
        card.get_by_role("button", name="Send answer").click()
        sync_api.expect(card).to_have_count(0, timeout=5000)
        sync_api.expect(page.locator("#flashes")).to_contain_text(f"Answer to request #{second} sent")
        assert box.input_value() == draft + " 2.5 hours."
        sync_api.expect(page.locator("#pending-total")).to_have_text("1")

        page.get_by_role("link", name="Resolved", exact=True).click()
        sync_api.expect(page.locator(f"#request-{second}")).to_contain_text("Can I bring my dog to the salon?")
        page.screenshot(path=str(artifacts / "dashboard-resolved.png"), full_page=True)
        page.get_by_role("link", name="Knowledge", exact=True).click()
        entry = page.locator(".entry", has_text="Are dogs allowed in the salon?")
        sync_api.expect(entry).to_contain_text("learned from request #" + str(second))
        page.screenshot(path=str(artifacts / "dashboard-knowledge.png"), full_page=True)
        assert svc.knowledge.search("Are dogs allowed in the salon?").answerable
        assert not errors, errors
