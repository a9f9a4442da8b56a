"""Webhook signatures: HMAC-SHA256 over `timestamp + "." + raw_body`, and the receiver-side check.

Headers sent with every webhook:

* `X-Frontdesk-Timestamp`: Unix seconds when the request was signed;
* `X-Frontdesk-Signature`: `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`;
* `X-Frontdesk-Delivery`: the delivery id, identical on every retry of the same follow-up, so a
  receiver can drop duplicates.

Signing the timestamp with the body lets a receiver refuse replays older than its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

TIMESTAMP_HEADER = "X-Frontdesk-Timestamp"
SIGNATURE_HEADER = "X-Frontdesk-Signature"
DELIVERY_HEADER = "X-Frontdesk-Delivery"
EVENT_HEADER = "X-Frontdesk-Event"
SCHEME = "sha256="


def unix_seconds(when: datetime | float | int) -> int:
    """Unix seconds of a naive-UTC (or aware) datetime, or of a number already in seconds."""
    if isinstance(when, datetime):
        aware = when if when.tzinfo else when.replace(tzinfo=UTC)
        return int(aware.timestamp())
    return int(when)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp + "." + body` under `secret`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, now: datetime | float | int) -> dict[str, str]:
    """Timestamp and signature headers for `body` signed at `now`."""
    timestamp = str(unix_seconds(now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: SCHEME + signature(secret, timestamp, body)}


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return ""


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: datetime | float | int, tolerance: int = 300
) -> bool:
    """True when `body` carries a valid signature made within `tolerance` seconds of `now`.

    For receivers: pass the raw request body (before any JSON parsing) and the request headers.
    The comparison is constant-time; a timestamp outside the window (a replay) fails.
    """
    if not secret:
        return False
    timestamp = _header(headers, TIMESTAMP_HEADER).strip()
    given = _header(headers, SIGNATURE_HEADER).strip()
    if not timestamp.isdigit() or not given.startswith(SCHEME):
        return False
    if abs(unix_seconds(now) - int(timestamp)) > tolerance:
        return False
    expected = SCHEME + signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), given.encode())
