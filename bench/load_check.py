"""The invariants `bench/load` checks at the end of a run, read from the database and the fakes.

1. Every escalation ended: no help request is still pending (after waiting out the deadlines).
2. No lost request: every help request id a caller was given exists and lists that caller.
3. No lost answer: a supervisor's accepted (200) answer is the request's answer, and at most one of
   two simultaneous answers was accepted; late answers ended `late_answer`, closes `closed`.
4. Every caller told: each waiter of each ended request has its follow-ups (answer, timeout notice,
   close notice, by outcome) sent, and a sent one reached them: said in the call (a transcript line
   with its text) or texted (the fake Twilio got exactly that text for that number).
5. No follow-up sent twice: no text twice to a number, no in-call notice said twice in a call, one
   row per dedupe key. Webhook repeats of one delivery id are reported (at-least-once across a
   dispatcher crash; a receiver drops ids it has seen).
6. No request pending past its deadline by more than one sweep: each `timeout` event is at most
   SWEEP_INTERVAL_SECONDS (+1 s slack for a busy machine) after the request's deadline, except
   deadlines that fell while the database itself was down (reported apart).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from frontdesk.db import Database
from frontdesk.models import Event, Followup, HelpRequest, HelpRequestCaller, TranscriptLine

EXPECTED = {"answered": ["caller_answer"], "late_answer": ["caller_timeout", "caller_answer"],
            "timeout": ["caller_timeout"], "closed": ["caller_closed"]}
SWEEP_SLACK_SECONDS = 1.0


@dataclass
class Check:
    """Counts and the violations found (a list of sentences, empty when all holds)."""

    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.violations.append(what)


def wait_settled(db: Database, deadline: float) -> tuple[int, int]:
    """Wait until nothing is pending and no follow-up is queued (or the deadline); returns what is left."""
    while True:
        with db.read() as s:
            pending = s.scalar(select(func.count()).where(HelpRequest.status == "pending")) or 0
            queued = s.scalar(select(func.count()).where(Followup.status == "queued")) or 0
        if (pending == 0 and queued == 0) or time.monotonic() > deadline:
            return int(pending), int(queued)
        time.sleep(0.5)


def check(db: Database, world: Any, twilio: Any, webhooks: Any, sweep_seconds: float,
          outages: list[tuple[float, float]] | None = None) -> Check:
    """Run every invariant; `outages` are (start, end) Unix times when the database was down."""
    c = Check()
    with db.read() as s:
        requests = {r.id: r for r in s.scalars(select(HelpRequest))}
        waiters = list(s.scalars(select(HelpRequestCaller)))
        followups = list(s.scalars(select(Followup)))
        lines = s.execute(select(TranscriptLine.call_id, TranscriptLine.text).where(TranscriptLine.role == "agent")).all()
        timeouts = s.execute(select(Event.help_request_id, Event.at).where(Event.action == "timeout")).all()
    by_key = {f.dedupe_key: f for f in followups}
    said: Counter[tuple[str, str]] = Counter((r.call_id, r.text) for r in lines)
    c.counts.update(help_requests=len(requests), waiters=len(waiters), followups=len(followups),
                    outcomes_answered=sum(r.outcome == "answered" for r in requests.values()),
                    outcomes_late=sum(r.outcome == "late_answer" for r in requests.values()),
                    outcomes_timeout=sum(r.outcome == "timeout" for r in requests.values()),
                    outcomes_closed=sum(r.outcome == "closed" for r in requests.values()))
    # 1. every escalation ended
    for r in requests.values():
        if r.status == "pending":
            c.fail(f"request {r.id} still pending (expires {r.expires_at})")
    # 2. no lost request
    waiting = {(w.help_request_id, w.call_id) for w in waiters}
    for call_id, rid in world.escalations.items():
        if rid not in requests:
            c.fail(f"request {rid} told to call {call_id} does not exist")
        elif (rid, call_id) not in waiting:
            c.fail(f"call {call_id} is not a waiter of request {rid}")
    # 3. no lost answer
    for rid, texts in world.answers.items():
        r = requests.get(rid)
        if len(texts) > 1:
            c.fail(f"request {rid}: {len(texts)} answers accepted")
        if r is None or r.status != "resolved" or r.answer not in texts:
            c.fail(f"request {rid}: accepted answer not recorded (status {r.status if r else None})")
        elif rid in world.late_answers and r.outcome != "late_answer":
            c.fail(f"request {rid}: late answer recorded as {r.outcome}")
    for rid in world.closed:
        if requests[rid].outcome != "closed":
            c.fail(f"request {rid}: closed but outcome {requests[rid].outcome}")
    # 4. every caller told, 5. nothing told twice
    channels: Counter[str] = Counter()
    for w in waiters:
        r = requests[w.help_request_id]
        for kind in EXPECTED.get(r.outcome or "", []):
            f = by_key.get(f"{kind}:{r.id}:{w.id}")
            if f is None:
                c.fail(f"request {r.id} waiter {w.id}: no {kind} follow-up")
                continue
            channels[f"{f.channel}:{f.status}"] += 1
            if f.status != "sent":
                c.fail(f"request {r.id} waiter {w.id}: {kind} is {f.status} ({f.last_error})")
            elif f.channel == "in_call" and said[(f.call_id or "", f.body)] == 0:
                c.fail(f"request {r.id} waiter {w.id}: {kind} marked said in call {f.call_id} but not in its transcript")
            elif f.channel == "sms" and twilio.count_to(f.recipient, f.body) == 0:
                c.fail(f"request {r.id} waiter {w.id}: {kind} marked texted but the text never arrived")
    c.counts.update({f"told_{k}": v for k, v in sorted(channels.items())})
    for (to, _body), n in twilio.duplicates().items():
        c.fail(f"a text reached {to[-4:]} {n} times")
    incall_bodies = {f.body for f in followups if f.channel == "in_call" and f.status == "sent"}
    for (call_id, text), n in said.items():
        if n > 1 and text in incall_bodies:
            c.fail(f"call {call_id}: an in-call notice said {n} times")
    if len(by_key) != len(followups):
        c.fail("two follow-up rows share a dedupe key")
    repeats = webhooks.repeats()
    c.counts["webhook_deliveries"] = len(webhooks.received())
    c.counts["webhook_repeats"] = sum(n - 1 for n in repeats.values())
    # an alert whose request ended before it went out is `cancelled`, by design
    unsent = [f for f in followups if f.channel == "webhook" and f.status not in ("sent", "cancelled")]
    if unsent:
        c.fail(f"{len(unsent)} supervisor webhook alert(s) not sent: {Counter(f.status for f in unsent)}")
    # 6. nobody pending past the deadline by more than one sweep
    late: list[float] = []
    for rid, at in timeouts:
        lag = (at - requests[rid].expires_at).total_seconds()
        late.append(lag)
        if lag > sweep_seconds + SWEEP_SLACK_SECONDS:
            if _in_outage(requests[rid].expires_at, at, outages or []):
                c.notes.append(f"request {rid} timed out {lag:.1f} s late: its deadline fell in a database outage")
            else:
                c.fail(f"request {rid} timed out {lag:.1f} s after its deadline (sweep every {sweep_seconds} s)")
    c.counts["timeout_lag_max_ms"] = int(max(late, default=0.0) * 1000)
    c.counts["in_call_told_by_poll"] = len(world.told_in_call)
    return c


def _in_outage(expires: datetime, at: datetime, outages: list[tuple[float, float]]) -> bool:
    lo, hi = _unix(expires), _unix(at)
    return any(start - 1 <= hi and end + 1 >= lo for start, end in outages)


def _unix(naive_utc: datetime) -> float:
    from datetime import UTC

    return naive_utc.replace(tzinfo=UTC).timestamp()

