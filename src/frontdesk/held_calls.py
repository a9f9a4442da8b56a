"""Lines around a held call, and what the caller's page is told about the hold.

A caller waiting for a person (an offer is pending) or talking to one (a supervisor holds the call)
should see each new line at once, not at their page's next poll: every line written here wakes the
`call_lines` signal, which the caller page's event stream (`web/call_events.py`) listens to (other
processes' lines reach it through its poll of the transcript table). `GET /api/v1/calls/{id}` says
`on_hold` and `held_by`, so the page knows when to open that stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from frontdesk.calls import line_rows, write_lines
from frontdesk.errors import Conflict, NotFound
from frontdesk.models import Call, Transfer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from frontdesk.clock import Clock
    from frontdesk.db import Database
    from frontdesk.signals import Signals

LINES_SIGNAL = "call_lines"


def notify(signals: Signals, call_id: str) -> None:
    """Wake the caller page's event stream of `call_id` (a line was just committed)."""
    signals.publish(LINES_SIGNAL, call_id=call_id)


def say_if_holding(db: Database, clock: Clock, signals: Signals, call_id: str, supervisor_id: int,
                   role: str, text: str) -> None:
    """Append a line to a call `supervisor_id` holds, in one transaction with the check (the call's
    version moves on, so the next turn rebuilds its session); `Conflict` when they do not hold it."""
    with db.write() as s:
        row = s.execute(select(Call.held_by_id, Call.status).where(Call.id == call_id)).first()
        if row is None:
            raise NotFound("no such call")
        if row.status != "live" or row.held_by_id != supervisor_id:
            held = row.status == "live" and row.held_by_id is not None
            raise Conflict("you are not holding this call", status="live" if held else "not_held")
        _insert(s, call_id, role, text, clock)
    notify(signals, call_id)


def line_if_held(db: Database, clock: Clock, signals: Signals, call_id: str, role: str, text: str) -> str | None:
    """While someone holds the live call, append the line and return their name; else None (nothing
    written). The check is a read, so a call nobody holds costs no write."""
    with db.read() as s:
        row = s.execute(select(Call.held_by_id, Call.held_by, Call.status).where(Call.id == call_id)).first()
    if row is None:
        raise NotFound("no such call")
    if row.status != "live" or row.held_by_id is None:
        return None
    with db.write() as s:
        _insert(s, call_id, role, text, clock)
    notify(signals, call_id)
    return str(row.held_by or "")


def _insert(s: Session, call_id: str, role: str, text: str, clock: Clock) -> None:
    # Not said by the call's agent session, so the version moves on (`bump`): the next turn rebuilds it.
    write_lines(s, call_id, line_rows(call_id, [(role, text, clock.now())]), bump=True)


def hold_view(db: Database, call: Call) -> dict[str, Any]:
    """`{on_hold, held_by}` for the caller's page: on hold while an offer to a person is pending or a
    supervisor holds the live call (`held_by` their name). Asks the transfers table only when needed."""
    if call.status != "live":
        return {"on_hold": False, "held_by": None}
    if call.held_by_id is not None:
        return {"on_hold": True, "held_by": call.held_by or ""}
    with db.read() as s:
        offered = s.scalar(select(Transfer.id).where(Transfer.call_id == call.id, Transfer.status == "offered")
                           .limit(1))
    return {"on_hold": offered is not None, "held_by": None}
