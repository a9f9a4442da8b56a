"""Webhook signatures: what a receiver verifies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from frontdesk.notifications import signing

SECRET = "s3cret-for-tests-0123456789"
NOW = datetime(2026, 1, 5, 9, 0, 0)


def test_signature_verifies_and_matches_documented_scheme() -> None:
    body = b'{"event":"help_request.created","question":"parrot?"}'
    headers = signing.sign(SECRET, body, NOW)
    assert signing.verify(SECRET, headers, body, NOW)
    # The documented scheme, recomputed independently: hex HMAC-SHA256 of timestamp + "." + body.
    ts = headers["X-Frontdesk-Timestamp"]
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Frontdesk-Signature"] == "sha256=" + mac


def test_tampered_body_wrong_secret_and_missing_headers_fail() -> None:
    body = b'{"answer":"yes"}'
    headers = signing.sign(SECRET, body, NOW)
    assert not signing.verify(SECRET, headers, b'{"answer":"no!"}', NOW)
    assert not signing.verify("another-secret", headers, body, NOW)
    assert not signing.verify(SECRET, {}, body, NOW)
    assert not signing.verify("", headers, body, NOW)
    forged = dict(headers, **{"X-Frontdesk-Timestamp": str(int(headers["X-Frontdesk-Timestamp"]) + 1)})
    assert not signing.verify(SECRET, forged, body, NOW)


def test_replays_outside_the_window_fail_and_header_case_does_not_matter() -> None:
    body = b"{}"
    headers = {k.lower(): v for k, v in signing.sign(SECRET, body, NOW).items()}
    stamp = signing.unix_seconds(NOW)
    assert signing.verify(SECRET, headers, body, stamp + 299)
    assert not signing.verify(SECRET, headers, body, stamp + 301)
    assert not signing.verify(SECRET, headers, body, stamp + 61, tolerance=60)
    assert not signing.verify(SECRET, headers, body, stamp - 400)
