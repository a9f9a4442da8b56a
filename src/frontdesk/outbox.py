"""Writing follow-ups into the outbox, always inside the transaction of the state change.

Rows are sent later by the dispatcher (`notifications`), or, for `in_call` rows, by whoever holds
the live call. Bodies are rendered at send time from the request, so one code path renders them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    DateTime,
    Insert,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from frontdesk.alert_routing import alert_routes, shared_routes
from frontdesk.models import Call, Followup, HelpRequest, HelpRequestCaller, table_of
from frontdesk.settings import Settings

SUPERVISOR_ALERT = "supervisor_alert"
SUPERVISOR_REMINDER = "supervisor_reminder"
CALLER_ANSWER = "caller_answer"
CALLER_TIMEOUT = "caller_timeout"
CALLER_CLOSED = "caller_closed"
CALLER_KINDS = (CALLER_ANSWER, CALLER_TIMEOUT, CALLER_CLOSED)

IN_CALL = "in_call"
# A live call whose holder has not beaten for this long is treated as gone.
HEARTBEAT_GRACE_SECONDS = 10
CHUNK = 5000
_INSERT_FOLLOWUP = insert(table_of(Followup))


def caller_text_channel(settings: Settings) -> str:
    """Where texts to callers go: Twilio SMS when configured, else the console log."""
    return "sms" if settings.twilio_configured else "console"


def supervisor_channels(settings: Settings) -> list[tuple[str, str]]:
    """(channel, recipient) pairs of every configured shared channel (the log always)."""
    return [("console", "log")] + [(r.channel, r.recipient) for r in shared_routes(settings)]


def enqueue_supervisor_alerts(
    session: Session, request_id: int, settings: Settings, now: datetime, kind: str = SUPERVISOR_ALERT
) -> None:
    """One alert row per recipient of a new (or still pending) request, routed by availability
    (`alert_routing.py`: online supervisors' own channels first, everyone when nobody is online)."""
    rows: list[dict[str, Any]] = [
        {
            "help_request_id": request_id,
            "kind": kind,
            "channel": route.channel,
            "recipient": route.recipient,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "payload": {},
            "body": "",
            "dedupe_key": f"{kind}:{request_id}:{route.key}",
        }
        for route in alert_routes(session, settings, now, kind)
    ]
    session.execute(_INSERT_FOLLOWUP, rows)


def ids_filter(column: ColumnElement[int], postgres: bool) -> ColumnElement[bool]:
    """`column IN :ids`: one array parameter on PostgreSQL, an expanding list elsewhere.

    Thousands of placeholders cost psycopg seconds to parse; one array costs nothing.
    """
    if postgres:
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return column.in_(bindparam("ids", expanding=True))


def id_chunks(ids: list[int], postgres: bool) -> list[list[int]]:
    """The id lists to bind: all at once on PostgreSQL, SQLite-sized chunks elsewhere."""
    if postgres:
        return [ids] if ids else []
    return [ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)]


def _build_caller_followup_insert(postgres: bool, due: bool = False) -> Insert:
    """INSERT ... SELECT one follow-up per waiter of the requests in `:ids` (or, with `due`, of every
    pending request expired at `:now`); built once, bound per use."""
    calls, waiters, requests = table_of(Call), table_of(HelpRequestCaller), table_of(HelpRequest)
    live = and_(calls.c.status == "live", calls.c.last_seen_at >= bindparam("fresh"))
    dedupe = bindparam("kind", type_=String) + literal(":") + cast(waiters.c.help_request_id, String) + literal(
        ":"
    ) + cast(waiters.c.id, String)
    query = (
        select(
            waiters.c.help_request_id,
            waiters.c.call_id,
            bindparam("kind", type_=String),
            case((live, literal(IN_CALL)), else_=bindparam("text_channel", type_=String)),
            case((live, calls.c.id), else_=waiters.c.caller_phone),
            literal("queued"),
            literal(0),
            bindparam("now", type_=DateTime),
            bindparam("now", type_=DateTime),
            literal(""),
            literal({}, type_=JSON),
            dedupe,
        )
        .select_from(waiters)
        .outerjoin(calls, calls.c.id == waiters.c.call_id)
    )
    if due:
        query = query.join(requests, requests.c.id == waiters.c.help_request_id).where(
            requests.c.status == "pending", requests.c.expires_at <= bindparam("now", type_=DateTime)
        )
    else:
        query = query.where(ids_filter(waiters.c.help_request_id, postgres))
    columns = ["help_request_id", "call_id", "kind", "channel", "recipient", "status", "attempts",
               "next_attempt_at", "created_at", "body", "payload", "dedupe_key"]
    return insert(table_of(Followup)).from_select(columns, query)


_INSERT_CALLER_FOLLOWUPS = {pg: _build_caller_followup_insert(pg) for pg in (False, True)}
_INSERT_DUE_TIMEOUT_FOLLOWUPS = _build_caller_followup_insert(False, due=True)


def enqueue_caller_followups(
    session: Session, request_ids: list[int], kind: str, settings: Settings, now: datetime
) -> None:
    """One follow-up per waiting caller of each request, set-based so a sweep of 100k rows stays fast.

    The channel is `in_call` when the caller's call is live with a fresh heartbeat, else the text
    channel (to the caller's phone). The dedupe key `kind:request:waiter` makes a repeat impossible.
    """
    params = {
        "kind": kind,
        "text_channel": caller_text_channel(settings),
        "fresh": now - timedelta(seconds=HEARTBEAT_GRACE_SECONDS),
        "now": now,
    }
    postgres = session.get_bind().dialect.name == "postgresql"
    for chunk in id_chunks(request_ids, postgres):
        session.execute(_INSERT_CALLER_FOLLOWUPS[postgres], {**params, "ids": chunk})


def enqueue_due_timeout_followups(session: Session, settings: Settings, now: datetime) -> None:
    """Timeout follow-ups for every pending request expired at `now`, before they are marked.

    Only for a writer that holds the database's write lock (SQLite's BEGIN IMMEDIATE): no id list.
    """
    session.execute(
        _INSERT_DUE_TIMEOUT_FOLLOWUPS,
        {"kind": CALLER_TIMEOUT, "text_channel": caller_text_channel(settings),
         "fresh": now - timedelta(seconds=HEARTBEAT_GRACE_SECONDS), "now": now},
    )


def render(
    kind: str,
    request: HelpRequest,
    business_name: str,
    settings: Settings,
    caller: str = "",
    caller_name: str = "",
) -> str:
    """The text of a follow-up, from the settings' templates.

    `caller` is the (masked) caller shown to supervisors; `caller_name` greets the caller. Templates
    may use `{business}`, `{question}`, `{answer}`, `{name}`, and for alerts `{caller}` and `{link}`.
    """
    question = request.question[:300]
    name = (caller_name or "").strip()[:60] or "there"
    if kind in (SUPERVISOR_ALERT, SUPERVISOR_REMINDER):
        link = request_url(settings, request.id)
        text = settings.msg_supervisor_alert.format(question=question, caller=caller or "unknown", link=link)
        return ("Reminder: " + text) if kind == SUPERVISOR_REMINDER else text
    values = {"business": business_name, "question": question, "answer": request.answer or "", "name": name}
    if kind == CALLER_ANSWER:
        return settings.msg_answer_sms.format(**values)
    if kind == CALLER_CLOSED:
        return settings.msg_closed.format(**values)
    return settings.msg_timeout.format(**values)


def request_url(settings: Settings, request_id: int) -> str:
    """The dashboard page of one help request (sent in alerts)."""
    return f"{settings.public_base_url.rstrip('/')}/requests/{request_id}"
