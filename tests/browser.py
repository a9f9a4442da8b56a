"""Shared by the browser tests: the app served for real (waitress, as `frontdesk serve` runs it) on a
free port in a thread, and Debian's Chromium launched through Playwright."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from frontdesk.services import Services, build_services
from frontdesk.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} is missing (apt-get install chromium)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(svc: Services, threads: int = 8) -> Iterator[str]:
    """`create_app(services=svc)` behind waitress on 127.0.0.1; yields its base URL."""
    from waitress.server import create_server

    port = _free_port()
    server = create_server(create_app(services=svc), host="127.0.0.1", port=port, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


@contextmanager
def demo_site(db_path: Any, *, supervisors: tuple[tuple[str, str, str], ...] = (), clock: Any = None,
              threads: int = 8, **overrides: Any) -> Iterator[tuple[str, Services]]:
    """The demo salon on a fresh SQLite file, migrated and seeded, with `supervisors` (email, password,
    name) and settings `overrides`, served on a free port; yields (base URL, services), stops them after."""
    from frontdesk.demo import seed_demo
    from frontdesk.migrate import upgrade
    from tests.conftest import make_settings

    svc = build_services(make_settings(f"sqlite:///{db_path}", **overrides), clock=clock)
    upgrade(svc.db)
    seed_demo(svc.db, svc.clock, svc.knowledge)
    for email, password, name in supervisors:
        svc.accounts.create(email, password, name)
    try:
        with served(svc, threads=threads) as base:
            yield base, svc
    finally:
        svc.stop()


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium browser (Playwright's sync API)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
