"""Building a text call's agent session in the hub: fresh for a new call, or rebuilt from the database
for a call this process takes over (another process served it last, or its stored version moved on)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from livekit.agents import AgentSession, llm

from frontdesk.agent import rebuild
from frontdesk.agent.answering import find_answer
from frontdesk.agent.brain import Checker, OfflineBrain
from frontdesk.agent.call_state import CallState
from frontdesk.agent.hub_loops import LiveCall
from frontdesk.agent.profile import ProfileView, load_profile
from frontdesk.agent.receptionist import Receptionist
from frontdesk.agent.session import TranscriptRecorder, make_llm, run_db
from frontdesk.models import Call, TranscriptLine

if TYPE_CHECKING:
    from frontdesk.services import Services

log = logging.getLogger(__name__)


class SessionFactory:
    """Makes `LiveCall`s on the hub's loop, with the hub's database and search threads."""

    def __init__(self, services: Services, db: Executor, search: Executor,
                 brain_factory: Callable[[], llm.LLM] | None, now: Callable[[], float]) -> None:
        self.services, self._db, self._search = services, db, search
        self._brain_factory, self._now = brain_factory, now

    async def build(self, call: Call, lines: list[TranscriptLine], version: int,
                    lock: asyncio.Lock, profile: ProfileView | None = None) -> LiveCall:
        """A session for `call`: its stored transcript and agent state put back (empty for a new call).
        `profile`: the business profile when the caller just read it (else read here)."""
        svc = self.services
        if profile is None:
            profile = await run_db(self._db, load_profile, svc.db)
        state = CallState(services=svc, call_id=call.id, profile=profile, caller_phone=call.caller_phone,
                          caller_name=call.caller_name, db_executor=self._db, search_executor=self._search,
                          usage=[])
        rebuild.load_state(state, call.state)
        # One LLM object per call: sessions subscribe to their LLM's metrics events, so a shared
        # instance would make every turn notify every live call (quadratic with the number of calls).
        model = self._brain_factory() if self._brain_factory else make_llm(svc.settings)
        if isinstance(model, OfflineBrain):
            model.checker = self._checker(state)
        session: AgentSession[CallState] = AgentSession(
            llm=model, vad=None, turn_handling={"turn_detection": None}, userdata=state,
            user_away_timeout=None,
        )
        items = rebuild.history(lines, state)
        recorder = TranscriptRecorder(session, svc.calls, call.id, self._db)
        chat_ctx = llm.ChatContext([item.model_copy() for item in items]) if items else None
        await session.start(Receptionist(state, chat_ctx=chat_ctx))
        if items:
            # The session's own history too: confirm_answer reads it to see that the caller replied.
            session.history.insert(items)
        return LiveCall(session, state, recorder, lock=lock, last_active=self._now(), version=version,
                        saved=rebuild.dump_state(state))

    def _checker(self, state: CallState) -> Checker:
        async def answerable(question: str) -> bool:
            # A match worth reading back to the caller also goes through lookup_answer.
            found = await run_db(self._search, find_answer, state, question, True)
            return bool(found["answerable"] or found["confirm"])

        return answerable
