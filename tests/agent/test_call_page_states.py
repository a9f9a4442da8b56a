"""The caller page's states in Chromium: no message box before or after a call, plain feedback for an
empty message and a bad phone number, the number stored in E.164."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from tests.browser import chromium, demo_site, needs_chromium

from frontdesk.clock import SystemClock
from frontdesk.models import Call
from frontdesk.services import Services

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(tmp_path: Any) -> Iterator[tuple[str, Services]]:
    with demo_site(tmp_path / "page.db", clock=SystemClock()) as site:
        yield site


def test_call_page_states_and_plain_errors(live_server: tuple[str, Services]) -> None:
    base, svc = live_server
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 800, "height": 900})
        page.goto(base + "/call")
        assert not page.is_visible("#say") and not page.is_visible("#text") and not page.is_visible("#hangup")
        for bad in ("555-0100", "0000000000"):
            page.fill("#phone", bad)
            page.click("#start-text")
            page.locator("#status", has_text="Please enter a phone number we can text").wait_for()
            assert "caller_phone" not in page.inner_text("#status")
            assert not page.is_visible("#say")
        page.fill("#phone", "(415) 555-0142")
        page.click("#start-text")
        page.wait_for_selector("#transcript li.agent")
        assert page.is_visible("#say") and not page.is_visible("#start")
        page.click("#say button[type=submit]")  # empty message
        page.locator("#status", has_text="Type a message first").wait_for()
        with svc.db.read() as s:
            assert s.scalar(select(Call.caller_phone)) == "+14155550142"
        page.click("#hangup")
        page.locator("#status", has_text="hung up").wait_for()
        assert not page.is_visible("#say") and page.is_visible("#start")
