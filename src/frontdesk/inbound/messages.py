"""The short texts sent back to a supervisor who replied by SMS or email (kept under one SMS segment
where possible)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.models import Event, HelpRequestCaller, Supervisor

HOW_TO = "Reply with your answer, or 'skip'."


def alert_suffix(request_id: int) -> str:
    """How to answer, appended to SMS and email alerts: the request's tag and the reply commands."""
    # Plain GSM-7 characters only: one non-GSM character makes the whole SMS UCS-2 (70 characters a segment).
    return f"Q{request_id}: {HOW_TO} If several are open, start with Q{request_id}."


def waiter_names(s: Session, request_id: int) -> list[str]:
    """First names of the callers waiting on a request ('' for callers who gave none)."""
    names = s.scalars(select(HelpRequestCaller.caller_name).where(HelpRequestCaller.help_request_id == request_id)
                      .order_by(HelpRequestCaller.id))
    return [(n or "").strip().split(" ")[0][:40] for n in names]


def _who(names: list[str]) -> str:
    named = [n for n in names if n]
    if len(names) <= 1:
        return named[0] if named else "your caller"
    others = len(names) - 1
    first = named[0] if named else "a caller"
    return f"{first} and {others} other caller{'s' if others > 1 else ''}"


def answered(request_id: int, names: list[str]) -> str:
    """After an answer: who has been (or is being) told."""
    who = _who(names)
    verb = "have" if len(names) > 1 else "has"
    return f"Thanks, {who} {verb} been told (Q{request_id})."


def late(request_id: int, names: list[str]) -> str:
    """After an answer to a request that had timed out."""
    return f"Thanks. Q{request_id} had timed out; {_who(names)} will get your answer by text."


def closed_now(request_id: int) -> str:
    """After a `close` reply."""
    return f"Closed Q{request_id}; the caller has been told we couldn't answer this time."


def skipped(request_id: int) -> str:
    """After a `skip` reply."""
    return f"OK, skipped Q{request_id}. Others can still answer it."


def empty(request_id: int | None) -> str:
    """A reply with no answer text."""
    tag = f"Q{request_id}" if request_id else "Q12"
    return f"Your reply had no answer in it. Reply '{tag} your answer', '{tag} skip' or '{tag} close'."


def not_found(request_id: int) -> str:
    """`Q<id>` names no request."""
    return f"There's no question Q{request_id}. Check the number in the alert."


def nothing_open() -> str:
    """No request was alerted to this sender that could still be answered."""
    return "There's no open question waiting for you right now. Thanks!"


def ambiguous(open_requests: list[tuple[int, str]]) -> str:
    """Several pending requests were alerted to this sender: ask which."""
    first = open_requests[0][0]
    listed = "; ".join(f"Q{rid} {' '.join(q.split())[:40]}" for rid, q in open_requests[:3])
    more = f" (+{len(open_requests) - 3} more)" if len(open_requests) > 3 else ""
    return (f"I couldn't tell which question you're answering: reply 'Q{first} your answer'. "
            f"Open: {listed}{more}")


def conflict(request_id: int, status: str, outcome: str | None, who: str, answer: str | None, closer: str,
             action: str) -> str:
    """The 409 of the SMS world: the request can't take this reply any more; nothing was changed."""
    if status == "resolved":
        quoted = " ".join((answer or "").split())[:80]
        return f"That request was already answered by {who or 'someone'} (Q{request_id}): \"{quoted}\""
    if outcome == "closed":
        return f"Q{request_id} was already closed by {closer or 'someone'}; your reply changed nothing."
    if status == "unresolved":
        return f"Q{request_id} had timed out, so it can't be {'skipped' if action == 'skip' else 'closed'} now."
    return f"Q{request_id} can't take that reply now; nothing was changed."


def display_name(s: Session, actor: str) -> str:
    """A supervisor's name for an `answered_by` / actor email ("Ben"), else the actor as recorded."""
    if not actor:
        return ""
    name = s.scalar(select(Supervisor.name).where(Supervisor.email == actor))
    name = (name or "").strip()
    if not name:
        return actor
    return name[:1].upper() + name[1:] if name.islower() else name


def closer(s: Session, request_id: int) -> str:
    """Who closed a request by hand (from its audit trail)."""
    actor = s.scalar(select(Event.actor).where(Event.help_request_id == request_id, Event.action == "closed")
                     .order_by(Event.id.desc()).limit(1))
    return display_name(s, actor or "")
