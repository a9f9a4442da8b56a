"""The caller page `/call` in real Chromium: chat with the receptionist, see an in-call answer arrive,
and caller text shown as text (never as HTML)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.browser import chromium, demo_site, needs_chromium

from frontdesk.clock import SystemClock
from frontdesk.models import HelpRequest
from frontdesk.services import Services

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(tmp_path: Any) -> Iterator[tuple[str, Services]]:
    with demo_site(tmp_path / "page.db", clock=SystemClock()) as site:
        yield site


def test_chat_on_the_call_page_with_an_in_call_answer(live_server: tuple[str, Services]) -> None:
    base, svc = live_server
    with chromium() as browser:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + "/call")
        page.fill("#phone", "+15550001111")
        page.click("#start-text")
        page.wait_for_selector("#transcript li.agent")
        assert "Glow Hair Studio" in page.inner_text("#transcript")
        page.fill("#text", "<img src=x onerror=alert(1)> Can you dye my dog's fur pink?")
        page.press("#text", "Enter")
        page.wait_for_selector("#transcript li:nth-child(3)")
        assert page.locator("#transcript img").count() == 0  # shown as text
        assert "<img src=x" in page.inner_text("#transcript li.caller")
        assert "supervisor" in page.inner_text("#transcript").lower()
        with svc.db.read() as s:
            request_id = s.scalar(select(HelpRequest.id))
        svc.desk.answer(request_id, "Sorry, we only style people.", by="sup@x")
        page.locator("#transcript li", has_text="only style people").wait_for(timeout=5000)
        page.click("#hangup")
        page.locator("#status", has_text="hung up").wait_for()
        assert "connect-src 'self'" in (page.goto(base + "/call").headers.get("content-security-policy") or "")
    assert dialogs == []
