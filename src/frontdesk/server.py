"""`frontdesk serve`: the WSGI app on waitress plus the background workers, in one process."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType

from waitress import serve as waitress_serve

from frontdesk.services import Services
from frontdesk.settings import Settings
from frontdesk.web import create_app

log = logging.getLogger(__name__)


def served_url(host: str, port: int) -> str:
    """The address `serve` answers on, as a link: a wildcard host becomes 127.0.0.1, IPv6 gets brackets."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def with_served_base_url(settings: Settings, host: str, port: int) -> Settings:
    """Settings whose PUBLIC_BASE_URL is the served address when it was not set, so links in alerts
    and reminders point at this server (`make run PORT=5101` gives :5101 links, not :5000)."""
    if "public_base_url" in settings.model_fields_set:
        return settings
    return settings.model_copy(update={"public_base_url": served_url(host, port)})


def internal_url(settings: Settings, host: str, port: int) -> str:
    """Where the other `serve` processes reach this one (turns are forwarded to a call's holder):
    INTERNAL_URL, else the address served when it is one address; empty (no forwarding here) when
    `serve` listens on every address and nobody said which one the others should use."""
    if not settings.forward_turns:
        return ""
    if settings.internal_url:
        return settings.internal_url
    return "" if host in ("", "0.0.0.0", "::") else served_url(host, port)


def run(services: Services, host: str, port: int) -> None:
    """Start workers, serve HTTP until SIGTERM/SIGINT, then stop cleanly."""
    app = create_app(services=services)
    services.hub_url = internal_url(services.settings, host, port)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: shutting down", signum)
        services.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, _stop)
    services.start_workers()
    log.info("Frontdesk on http://%s:%d", host, port)
    # send_bytes=1 flushes each chunk at once, which live-update streams (SSE) need;
    # channel_request_lookahead lets a stream see that its client left and free its thread.
    try:
        waitress_serve(app, host=host, port=port, threads=services.settings.web_threads, send_bytes=1,
                       channel_timeout=300, channel_request_lookahead=1, ident="frontdesk")
    finally:  # also when waitress cannot listen (port taken): no workers left running behind the error
        services.stop()
