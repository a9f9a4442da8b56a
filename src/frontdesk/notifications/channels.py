"""Delivery channels: console log, signed webhook (httpx), SMS (Twilio).

A channel's `send()` returns the provider's message id (or None) on success and raises
`TransientError` (retry later) or `PermanentError` (dead-letter now) otherwise.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

import httpx

from frontdesk.clock import Clock
from frontdesk.notifications import signing
from frontdesk.notifications.console_outbox import outbox_logger
from frontdesk.settings import Settings
from frontdesk.text import mask_phone, valid_phone

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 500
USER_AGENT = "Frontdesk-Webhook/1"


@dataclass(frozen=True)
class Message:
    """One rendered follow-up, ready to send."""

    followup_id: int
    delivery_id: str
    kind: str
    channel: str
    recipient: str
    text: str
    created_at: datetime
    event: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    # The previous attempt's lease ran out mid-send: it may have been delivered already.
    maybe_sent: bool = False
    # Set when the message no longer needs sending (its help request ended first): why.
    obsolete: str = ""


class DeliveryError(Exception):
    """A send failed; `retryable` says whether another attempt may succeed."""

    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message[:MAX_ERROR_CHARS])


class TransientError(DeliveryError):
    """Timeouts, connection errors, 5xx: try again later."""


class PermanentError(DeliveryError):
    """4xx, missing recipient: another attempt would fail the same way."""

    retryable = False


class Channel(Protocol):
    """Something that can deliver a message."""

    def send(self, message: Message) -> str | None: ...

    def close(self) -> None: ...


def require_phone(message: Message) -> None:
    """Dead-letter texts to callers who left no usable number."""
    if not message.recipient:
        raise PermanentError("the caller left no phone number; nothing to text")
    if not valid_phone(message.recipient):
        raise PermanentError(f"not a phone number: {mask_phone(message.recipient)}")


class ConsoleChannel:
    """Writes the message to the console outbox stream: the channel when nothing external is configured.

    The application log only gets that it was sent (id, kind, masked recipient); the body, which holds
    caller text, goes to the separate outbox stream (`console_outbox.py`).
    """

    def __init__(self, outbox_file: str = "") -> None:
        self._outbox = outbox_logger(outbox_file)

    def send(self, message: Message) -> str | None:
        """Write the text with the recipient masked; always succeeds."""
        if message.kind.startswith("caller"):
            require_phone(message)
            to = mask_phone(message.recipient)
        else:
            to = "supervisor"
        log.info("console follow-up #%s (%s) to %s: %d characters, body in the console outbox",
                 message.followup_id, message.kind, to, len(message.text))
        self._outbox.info("follow-up #%s (%s) to %s: %s", message.followup_id, message.kind, to, message.text)
        return None

    def close(self) -> None:
        """Nothing to release."""


class WebhookChannel:
    """POSTs signed JSON; one pooled, thread-safe httpx client."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._warned_unsigned = False

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(
                    timeout=self.settings.delivery_timeout_seconds,
                    follow_redirects=False,
                    headers={"User-Agent": USER_AGENT},
                    limits=httpx.Limits(max_connections=max(4, self.settings.dispatch_concurrency)),
                )
            return self._client

    def warm_up(self) -> None:
        """Build the HTTP client now, not while the first alert goes out."""
        if self.settings.supervisor_webhook_url:
            self._http()

    def send(self, message: Message) -> str | None:
        """POST the payload; 2xx is delivered, 5xx/429/network errors are retried, other 4xx are not."""
        body = json.dumps(message.payload, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            signing.DELIVERY_HEADER: message.delivery_id,
            signing.EVENT_HEADER: message.event,
        }
        if self.settings.webhook_secret:
            headers.update(signing.sign(self.settings.webhook_secret, body, self.clock.now()))
        elif not self._warned_unsigned:
            self._warned_unsigned = True
            log.warning("WEBHOOK_SECRET is empty: webhooks are sent unsigned")
        try:
            response = self._http().post(message.recipient, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timeout: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection error: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            return None
        detail = f"HTTP {status}: {response.text[:200]}"
        # 429 means "later", not "never": the one 4xx worth retrying.
        if status >= 500 or status == 429:
            raise TransientError(detail)
        raise PermanentError(detail)

    def close(self) -> None:
        """Close pooled connections."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


class SmsChannel:
    """Texts through Twilio (`twilio` 9.x); one client per thread, base URL overridable for tests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()

    def _client(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            client = Client(
                self.settings.twilio_account_sid,
                self.settings.twilio_auth_token,
                http_client=TwilioHttpClient(timeout=self.settings.delivery_timeout_seconds),
            )
            if self.settings.twilio_base_url:
                client.api.base_url = self.settings.twilio_base_url.rstrip("/")
            self._local.client = client
        return client

    def warm_up(self) -> None:
        """Import Twilio's client now (about 0.5 s of CPU), not while the first text goes out."""
        if self.settings.twilio_account_sid and self.settings.twilio_auth_token:
            self._client().messages  # noqa: B018 - the property imports the messages API

    def send(self, message: Message) -> str | None:
        """Send the SMS and return its SID; if an earlier attempt may have sent it, look first."""
        require_phone(message)
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            if message.maybe_sent:
                existing = self.find_sent(message)
                if existing:
                    log.info("follow-up #%s: already at Twilio as %s; not sending again", message.followup_id, existing)
                    return existing
            sent = self._client().messages.create(
                to=message.recipient, from_=self.settings.twilio_from_number, body=message.text
            )
        except TwilioRestException as exc:
            detail = f"Twilio HTTP {exc.status}: {exc.code or ''} {exc.msg}"
            if exc.status >= 500 or exc.status == 429:
                raise TransientError(detail) from exc
            raise PermanentError(detail) from exc
        except TwilioException as exc:  # e.g. an unreadable page from a proxy
            raise TransientError(f"Twilio: {exc}") from exc
        except OSError as exc:  # requests' connection errors and timeouts derive from OSError
            raise TransientError(f"Twilio connection error: {type(exc).__name__}") from exc
        return str(sent.sid)

    def find_sent(self, message: Message) -> str | None:
        """The SID of a message with exactly this body to this number created since the follow-up was.

        Twilio has no idempotency key for outgoing messages; the same text to the same number since
        this row was written is our marker that the crashed attempt did reach Twilio.
        """
        since = message.created_at - timedelta(minutes=5)  # clock skew between us and Twilio
        for item in self._client().messages.list(
            to=message.recipient, from_=self.settings.twilio_from_number, limit=50
        ):
            created = item.date_created.replace(tzinfo=None) if item.date_created else None
            if item.body == message.text and (created is None or created >= since):
                return str(item.sid)
        return None

    def close(self) -> None:
        """Twilio's HTTP sessions close with the threads that own them."""
