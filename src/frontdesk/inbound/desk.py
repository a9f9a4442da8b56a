"""Turning a supervisor's SMS or email reply into an answer, a skip or a close.

The answer goes through `HelpDesk.answer` (and a close through `HelpDesk.close`): the same call the
dashboard and the API make, so events, learning, the 409 rules and the follow-ups to every waiting
caller (in-call or by text) are identical. The reply's provider id (Twilio's MessageSid, an email's
Message-ID) is stored in that same transaction under a unique key: a retried delivery never acts twice
and gets the same reply back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from frontdesk import outbox
from frontdesk.audit import record_event
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.inbound import messages as say
from frontdesk.inbound.parse import ANSWER, CLOSE, SKIP, Command, normalize_phone
from frontdesk.models import Followup, HelpRequest, InboundReply, Supervisor, table_of
from frontdesk.services import Services
from frontdesk.text import mask_phone

log = logging.getLogger(__name__)

SMS, EMAIL = "sms", "email"
ALERT_KINDS = (outbox.SUPERVISOR_ALERT, outbox.SUPERVISOR_REMINDER)
# An alert row counts as "sent to that number" once it left or is leaving (not cancelled or dead).
DELIVERED = ("sent", "queued")
_INSERT = insert(table_of(InboundReply))


@dataclass(frozen=True)
class Sender:
    """A known supervisor (or the shared SUPERVISOR_PHONE / SUPERVISOR_EMAIL) a reply came from."""

    key: str  # normalised phone or lower-case email, as stored in inbound_replies.sender
    by: str  # recorded as `answered_by` and the events' actor
    supervisor_id: int | None
    recipients: tuple[str, ...]  # how alerts to this sender were addressed


@dataclass(frozen=True)
class Outcome:
    """What a reply did (`answered`, `late_answered`, `skipped`, `closed`, `ambiguous`, `conflict`,
    `not_found`, `nothing_open`, `empty`, `duplicate`) and the text to send back."""

    action: str
    reply: str
    request_id: int | None = None


class ReplyDesk:
    """Applies replies from supervisors' phones and mailboxes."""

    def __init__(self, services: Services) -> None:
        self.svc = services

    # -- who sent it ---------------------------------------------------------------------------
    def sender_by_phone(self, phone: str) -> Sender | None:
        """The active supervisor with this number, or the shared SUPERVISOR_PHONE; None for strangers."""
        key = normalize_phone(phone)
        if len(key.lstrip("+")) < 7:
            return None
        with self.svc.db.read() as s:
            rows = s.execute(
                select(Supervisor.id, Supervisor.email, Supervisor.phone)
                .where(Supervisor.is_active.is_(True), Supervisor.phone != "")
                .order_by(Supervisor.id)
            ).all()
        for row in rows:
            if normalize_phone(row.phone) == key:
                return Sender(key, row.email, row.id, tuple({phone, row.phone, key}))
        shared = self.svc.settings.supervisor_phone
        if shared and normalize_phone(shared) == key:
            return Sender(key, f"SMS {mask_phone(key)}", None, tuple({phone, shared, key}))
        return None

    def sender_by_email(self, address: str) -> Sender | None:
        """The active supervisor with this email, or the shared SUPERVISOR_EMAIL; None otherwise."""
        key = (address or "").strip().lower()
        if "@" not in key:
            return None
        with self.svc.db.read() as s:
            sup = s.execute(
                select(Supervisor.id, Supervisor.email).where(Supervisor.email == key, Supervisor.is_active.is_(True))
            ).first()
        if sup is not None:
            return Sender(key, sup.email, sup.id, (key,))
        shared = (self.svc.settings.supervisor_email or "").strip().lower()
        if shared and shared == key:
            return Sender(key, key, None, (key, self.svc.settings.supervisor_email))
        return None

    # -- what it does --------------------------------------------------------------------------
    def handle(self, channel: str, provider_id: str, sender: Sender, command: Command) -> Outcome:
        """Apply one reply exactly once per `provider_id`; returns what happened and what to reply."""
        seen = self._stored(channel, provider_id)
        if seen is not None:
            return seen
        rid = command.request_id
        if rid is None:
            picked = self._pick(channel, sender)
            if isinstance(picked, Outcome):
                return self._record(channel, provider_id, sender, picked)
            rid = picked
        if command.action == ANSWER and not command.text:
            return self._record(channel, provider_id, sender, Outcome("empty", say.empty(rid), rid))
        if command.action == SKIP:
            return self._skip(channel, provider_id, sender, rid)
        return self._change(channel, provider_id, sender, rid, command)

    def _change(self, channel: str, provider_id: str, sender: Sender, rid: int, command: Command) -> Outcome:
        """Answer or close through the lifecycle, the reply stored in the same transaction."""
        holder: list[Outcome] = []

        def store(s: Session) -> None:
            outcome = self._after_change(s, rid, command.action)
            holder.append(outcome)
            self._insert(s, channel, provider_id, sender, outcome)

        try:
            if command.action == CLOSE:
                self.svc.desk.close(rid, by=sender.by, reason=f"closed by {channel} reply", within=store)
            else:
                self.svc.desk.answer(rid, command.text, by=sender.by, add_to_kb=True, within=store)
        except IntegrityError:  # the same message id won a race in another thread or process
            return self._stored(channel, provider_id) or Outcome("duplicate", "")
        except NotFound:
            return self._record(channel, provider_id, sender, Outcome("not_found", say.not_found(rid), rid))
        except Conflict:
            return self._record(channel, provider_id, sender, self._conflict(rid, command.action))
        except InvalidInput as exc:
            return self._record(channel, provider_id, sender, Outcome("empty", f"{exc} (Q{rid}).", rid))
        log.info("%s reply: request %s %s by %s", channel, rid, holder[0].action, sender.by)
        return holder[0]

    def _after_change(self, s: Session, rid: int, action: str) -> Outcome:
        request = s.get(HelpRequest, rid)
        assert request is not None
        if action == CLOSE:
            return Outcome("closed", say.closed_now(rid), rid)
        waiters = say.waiter_names(s, rid)
        if request.outcome == "late_answer":
            return Outcome("late_answered", say.late(rid, waiters), rid)
        return Outcome("answered", say.answered(rid, waiters), rid)

    def _skip(self, channel: str, provider_id: str, sender: Sender, rid: int) -> Outcome:
        with self.svc.db.read() as s:
            status = s.scalar(select(HelpRequest.status).where(HelpRequest.id == rid))
        if status is None:
            return self._record(channel, provider_id, sender, Outcome("not_found", say.not_found(rid), rid))
        if status != "pending":
            return self._record(channel, provider_id, sender, self._conflict(rid, SKIP))
        outcome = Outcome("skipped", say.skipped(rid), rid)
        now = self.svc.clock.now()
        try:
            with self.svc.db.write() as s:
                self._insert(s, channel, provider_id, sender, outcome)
                record_event(s, now, entity="help_request", entity_id=rid, help_request_id=rid, action="skipped",
                             actor=sender.by, channel=channel)
        except IntegrityError:
            return self._stored(channel, provider_id) or Outcome("duplicate", "")
        return outcome

    def _conflict(self, rid: int, action: str) -> Outcome:
        with self.svc.db.read() as s:
            row = s.execute(select(HelpRequest.status, HelpRequest.outcome, HelpRequest.answered_by, HelpRequest.answer)
                            .where(HelpRequest.id == rid)).first()
            if row is None:
                return Outcome("not_found", say.not_found(rid), rid)
            who = say.display_name(s, row.answered_by or "")
            closer = say.closer(s, rid) if row.outcome == "closed" else ""
        return Outcome("conflict", say.conflict(rid, row.status, row.outcome, who, row.answer, closer, action), rid)

    # -- which request -------------------------------------------------------------------------
    def _pick(self, channel: str, sender: Sender) -> int | Outcome:
        """The request a reply without `Q<id>` is about: the one pending request alerted to this sender;
        several pending → ask for `Q<id>`; none → the latest timed-out one (a late answer still reaches
        the caller); else say why nothing can be answered."""
        skipped = select(InboundReply.help_request_id).where(
            InboundReply.sender == sender.key, InboundReply.action == "skipped",
            InboundReply.help_request_id.is_not(None))
        last = func.max(Followup.id).label("last")
        query = (
            select(Followup.help_request_id, last)
            .where(Followup.channel == channel, Followup.kind.in_(ALERT_KINDS),
                   Followup.recipient.in_(sender.recipients), Followup.status.in_(DELIVERED),
                   Followup.help_request_id.not_in(skipped))
            .group_by(Followup.help_request_id)
            .order_by(last.desc())
            .limit(50)
        )
        with self.svc.db.read() as s:
            alerted = [r.help_request_id for r in s.execute(query)]
            if not alerted:
                return Outcome("nothing_open", say.nothing_open())
            requests = {r.id: r for r in s.execute(
                select(HelpRequest.id, HelpRequest.status, HelpRequest.outcome, HelpRequest.question)
                .where(HelpRequest.id.in_(alerted)))}
            ordered = [requests[i] for i in alerted if i in requests]
            pending = [r for r in ordered if r.status == "pending"]
            if len(pending) == 1:
                return int(pending[0].id)
            if len(pending) > 1:
                return Outcome("ambiguous", say.ambiguous([(r.id, r.question) for r in pending]))
            late = [r for r in ordered if r.status == "unresolved" and r.outcome == "timeout"]
            if late:
                return int(late[0].id)
        if ordered:
            return self._conflict(int(ordered[0].id), ANSWER)
        return Outcome("nothing_open", say.nothing_open())

    # -- the inbound_replies table -------------------------------------------------------------
    def _stored(self, channel: str, provider_id: str) -> Outcome | None:
        with self.svc.db.read() as s:
            row = s.execute(select(InboundReply.reply, InboundReply.help_request_id).where(
                InboundReply.channel == channel, InboundReply.provider_id == provider_id)).first()
        return None if row is None else Outcome("duplicate", row.reply, row.help_request_id)

    def _insert(self, s: Session, channel: str, provider_id: str, sender: Sender, outcome: Outcome) -> None:
        s.execute(_INSERT, {"channel": channel, "provider_id": provider_id, "sender": sender.key,
                            "supervisor_id": sender.supervisor_id, "help_request_id": outcome.request_id,
                            "action": outcome.action, "reply": outcome.reply, "received_at": self._now()})

    def _record(self, channel: str, provider_id: str, sender: Sender, outcome: Outcome) -> Outcome:
        """Store a reply that changed nothing, so a retry gets the same answer."""
        try:
            with self.svc.db.write() as s:
                self._insert(s, channel, provider_id, sender, outcome)
        except IntegrityError:
            return self._stored(channel, provider_id) or outcome
        return outcome

    def _now(self) -> datetime:
        return self.svc.clock.now()
