"""Read-side queries of the dashboard and the JSON API: lists, counts and the details of requests.

Every list is bounded (a page of rows) and ordered along an index: `(status, expires_at)` for the
queue and `(status, created_at)` for history, so a page renders in milliseconds with 100k rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from frontdesk import priority
from frontdesk.models import (
    OUTCOMES,
    PENDING,
    Call,
    Event,
    Followup,
    HelpRequest,
    HelpRequestCaller,
    KnowledgeEntry,
    TranscriptLine,
)
from frontdesk.text import clean, mask_phone

QUEUE_CAP = 50
PAGE_SIZE = 25
# Counting every matching row of a 100k history costs more than the page itself; past these the pages
# say "10,000+" (a search scans rows, so it stops counting sooner).
COUNT_CAP = 10_000
SEARCH_COUNT_CAP = 1_000
TRANSCRIPT_BEFORE = 4
TRANSCRIPT_AFTER = 2
TRANSCRIPT_WINDOW = timedelta(minutes=30)


@dataclass
class RequestView:
    """A help request with what a supervisor needs to see beside it."""

    request: HelpRequest
    callers_waiting: int = 0
    callers_live: int = 0
    caller: str = "unknown"  # masked phone of the first caller
    caller_name: str = ""
    transcript: list[TranscriptLine] = field(default_factory=list)
    priority: int | None = None  # pending requests only (priority.py)
    priority_reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of a help request in the API."""
        r = self.request
        return {
            "id": r.id,
            "question": r.question,
            "status": r.status,
            "created_at": _iso(r.created_at),
            "expires_at": _iso(r.expires_at),
            "answer": r.answer,
            "answered_by": r.answered_by,
            "outcome": r.outcome,
            "resolved_at": _iso(r.resolved_at),
            "ended_at": _iso(r.ended_at),
            "callers_waiting": self.callers_waiting,
            "callers_on_the_line": self.callers_live,
            "caller": self.caller,
            "urgent": priority.is_urgent(r),
            "priority": self.priority,
            "priority_reasons": self.priority_reasons,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def like_pattern(q: str) -> str:
    """A LIKE pattern matching `q` literally (its % and _ escaped with backslash)."""
    q = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{q}%"


def clean_query(q: str | None) -> str:
    """A search string made safe for SQL parameters (no NUL/control characters) and bounded."""
    return clean(q or "", 200)


def list_requests(
    s: Session, status: str, *, q: str = "", outcome: str = "", page: int = 1, per_page: int = PAGE_SIZE,
    transcript: bool = False, now: datetime | None = None,
) -> tuple[list[RequestView], int]:
    """One page of requests in `status` (priority order for pending, newest first otherwise) and the total."""
    where = [HelpRequest.status == status]
    if status == PENDING and now is not None:
        ranked = priority.ordered_pending(s, now, per_page, (page - 1) * per_page, where[1:])
        by_id = {r.id: r for r in s.scalars(select(HelpRequest).where(HelpRequest.id.in_([i for i, _ in ranked])))}
        rows = [by_id[i] for i, _ in ranked if i in by_id]
        total = capped_count(s, where, SEARCH_COUNT_CAP if q else COUNT_CAP)
        return decorate(s, rows, transcript=transcript, now=now), total
    if outcome and outcome in OUTCOMES:
        where.append(HelpRequest.outcome == outcome)
    if q:
        where.append(HelpRequest.question.ilike(like_pattern(q), escape="\\"))
    order = (
        (HelpRequest.expires_at.asc(), HelpRequest.id.asc())
        if status == PENDING
        else (HelpRequest.created_at.desc(), HelpRequest.id.desc())
    )
    rows = list(s.scalars(select(HelpRequest).where(*where).order_by(*order)
                          .limit(per_page).offset((page - 1) * per_page)))
    total = capped_count(s, where, SEARCH_COUNT_CAP if q else COUNT_CAP)
    return decorate(s, rows, transcript=transcript, now=now), total


def capped_count(s: Session, where: list[Any], cap: int) -> int:
    """How many requests match, counting at most `cap + 1` (a result above `cap` means "more than cap")."""
    sub = select(HelpRequest.id).where(*where).limit(cap + 1).subquery()
    return s.scalar(select(func.count()).select_from(sub)) or 0


def count_pending(s: Session) -> int:
    """How many requests wait for an answer."""
    return s.scalar(select(func.count()).select_from(HelpRequest).where(HelpRequest.status == PENDING)) or 0


def requests_by_id(
    s: Session, ids: list[int], *, status: str | None = None, transcript: bool = False, now: datetime | None = None
) -> list[RequestView]:
    """The given requests (optionally only those in `status`), by deadline (pending ones with their priority)."""
    if not ids:
        return []
    stmt = select(HelpRequest).where(HelpRequest.id.in_(ids[:200]))
    if status:
        stmt = stmt.where(HelpRequest.status == status)
    rows = list(s.scalars(stmt.order_by(HelpRequest.expires_at, HelpRequest.id)))
    return decorate(s, rows, transcript=transcript, now=now)


def decorate(
    s: Session, rows: list[HelpRequest], *, transcript: bool = False, now: datetime | None = None
) -> list[RequestView]:
    """Attach waiter counts, first caller, live state, priority at `now` (pending only) and optionally
    transcript context, in a few queries."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    views = {r.id: RequestView(r) for r in rows}
    counts = s.execute(
        select(HelpRequestCaller.help_request_id, func.count(), func.min(HelpRequestCaller.id))
        .where(HelpRequestCaller.help_request_id.in_(ids))
        .group_by(HelpRequestCaller.help_request_id)
    ).all()
    first_ids = []
    for rid, n, first in counts:
        views[rid].callers_waiting = n
        first_ids.append(first)
    for rid, phone, name in s.execute(
        select(HelpRequestCaller.help_request_id, HelpRequestCaller.caller_phone, HelpRequestCaller.caller_name)
        .where(HelpRequestCaller.id.in_(first_ids))
    ).all():
        views[rid].caller, views[rid].caller_name = mask_phone(phone), name
    for rid, n in s.execute(
        select(HelpRequestCaller.help_request_id, func.count())
        .join(Call, Call.id == HelpRequestCaller.call_id)
        .where(HelpRequestCaller.help_request_id.in_(ids), Call.status == "live")
        .group_by(HelpRequestCaller.help_request_id)
    ).all():
        views[rid].callers_live = n
    if transcript:
        _attach_transcripts(s, list(views.values()))
    if now is not None:
        for v in views.values():
            if v.request.status == PENDING:
                f = priority.factors_of(v.request, v.callers_live, v.callers_waiting, now)
                v.priority, v.priority_reasons = priority.score(f), priority.reasons(f, _urgent_reason(v.request))
    return [views[r.id] for r in rows]


def _urgent_reason(r: HelpRequest) -> str:
    if r.marked_urgent:
        return "marked urgent"
    return ""


def _attach_transcripts(s: Session, views: list[RequestView]) -> None:
    """The lines of each origin call around the moment the question was escalated (one query)."""
    by_call = {v.request.origin_call_id: v for v in views if v.request.origin_call_id}
    if not by_call:
        return
    earliest = min(v.request.created_at for v in by_call.values()) - TRANSCRIPT_WINDOW
    lines = s.scalars(
        select(TranscriptLine)
        .where(TranscriptLine.call_id.in_(list(by_call)), TranscriptLine.at >= earliest)
        .order_by(TranscriptLine.call_id, TranscriptLine.id)
    ).all()
    grouped: dict[str, list[TranscriptLine]] = {}
    for line in lines:
        grouped.setdefault(line.call_id, []).append(line)
    for call_id, call_lines in grouped.items():
        view = by_call[call_id]
        before = [ln for ln in call_lines if ln.at <= view.request.created_at]
        after = [ln for ln in call_lines if ln.at > view.request.created_at]
        view.transcript = before[-TRANSCRIPT_BEFORE:] + after[:TRANSCRIPT_AFTER]


@dataclass
class RequestDetail:
    """Everything the detail page shows about one request."""

    view: RequestView
    waiters: list[dict[str, Any]]
    transcript: list[TranscriptLine]
    events: list[Event]
    followups: list[Followup]
    learned: list[KnowledgeEntry]


def request_detail(s: Session, request_id: int, now: datetime | None = None) -> RequestDetail | None:
    """The request, its callers, transcript, audit trail, follow-ups and learned entries; None if absent."""
    request = s.get(HelpRequest, request_id)
    if request is None:
        return None
    view = decorate(s, [request], now=now)[0]
    waiters = [
        {"name": w.caller_name, "phone": mask_phone(w.caller_phone), "joined_at": w.joined_at,
         "question": w.question, "call_status": status or "unknown", "call_id": w.call_id}
        for w, status in s.execute(
            select(HelpRequestCaller, Call.status)
            .outerjoin(Call, Call.id == HelpRequestCaller.call_id)
            .where(HelpRequestCaller.help_request_id == request_id)
            .order_by(HelpRequestCaller.id)
            .limit(200)
        ).all()
    ]
    transcript: list[TranscriptLine] = []
    if request.origin_call_id:
        transcript = list(s.scalars(
            select(TranscriptLine).where(TranscriptLine.call_id == request.origin_call_id)
            .order_by(TranscriptLine.id).limit(300)
        ))
    events = list(s.scalars(select(Event).where(Event.help_request_id == request_id).order_by(Event.id).limit(500)))
    followups = list(s.scalars(
        select(Followup).where(Followup.help_request_id == request_id).order_by(Followup.id).limit(500)
    ))
    learned = list(s.scalars(select(KnowledgeEntry).where(KnowledgeEntry.source_request_id == request_id)))
    return RequestDetail(view, waiters, transcript, events, followups, learned)


def mask_recipient(channel: str, recipient: str) -> str:
    """Phone numbers masked; webhook URLs cut to their host; call ids shortened."""
    if channel in ("sms", "console") and any(c.isdigit() for c in recipient) and "@" not in recipient:
        return mask_phone(recipient)
    if channel == "webhook":
        return recipient.split("//", 1)[-1].split("/", 1)[0]
    if channel == "in_call":
        return f"call {recipient[:8]}…"
    return recipient[:60]
