"""A text call's turn, sent on to the `serve` process that holds the call.

A round-robin balancer sends a caller's message to any process. Moving the call there (claim it,
rebuild its agent session from the stored conversation, and the old holder closing its own) costs
about twice a turn's CPU; passing the message to the holder costs one local HTTP request. The claim
path stays the fallback: a holder that cannot be reached (dead, restarting) has its call taken over
here, so nothing waits on it. A forwarded request carries `HOP_HEADER` and is never forwarded again.
"""

from __future__ import annotations

import logging
import threading

import httpx
from flask import Flask, Response

from frontdesk.web.errors import ApiError

log = logging.getLogger(__name__)

HOP_HEADER = "X-Frontdesk-Hop"
#: Connecting to a live process on the same network takes well under this; longer means it is not there.
CONNECT_TIMEOUT_SECONDS = 1.0


class TurnForwarder:
    """Posts a turn to the holder's `/api/v1/calls/<id>/messages` over a pooled keep-alive client."""

    def __init__(self, read_timeout: float) -> None:
        self._client = httpx.Client(
            timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT_SECONDS),
            follow_redirects=False, trust_env=False,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    def forward(self, url: str, call_id: str, body: bytes) -> Response | None:
        """The holder's answer to the turn, or None when the holder could not be reached (nothing was
        sent: the caller's turn is served here instead). A holder that took the message but failed or
        timed out gives a 503 "busy", as a turn that timed out here would: serving it here too could
        say it twice."""
        try:
            reply = self._client.post(f"{url}/api/v1/calls/{call_id}/messages", content=body,
                                      headers={"Content-Type": "application/json", HOP_HEADER: "1"})
        except (httpx.ConnectError, httpx.ConnectTimeout):
            log.info("call %s: its holder at %s is not reachable; serving the turn here", call_id, url)
            return None
        except httpx.HTTPError as exc:
            log.warning("call %s: forwarding the turn failed (%s)", call_id, type(exc).__name__)
            raise ApiError(503, "busy", "the receptionist is busy; please try again") from None
        if reply.status_code >= 500 and reply.status_code != 503:
            raise ApiError(503, "busy", "the receptionist is busy; please try again")
        return Response(reply.content, status=reply.status_code, mimetype="application/json")

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()


_lock = threading.Lock()


def forwarder(app: Flask, read_timeout: float) -> TurnForwarder:
    """The app's forwarder, made on first use."""
    fwd = app.extensions.get("turn_forwarder")
    if fwd is None:
        with _lock:
            fwd = app.extensions.get("turn_forwarder")
            if fwd is None:
                fwd = app.extensions["turn_forwarder"] = TurnForwarder(read_timeout)
    return fwd  # type: ignore[no-any-return]
