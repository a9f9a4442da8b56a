"""Every route is either caller-facing by design (an explicit list, with the reason) or needs a supervisor:
anonymous requests get 401/403 or a redirect to the login page. A new route fails here until it is one or
the other. Call ids, the only key to a public call, are unguessable."""

from __future__ import annotations

import re
import uuid

from flask import Flask

from frontdesk.models import new_call_id

# endpoint -> why anyone may use it
PUBLIC = {
    "static": "CSS, JS and icons",
    "healthz": "liveness probe, says only ok",
    "readyz": "readiness probe, says only ready or warming up",
    "auth.login": "the login page itself",
    "auth_api.issue_token": "exchanges a password for a token (rate-limited)",
    "openapi.openapi": "the public API description",
    "metrics.metrics": "counts only, no caller data (README: expose to operations only)",
    "call_page.call": "the caller page",
    "api_calls.start_call": "callers start text calls (rate-limited, unguessable ids)",
    "api_calls.send_message": "the caller of that call id",
    "api_calls.get_call": "the caller of that call id",
    "api_calls.end_call": "the caller of that call id",
    "call_events.events": "the caller page's update stream while on hold (same key as GET /calls/{id}: the call id)",
    "api_calls.voice_token": "callers start voice calls (rate-limited)",
    "webhooks.twilio_sms": "Twilio; refused without a valid X-Twilio-Signature",
    "webhooks.email_inbound": "the mail provider; refused without the inbound secret",
    "pwa.manifest": "installable web app manifest, no data",
    "pwa.service_worker": "service worker script, no data",
    "pwa.offline": "offline fallback page, no data",
}


def _url(rule_text: str) -> str:
    return re.sub(r"<[^>]+>", "1", rule_text)


def test_every_route_is_public_by_design_or_needs_a_supervisor(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = set(PUBLIC) - endpoints
    assert not stale or stale <= {"pwa.manifest", "pwa.service_worker", "pwa.offline", "webhooks.twilio_sms",
                                  "webhooks.email_inbound"}, f"allowlisted routes that no longer exist: {stale}"
    anon = app.test_client()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            r = anon.open(_url(rule.rule), method=method, json={} if rule.rule.startswith("/api/") else None)
            checked += 1
            location = r.headers.get("Location", "")
            assert r.status_code in (401, 403) or (r.status_code == 302 and location.startswith("/login")), (
                f"{method} {rule.rule} ({rule.endpoint}) answers {r.status_code} to an anonymous request: add it "
                "to PUBLIC with the reason, or protect it")
    assert checked >= 25


def test_call_ids_are_unguessable() -> None:
    ids = [new_call_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for call_id in ids[:200]:
        assert re.fullmatch(r"[0-9a-f]{32}", call_id)
        assert uuid.UUID(call_id).version == 4  # 122 random bits from the OS generator
    # The bits are spread: every hex digit shows up at every random position across the sample.
    for position in (0, 7, 20, 31):
        assert len({i[position] for i in ids}) == 16
