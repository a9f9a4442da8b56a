"""Live handoff in real Chromium, two browser contexts on one real server: a caller on `/call` asks for
a person; Sam, online with the queue open, sees the offer card appear live (server-sent events, no
reload), accepts, and chats with the caller at /live/<call_id>; the caller's page shows Sam's line,
the receptionist stays silent while Sam holds the call, and after Sam hands the call back the
receptionist answers the caller's next question. `UPDATE_SCREENSHOT=1` refreshes the README's
pictures of the offer card and of the held call."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.browser import chromium, demo_site, needs_chromium

from frontdesk.clock import SystemClock
from frontdesk.models import Event, HelpRequest, Transfer
from frontdesk.services import Services

ROOT = Path(__file__).resolve().parents[2]
EMAIL, PASSWORD = "sam@example.com", "correct-horse-battery-9"
pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
def live_server(tmp_path: Any) -> Iterator[tuple[str, Services]]:
    with demo_site(tmp_path / "fd.db", supervisors=((EMAIL, PASSWORD, "Sam"),), threads=16, clock=SystemClock()) as site:
        yield site


def _shot(target: Any, name: str) -> None:
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    target.screenshot(path=str(artifacts / name))
    if os.environ.get("UPDATE_SCREENSHOT"):  # refresh the README's pictures on purpose only
        (ROOT / "docs" / name).write_bytes((artifacts / name).read_bytes())


def _watch(page: Any, errors: list[str]) -> None:
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)


def _caller_says(page: Any, text: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")


def test_caller_reaches_a_person_and_is_handed_back(live_server: tuple[str, Services]) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    base, svc = live_server
    errors: list[str] = []
    with chromium() as browser:
        # Sam logs in, sets "Online" with one click and keeps the queue open.
        desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        _watch(desk, errors)
        desk.goto(base + "/login")
        desk.get_by_label("Email").fill(EMAIL)
        desk.get_by_label("Password").fill(PASSWORD)
        desk.get_by_role("button", name="Log in").click()
        desk.wait_for_url(base + "/pending")
        desk.get_by_role("button", name="Online", exact=True).click()
        expect(desk.locator(".presence-online")).to_have_attribute("aria-pressed", "true")
        expect(desk.locator("#live-status")).to_have_attribute("data-state", "live", timeout=5000)
        expect(desk.locator(".offer-card")).to_have_count(0)
        desk.evaluate("window.__noReload = true")

        # The caller, in a browser of their own, asks something, then for a person.
        caller = browser.new_context(viewport={"width": 800, "height": 700}).new_page()
        _watch(caller, errors)
        caller.goto(base + "/call")
        caller.fill("#phone", "+1 415 555 0142")
        caller.fill("#name", "Dana")
        caller.click("#start-text")
        caller.wait_for_selector("#transcript li.agent")
        _caller_says(caller, "How much is balayage?")
        expect(caller.locator("#transcript li")).to_have_count(3, timeout=10000)
        _caller_says(caller, "Can I talk to a real person please?")
        expect(caller.locator("#transcript li.agent").last).to_contain_text("connecting you", timeout=10000)

        # The offer appears on Sam's open queue by itself, with the warm brief.
        card = desk.locator(".offer-card")
        expect(card).to_have_count(1, timeout=5000)
        expect(card.locator("[data-field=question]")).to_have_text(
            "How much is balayage?")
        expect(card.locator("[data-field=reason]")).to_have_text("asked for a person")
        expect(card.locator("[data-field=caller]")).to_contain_text("Dana")
        assert "5550142" not in card.inner_text()  # the caller's number is masked
        assert desk.evaluate("window.__noReload") is True  # it came live, not by a reload
        _shot(card, "handoff-offer.png")

        # Sam accepts and lands on the call's chat view, holding it.
        card.get_by_role("button", name="Accept").click()
        desk.wait_for_url(base + "/live/*")
        call_id = desk.url.rsplit("/", 1)[-1]
        expect(desk.locator("#held-status")).to_have_text("you hold this call: the receptionist is silent")
        expect(desk.get_by_role("button", name="Take over this call")).to_be_hidden()
        expect(desk.get_by_role("button", name="End the call")).to_be_visible()
        expect(desk.locator("#chat")).to_contain_text("Can I talk to a real person please?")
        desk.fill("#say-text", "Hi Dana, this is Sam. Balayage for a wedding? Which Saturday?")
        desk.get_by_role("button", name="Send").click()

        # The caller's page shows Sam's line; their answer reaches Sam and the receptionist stays silent.
        said = caller.locator("#transcript li.supervisor")
        expect(said).to_have_text("Hi Dana, this is Sam. Balayage for a wedding? Which Saturday?",
                                  timeout=5000)
        agent_lines = caller.locator("#transcript li.agent:not(.supervisor)").count()
        _caller_says(caller, "The 14th, around noon, for me and my sister.")
        expect(desk.locator("#chat li.line-caller").last).to_have_text(
            "caller The 14th, around noon, for me and my sister.", timeout=5000)
        desk.fill("#say-text", "Noted: Saturday the 14th at noon for two. I'll pass you back now.")
        desk.get_by_role("button", name="Send").click()
        expect(said).to_have_count(2, timeout=5000)
        assert caller.locator("#transcript li.agent:not(.supervisor)").count() == agent_lines
        _shot(desk, "handoff-held.png")

        # Sam hands the call back; the receptionist greets the caller again and answers the next question.
        desk.get_by_role("button", name="Hand back to the receptionist").click()
        expect(desk.locator("#held-msg")).to_have_text("Handed back to the receptionist.")
        expect(desk.locator("#held-status")).to_have_text("with the receptionist", timeout=5000)
        expect(desk.get_by_role("button", name="Hand back to the receptionist")).to_be_hidden()
        expect(desk.locator("#say-form")).to_be_hidden()
        expect(desk.get_by_role("button", name="Take over this call")).to_be_visible()
        expect(caller.locator("#transcript li.agent").last).to_contain_text("it's the receptionist", timeout=5000)
        _caller_says(caller, "What time do you open?")
        expect(caller.locator("#transcript li.agent").last).to_contain_text("9am", timeout=10000)
        caller.click("#hangup")
        caller.locator("#status", has_text="hung up").wait_for()

    with svc.db.read() as s:
        [t] = s.scalars(select(Transfer).where(Transfer.call_id == call_id))
        actions = list(s.scalars(select(Event.action).where(Event.entity == "transfer",
                                                            Event.entity_id == str(t.id)).order_by(Event.id)))
        opened = s.scalar(select(HelpRequest.id))
    assert (t.status, t.taken_by) == ("ended", "Sam")
    assert actions == ["transfer_offered", "transfer_taken", "transfer_ended"]
    assert opened is None  # nothing fell back to a help request
    assert errors == []
