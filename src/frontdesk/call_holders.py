"""Who holds a live call: claims, heartbeats, activity and abandoned calls.

Any `serve` process may serve any text call (a round-robin balancer sends each request anywhere).
The database decides who holds it: `calls.holder` changes only by a conditional update from the
holder just read (`WHERE holder = <old> AND version = <old>`), so two processes never both win a
claim, and each change bumps `calls.version`. A process keeps a call's agent session in memory only
as a cache of the stored conversation at one version: when the stored version moved on (another
process served a turn, a supervisor wrote a line), it rebuilds the session from the transcript and
the stored agent state. Voice calls are held by their LiveKit job and never move.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, select, update

from frontdesk import outbox
from frontdesk.errors import Conflict, NotFound
from frontdesk.models import Call, HubAddress, TranscriptLine, table_of

if TYPE_CHECKING:
    from frontdesk.clock import Clock
    from frontdesk.db import Database
    from frontdesk.settings import Settings

LIVE = "live"
#: A caller's poll refreshes `last_active_at` at most this often (a write per poll would be wasted).
TOUCH_SECONDS = 5.0
CLAIM_ATTEMPTS = 8
#: How long a turn may take in the hub before the caller gets a 503 "busy".
TURN_TIMEOUT_SECONDS = 20.0


_CALLS = table_of(Call)
_READ = (select(_CALLS.c.status, _CALLS.c.channel, _CALLS.c.holder, _CALLS.c.version, _CALLS.c.last_active_at)
         .where(_CALLS.c.id == bindparam("cid")))
_HUBS = table_of(HubAddress)
# `_READ` plus what a turn needs to go to the call's holder: its heartbeat and its address.
_LOCATE = (select(_CALLS.c.status, _CALLS.c.channel, _CALLS.c.holder, _CALLS.c.version, _CALLS.c.last_active_at,
                  _CALLS.c.last_seen_at, _HUBS.c.url)
           .select_from(_CALLS.outerjoin(_HUBS, _HUBS.c.holder == _CALLS.c.holder))
           .where(_CALLS.c.id == bindparam("cid")))


def _touch_due(last_active: datetime | None, now: datetime) -> bool:
    return last_active is None or (now - last_active).total_seconds() >= TOUCH_SECONDS


def hub_holder_id() -> str:
    """The holder id of this process's text-call hub: `hub:<hostname>:<pid>`."""
    return f"hub:{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def holder_gone(holder: str | None, last_seen: datetime | None, now: datetime) -> bool:
    """True when nobody serves the call any more: no holder, a stale heartbeat, or a hub whose
    process (on this host) is dead. A kill -9'd holder is seen at once on its own host, within
    `HEARTBEAT_GRACE_SECONDS` from other hosts."""
    if not holder or last_seen is None:
        return True
    if last_seen < now - timedelta(seconds=outbox.HEARTBEAT_GRACE_SECONDS):
        return True
    parts = holder.split(":")
    if len(parts) == 3 and parts[0] == "hub" and parts[1] == socket.gethostname() and parts[2].isdigit():
        pid = int(parts[2])
        return pid != os.getpid() and not _pid_alive(pid)
    return False


@dataclass(frozen=True)
class Claim:
    """A text call this process may serve now, at `version`.

    `rebuild` is True when the caller's session must be built from the stored conversation (this
    process did not hold the call, or the stored version moved on); `call` and `lines` are then
    the call row and its transcript as of the claim.
    """

    version: int
    rebuild: bool
    call: Call | None = None
    lines: list[TranscriptLine] = field(default_factory=list)
    touch: bool = False  # (from `peek`) the caller's activity is due to be recorded with the turn


@dataclass(frozen=True)
class Elsewhere:
    """A text call another live process holds, and the address its turns are forwarded to."""

    holder: str
    url: str


@dataclass(frozen=True)
class HeldState:
    """A held call as its holder's heartbeat found it."""

    id: str
    mine: bool
    version: int
    last_active_at: datetime | None


class CallHolders:
    """The holder half of `CallStore` (needs `db`, `clock`, `settings`)."""

    db: Database
    clock: Clock
    settings: Settings

    def _read(self, call_id: str, query: Any = _READ) -> Any:
        """The claim's view of a call (status, channel, holder, version, last activity); NotFound for an
        unknown call, Conflict when it ended or is a voice call."""
        with self.db.engine.connect() as conn:  # Core: no ORM session for a one-row read
            row = conn.execute(query, {"cid": call_id}).first()
        if row is None:
            raise NotFound("no such call")
        if row.status != LIVE:
            raise Conflict("this call has ended", status=row.status)
        if row.channel != "text":
            raise Conflict("this is a voice call", status=row.status)
        return row

    def peek(self, call_id: str, holder: str, known_version: int | None) -> Claim | None:
        """The claim's fast path, a read only (any thread: the hub calls it from the caller's request
        thread, not its database thread): a `Claim` when `holder` still holds the call at
        `known_version` (its `touch` says whether the turn should record the caller's activity), None
        when `claim` must run. NotFound / Conflict as `claim`."""
        return self._served_here(self._read(call_id), holder, known_version)

    def _served_here(self, row: Any, holder: str, known_version: int | None) -> Claim | None:
        """`peek`'s answer for a row read by `_read`."""
        if known_version is not None and row.holder == holder and row.version == known_version:
            return Claim(row.version, rebuild=False, touch=_touch_due(row.last_active_at, self.clock.now()))
        return None

    def locate(self, call_id: str, holder: str, known_version: int | None) -> Claim | Elsewhere | None:
        """`peek`, and where the call is when another process holds it: `Elsewhere` when that holder is
        alive (heartbeat within the grace, process not dead on this host) and registered an address,
        so the turn can be forwarded to it instead of moving the call; None when `claim` must run."""
        row = self._read(call_id, _LOCATE)
        if row.holder == holder:
            return self._served_here(row, holder, known_version)
        if row.url and not holder_gone(row.holder, row.last_seen_at, self.clock.now()):
            return Elsewhere(row.holder, row.url)
        return None

    def register_hub(self, holder: str, url: str) -> None:
        """Record where `holder`'s hub is reached (replacing an older address of the same holder id)."""
        with self.db.write() as s:
            s.execute(delete(HubAddress).where(HubAddress.holder == holder))
            s.add(HubAddress(holder=holder, url=url, registered_at=self.clock.now()))

    def unregister_hub(self, holder: str) -> None:
        """Forget `holder`'s address (its hub stopped)."""
        with self.db.write() as s:
            s.execute(delete(HubAddress).where(HubAddress.holder == holder))

    def claim(self, call_id: str, holder: str, known_version: int | None) -> Claim:
        """Serve a text call's next request as `holder`, taking it over when another process holds it.

        `known_version` is the version of the session this process has in memory (None: none).
        NotFound for an unknown call; Conflict when it ended or is a voice call.
        """
        for _ in range(CLAIM_ATTEMPTS):
            now = self.clock.now()
            row = self._read(call_id)
            if row.holder == holder and row.version == known_version:
                self._touch_row(call_id, row.last_active_at, now)
                return Claim(row.version, rebuild=False)
            with self.db.write() as s:
                won = s.execute(
                    update(Call)
                    .where(Call.id == call_id, Call.status == LIVE, Call.version == row.version,
                           Call.holder.is_(None) if row.holder is None else Call.holder == row.holder)
                    .values(holder=holder, version=row.version + 1, last_seen_at=now, last_active_at=now)
                    .execution_options(synchronize_session=False)
                ).rowcount == 1  # type: ignore[attr-defined]
                if won:
                    call = s.get_one(Call, call_id)
                    lines = list(s.scalars(
                        select(TranscriptLine).where(TranscriptLine.call_id == call_id).order_by(TranscriptLine.id)))
                    s.expunge_all()
                    return Claim(row.version + 1, rebuild=True, call=call, lines=lines)
            # Another process claimed it between our read and our update: read again.
        raise Conflict("this call is busy; please try again", status=LIVE)

    def _touch_row(self, call_id: str, last_active: datetime | None, now: datetime) -> None:
        if _touch_due(last_active, now):
            with self.db.write() as s:
                s.execute(update(Call).where(Call.id == call_id, Call.status == LIVE)
                          .values(last_active_at=now).execution_options(synchronize_session=False))

    def touch(self, call: Call) -> None:
        """The caller is still there (their page polled the call), whichever process they reached."""
        if call.status == LIVE:
            self._touch_row(call.id, call.last_active_at, self.clock.now())

    def beat(self, call_ids: list[str], holder: str) -> list[HeldState]:
        """Refresh the heartbeat of the live calls `holder` still holds; report each call's state
        (`mine` False: ended or taken over, so the holder drops it from memory)."""
        if not call_ids:
            return []
        now = self.clock.now()
        with self.db.write() as s:
            s.execute(
                update(Call).where(Call.id.in_(call_ids), Call.status == LIVE, Call.holder == holder)
                .values(last_seen_at=now).execution_options(synchronize_session=False)
            )
            rows = s.execute(
                select(Call.id, Call.status, Call.holder, Call.version, Call.last_active_at)
                .where(Call.id.in_(call_ids))
            ).all()
        return [HeldState(r.id, r.status == LIVE and r.holder == holder, r.version, r.last_active_at)
                for r in rows]

    def release(self, call_ids: list[str], holder: str) -> None:
        """Let go of calls (a process stopping): the next request to any process picks them up."""
        if call_ids:
            with self.db.write() as s:
                s.execute(update(Call).where(Call.id.in_(call_ids), Call.holder == holder)
                          .values(holder=None).execution_options(synchronize_session=False))

    def save_state(self, call_id: str, holder: str, version: int, state: dict[str, Any]) -> bool:
        """Store the agent's per-call state, only while `holder` still holds the call at `version`."""
        with self.db.write() as s:
            result = s.execute(
                update(Call).where(Call.id == call_id, Call.holder == holder, Call.version == version)
                .values(state=state).execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def orphaned(self, call: Call) -> bool:
        """True for a live text call whose holder is gone (a poll may then pick it up)."""
        return (call.status == LIVE and call.channel == "text"
                and holder_gone(call.holder, call.last_seen_at, self.clock.now()))

    def abandoned(self) -> list[str]:
        """Live text calls nobody holds and nobody has touched for `CALL_IDLE_TIMEOUT_SECONDS`."""
        idle = self.settings.call_idle_timeout_seconds
        if not idle:
            return []
        now = self.clock.now()
        quiet = now - timedelta(seconds=idle)
        with self.db.read() as s:
            rows = s.execute(
                select(Call.id, Call.holder, Call.last_seen_at, Call.last_active_at, Call.started_at)
                .where(Call.status == LIVE, Call.channel == "text")
            ).all()
        return [r.id for r in rows
                if (r.last_active_at or r.started_at) < quiet and holder_gone(r.holder, r.last_seen_at, now)]
