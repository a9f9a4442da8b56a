"""What the receptionist knows about one call while it lasts (`ctx.userdata` of its tools)."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frontdesk.agent.profile import ProfileView

if TYPE_CHECKING:
    from frontdesk.services import Services
    from frontdesk.usage import Usage


@dataclass(frozen=True)
class Confirmation:
    """What a read-back is about: the caller's question and the entry that may answer it."""

    question: str
    entry_id: int
    entry_question: str
    answer: str


@dataclass
class CallState:
    """Per-call data the tools read (`ctx.userdata`)."""

    services: Services
    call_id: str
    profile: ProfileView
    caller_phone: str = ""
    caller_name: str = ""
    escalations: dict[str, int] = field(default_factory=dict)  # normalized question -> request id
    turn_help_request_id: int | None = None
    db_executor: Executor | None = None  # where tools run database work (None: a worker thread)
    search_executor: Executor | None = None  # where knowledge searches run (None: a worker thread)
    # The offline brain's verdict on this turn's question, reused by lookup_answer for the same words
    # (saves a second knowledge search per turn).
    found: tuple[str, dict[str, object]] | None = None
    # A borderline match read back to the caller ("are you asking ...?"), waiting for their yes or no.
    confirming: Confirmation | None = None
    # Live handoff: the transfer this call asked for (a voice job watches it).
    transfer_id: int | None = None
    # This turn's look-ups and read-back answers, counted in the transaction that ends the turn (the
    # text-call hub); None: each is counted at once in its own transaction (a voice call).
    usage: list[Usage] | None = None
