"""A text call's agent session rebuilt from what the database holds, in any `serve` process.

The transcript gives the conversation (caller lines as the user's, agent lines as the assistant's,
a supervisor's lines as the assistant's with a "(Supervisor)" mark); the call's stored `state`
gives what the tools remember: questions already escalated and a read-back waiting for the caller's
yes or no. A pending read-back is put back into the history as the `lookup_answer` result it came
from, so the brain and `confirm_answer` see exactly what the first process saw.
"""

from __future__ import annotations

import json
import time
from typing import Any

from livekit.agents import llm

from frontdesk.agent.call_state import CallState, Confirmation
from frontdesk.models import TranscriptLine

ROLES = {"caller": "user", "agent": "assistant", "supervisor": "assistant"}
STEP = 0.001  # seconds between rebuilt items: keeps their order, all before anything said next


def dump_state(state: CallState) -> dict[str, Any]:
    """The per-call state worth keeping across processes (JSON)."""
    c = state.confirming
    return {
        "escalations": dict(state.escalations),
        "confirming": None if c is None else {"question": c.question, "entry_id": c.entry_id,
                                              "entry_question": c.entry_question, "answer": c.answer},
    }


def load_state(state: CallState, data: dict[str, Any] | None) -> None:
    """Put stored per-call state back into `state` (tolerates missing or odd fields)."""
    data = data or {}
    escalations = data.get("escalations")
    if isinstance(escalations, dict):
        state.escalations = {str(k): int(v) for k, v in escalations.items() if isinstance(v, int)}
    c = data.get("confirming")
    if isinstance(c, dict):
        try:
            state.confirming = Confirmation(str(c["question"]), int(c["entry_id"]), str(c["entry_question"]),
                                            str(c["answer"]))
        except (KeyError, TypeError, ValueError):
            state.confirming = None


def history(lines: list[TranscriptLine], state: CallState) -> list[llm.ChatItem]:
    """Chat items for a rebuilt session, oldest first, stamped just before now."""
    items: list[llm.ChatItem] = []
    for line in lines:
        role = ROLES.get(line.role)
        if role is None:
            continue
        text = f"(Supervisor) {line.text}" if line.role == "supervisor" else line.text
        items.append(llm.ChatMessage(role=role, content=[text]))  # type: ignore[arg-type]
    if state.confirming is not None:
        _restore_read_back(items, state.confirming)
    start = time.time() - STEP * (len(items) + 1)
    for i, item in enumerate(items):
        item.created_at = start + STEP * i
    return items


def _restore_read_back(items: list[llm.ChatItem], pending: Confirmation) -> None:
    """Insert the `lookup_answer` call and result that produced the read-back, just before the
    agent's last line (the read-back itself)."""
    at = max((i for i, item in enumerate(items) if getattr(item, "role", None) == "assistant"), default=len(items))
    call_id = "restored_read_back"
    output: dict[str, Any] = {"answerable": False, "answer": None, "source": None, "reason": "read back to the caller",
              "matches": [], "confirm_question": pending.entry_question}
    items[at:at] = [
        llm.FunctionCall(call_id=call_id, name="lookup_answer", arguments=json.dumps({"question": pending.question})),
        llm.FunctionCallOutput(call_id=call_id, name="lookup_answer", output=json.dumps(output), is_error=False),
    ]
