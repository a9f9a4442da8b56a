"""The outbox dispatcher: claims due follow-ups with a lease, sends them outside any transaction,
and records each outcome with a conditional update. Safe to run in several threads and processes.

Claiming: PostgreSQL locks candidate rows with `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite
serialises writers with `BEGIN IMMEDIATE`. Either way the claim sets `claimed_by`, `claimed_until`
and moves `next_attempt_at` to the end of the lease, so a claimed row is not due for anyone else
until the lease runs out (which only happens if its dispatcher died or hung mid-send).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from frontdesk import outbox
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.models import Event, Followup
from frontdesk.notifications.channels import (
    Channel,
    ConsoleChannel,
    DeliveryError,
    Message,
    PermanentError,
    SmsChannel,
    TransientError,
    WebhookChannel,
)
from frontdesk.notifications.incall import reroute_in_call
from frontdesk.notifications.render import Claim, prepare
from frontdesk.notifications.smtp import EmailChannel
from frontdesk.settings import Settings
from frontdesk.signals import Signals

log = logging.getLogger(__name__)

RETRYABLE = ("queued", "failed")
# How long finished sends wait to share a commit; also the most a crash can leave sent-but-unrecorded.
RECORD_WINDOW_SECONDS = 0.02


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row."""

    claim: Claim
    message: Message | None
    provider_id: str | None = None
    error: DeliveryError | None = None
    released: bool = False
    cancelled: bool = False


class Dispatcher:
    """Delivers the outbox. `run_once()` is one step; `drain()` repeats it while work is due."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        signals: Signals | None = None,
        channels: dict[str, Channel] | None = None,
        name: str | None = None,
    ) -> None:
        self.db, self.clock, self.settings = db, clock, settings
        self.signals = signals or Signals()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.channels: dict[str, Channel] = channels or {
            "console": ConsoleChannel(settings.console_outbox_file),
            "webhook": WebhookChannel(settings, clock),
            "sms": SmsChannel(settings),
            "email": EmailChannel(settings),
        }
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def warm_up(self) -> None:
        """Load what each configured channel needs before the first follow-up is due (best effort)."""
        for name, channel in self.channels.items():
            warm = getattr(channel, "warm_up", None)
            if warm is None:
                continue
            try:
                warm()
            except Exception:  # a channel that cannot warm up reports its error when it first sends
                log.warning("channel %s could not warm up", name, exc_info=True)

    # -- one step ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Reroute stale in-call rows, then claim and deliver one batch; returns how many were claimed."""
        reroute_in_call(self.db, self.clock, self.settings)
        claims = self.claim(self.settings.dispatch_batch_size)
        if not claims:
            return 0
        with self.db.read() as s:
            messages = prepare(s, claims, self.settings)
        pool = self._executor()
        if pool is None:
            for claim in claims:
                self._record([self._send(claim, messages.get(claim.id))])
            return len(claims)
        # Pool threads only send; this thread records whatever has finished, a group per transaction,
        # so sends never queue on the database's write lock and a crash loses at most the unrecorded few.
        pending = {pool.submit(self._send, c, messages.get(c.id)) for c in claims}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            if pending:  # gather what finishes within a moment too: one commit for several rows
                more, pending = wait(pending, timeout=RECORD_WINDOW_SECONDS)
                done |= more
            self._record([f.result() for f in done])
        return len(claims)

    def drain(self, max_batches: int = 50) -> int:
        """Run steps until a batch comes back short (nothing more due) or `max_batches` ran."""
        total = 0
        for _ in range(max_batches):
            claimed = self.run_once()
            total += claimed
            if claimed < self.settings.dispatch_batch_size:
                break
        return total

    # -- claiming ------------------------------------------------------------------------------
    def _due(self, now: datetime) -> Any:
        return (
            Followup.status.in_(RETRYABLE),
            Followup.next_attempt_at <= now,
            Followup.channel != outbox.IN_CALL,
        )

    def claim(self, limit: int) -> list[Claim]:
        """Take a lease on up to `limit` due rows; each claim counts as an attempt."""
        now = self.clock.now()
        with self.db.read() as s:  # a cheap look first: idle steps never take SQLite's write lock
            if s.scalar(select(Followup.id).where(*self._due(now)).limit(1)) is None:
                return []
        until = now + timedelta(seconds=self.settings.outbox_lease_seconds)
        with self.db.write() as s:
            candidates = s.execute(
                select(Followup.id, Followup.claimed_by)
                .where(*self._due(now))
                .order_by(Followup.next_attempt_at, Followup.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not candidates:
                return []
            expired = {c.id for c in candidates if c.claimed_by is not None}
            rows = s.execute(
                update(Followup)
                .where(Followup.id.in_([c.id for c in candidates]), *self._due(now))
                .values(claimed_by=self.name, claimed_until=until, next_attempt_at=until,
                        attempts=Followup.attempts + 1)
                .returning(Followup.id, Followup.help_request_id, Followup.call_id, Followup.kind,
                           Followup.channel, Followup.recipient, Followup.attempts, Followup.created_at,
                           Followup.payload, Followup.dedupe_key)
                .execution_options(synchronize_session=False)
            ).all()
        claims = [
            Claim(id=r.id, help_request_id=r.help_request_id, call_id=r.call_id, kind=r.kind, channel=r.channel,
                  recipient=r.recipient, attempts=r.attempts, created_at=r.created_at, payload=r.payload or {},
                  dedupe_key=r.dedupe_key, claimed_until=until, maybe_sent=r.id in expired)
            for r in rows
        ]
        claims.sort(key=lambda c: c.id)
        return claims

    # -- sending and recording ------------------------------------------------------------------
    def _send(self, claim: Claim, message: Message | None) -> Outcome:
        """Send one claimed row (never raises); the outcome is recorded by `_record`."""
        margin = timedelta(seconds=self.settings.delivery_timeout_seconds)
        if self.clock.now() + margin >= claim.claimed_until:
            # Sending now could outlive the lease and race a second dispatcher: give it back unsent.
            log.warning("follow-up #%d: lease nearly over before sending; released", claim.id)
            return Outcome(claim, message, released=True)
        if message is None:
            return Outcome(claim, None, error=PermanentError("its help request no longer exists"))
        if message.obsolete:
            return Outcome(claim, message, cancelled=True)
        channel = self.channels.get(claim.channel)
        try:
            if channel is None:
                raise PermanentError(f"unknown channel {claim.channel!r}")
            if claim.channel == "sms" and not self.settings.twilio_configured:
                raise PermanentError("SMS follow-up but Twilio is not configured (TWILIO_*)")
            return Outcome(claim, message, provider_id=channel.send(message))
        except DeliveryError as exc:
            return Outcome(claim, message, error=exc)
        except Exception as exc:  # a channel bug must not lose the row: retry like a transient error
            log.exception("follow-up #%d: unexpected error from channel %s", claim.id, claim.channel)
            return Outcome(claim, message, error=TransientError(f"{type(exc).__name__}: {exc}"))

    def _values(self, outcome: Outcome, now: datetime) -> tuple[str, dict[str, Any]]:
        claim, error = outcome.claim, outcome.error
        values: dict[str, Any] = {"claimed_by": None, "claimed_until": None}
        if outcome.released:
            values.update(next_attempt_at=now, attempts=Followup.attempts - 1)
            return "released", values
        if outcome.message is not None:
            values["body"] = outcome.message.text
        if outcome.cancelled:
            assert outcome.message is not None
            values.update(status="cancelled", last_error=f"not sent: {outcome.message.obsolete}")
            return "cancelled", values
        if error is None:
            values.update(status="sent", sent_at=now, last_error=None, provider_id=outcome.provider_id)
            return "sent", values
        if error.retryable and claim.attempts < self.settings.outbox_max_attempts:
            delay = self.settings.outbox_backoff_seconds * (2 ** (claim.attempts - 1))
            values.update(status="failed", last_error=str(error), next_attempt_at=now + timedelta(seconds=delay))
            return "failed", values
        values.update(status="dead", last_error=str(error))
        return "dead", values

    def _record(self, outcomes: list[Outcome]) -> None:
        """Write outcomes in one transaction, each only if this dispatcher still holds the row's lease."""
        now = self.clock.now()
        logged: list[tuple[Outcome, str]] = []
        events: list[dict[str, Any]] = []
        with self.db.write() as s:
            for outcome in outcomes:
                claim = outcome.claim
                state, values = self._values(outcome, now)
                result = s.execute(
                    update(Followup)
                    .where(Followup.id == claim.id, Followup.claimed_by == self.name)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    log.warning("follow-up #%d: lease lost before recording %s", claim.id, state)
                    continue
                if state in ("sent", "dead", "cancelled"):
                    events.append({
                        "help_request_id": claim.help_request_id, "entity": "followup", "entity_id": str(claim.id),
                        "action": f"followup_{state}", "actor": "dispatcher", "at": now,
                        "details": {"kind": claim.kind, "channel": claim.channel, "attempts": claim.attempts,
                                    "error": str(outcome.error) if outcome.error else None,
                                    "reason": outcome.message.obsolete if outcome.cancelled and outcome.message
                                    else None},
                    })
                logged.append((outcome, state))
            if events:  # the audit rows of this group, in one statement
                s.execute(insert(Event), events)
        for outcome, state in logged:
            if state == "released":
                continue
            claim = outcome.claim
            log.log(logging.INFO if state in ("sent", "cancelled") else logging.WARNING,
                    "follow-up #%d %s via %s, attempt %d: %s%s", claim.id, claim.kind, claim.channel,
                    claim.attempts, state, f" ({outcome.error})" if outcome.error else "")

    # -- lifecycle -----------------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor | None:
        if self.settings.dispatch_concurrency <= 1:
            return None
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.settings.dispatch_concurrency, thread_name_prefix="dispatch")
            return self._pool

    def close(self) -> None:
        """Stop the send pool and close channel connections."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
        for channel in self.channels.values():
            channel.close()
