"""Every page in Chromium under the real Content-Security-Policy: a supervisor logs in and visits every GET route of
the app's url_map (real ids from a seeded database), then a caller uses `/call`. Any CSP violation
(`securitypolicyviolation` event), console error or uncaught script error fails the test.

A route that is not a page (JSON, CSV, scripts) is fetched inside the logged-in browser context and must answer
below 400; a page is loaded, left a moment for its scripts, and its violations collected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk.demo import seed_demo
from frontdesk.migrate import upgrade
from frontdesk.services import Services, build_services
from frontdesk.web import create_app
from tests.browser import chromium, needs_chromium, served
from tests.conftest import make_settings
from tests.web.conftest import EMAIL, PASSWORD, escalate

pytestmark = [pytest.mark.browser, needs_chromium]

# Reported to Python from every document before its own scripts run (init scripts are not subject to the CSP).
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`));
"""
# Streams never finish loading; the pages that use them are visited, the stream itself is not a page.
NOT_VISITED = {"pages.events", "call_events.events"}
QUERY = {"api_kb.search_knowledge": "?q=when+do+you+open"}  # its `q` is required


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Services, dict[str, str]]]:
    """A served app with one of everything an id can point at; yields (base URL, services, argument -> value)."""
    svc = build_services(make_settings(f"sqlite:///{tmp_path}/fd.db", calls_rate_limit_per_minute=0))
    upgrade(svc.db)
    seed_demo(svc.db, svc.clock, svc.knowledge)
    sup = svc.accounts.create(EMAIL, PASSWORD, "Sam")
    request_id = escalate(svc, "Can I bring my dog to the salon?", phone="+15551234567")
    held_call = svc.calls.start(channel="text", holder="test", caller_phone="+15550001111", caller_name="Dana")
    svc.transfers.takeover(held_call.id, sup)
    entry_id = svc.knowledge.list(limit=1)[0].id
    ids = {"request_id": str(request_id), "entry_id": str(entry_id), "call_id": held_call.id}
    with served(svc, threads=16) as base:
        yield base, svc, ids
    svc.stop()


def _get_routes(svc: Services, ids: dict[str, str]) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET route, arguments filled with real ids."""
    app = create_app(services=svc)
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_VISITED:
            continue
        if rule.endpoint == "static":
            out.append((rule.endpoint, "/static/call/call.js"))
            continue
        missing = set(rule.arguments) - set(ids)
        assert not missing, f"{rule.rule}: no test id for {missing}; add one to the `site` fixture"
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: ids[m.group(1)], rule.rule)
        out.append((rule.endpoint, url + QUERY.get(rule.endpoint, "")))
    return out


class Watch:
    """Collects CSP violations, console errors and uncaught errors of a page, labelled by URL."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        self.url = ""
        page.expose_binding("__cspViolation", lambda source, text: self.problems.append(f"{self.url}: CSP {text}"))
        page.add_init_script(WATCH_CSP)
        page.on("console", lambda msg: msg.type == "error" and self.problems.append(
            f"{self.url}: console {msg.text} ({msg.location.get('url', '')})"))
        page.on("pageerror", lambda exc: self.problems.append(f"{self.url}: script error {exc}"))


def test_every_page_satisfies_the_csp(site: tuple[str, Services, dict[str, str]]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, svc, ids = site
    routes = _get_routes(svc, ids)
    assert len(routes) >= 30, routes
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        watch = Watch(page)
        page.goto(base + "/login")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base + "/pending")
        token = context.request.post(base + "/api/v1/auth/token", data={"email": EMAIL, "password": PASSWORD})
        assert token.ok, token.text()
        bearer = {"Authorization": f"Bearer {token.json()['token']}"}
        pages = 0
        for endpoint, url in routes:
            watch.url = url
            api = url.startswith("/api/")
            head = context.request.get(base + url, headers=bearer if api else None, max_redirects=0)
            # `/readyz` stays 503 here: this site starts no background workers, so it never warms up.
            ready_probe = endpoint == "readyz" and head.status == 503
            assert head.status < 400 or ready_probe, (endpoint, url, head.status, head.text()[:300])
            if "text/html" not in head.headers.get("content-type", "") or head.status != 200:
                continue
            if not head.text().lstrip().lower().startswith("<!doctype html"):
                continue  # an HTML fragment (`/pending/cards`): its page inserts it, and that page is visited
            page.goto(base + url, wait_until="load")
            page.wait_for_timeout(300)  # the page's scripts start (live updates, polling)
            pages += 1
        assert pages >= 10, pages

        # The caller: the page's own script starts a text call and talks (fetch under connect-src 'self').
        watch.url = "/call (caller)"
        caller = context.new_page()
        caller_watch = Watch(caller)
        caller_watch.url = "/call (caller)"
        caller.goto(base + "/call")
        caller.locator("#phone").fill("+1 555 000 2222")
        caller.locator("#name").fill("Robin")
        caller.locator("#start-text").click()
        sync_api.expect(caller.locator("#say")).to_be_visible(timeout=20_000)
        caller.locator("#text").fill("What time do you open?")
        caller.locator("#say button[type=submit]").click()
        sync_api.expect(caller.locator("#transcript li")).to_have_count(3, timeout=20_000)
        caller.locator("#hangup").click()
        caller.wait_for_timeout(500)
        context.close()
    problems = watch.problems + caller_watch.problems
    assert not problems, "\n".join(problems)
