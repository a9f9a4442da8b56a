"""Helpers of the receptionist tests: call state, text sessions, a scripted LLM, polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

from livekit.agents import AgentSession, llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from frontdesk.agent.call_state import CallState
from frontdesk.agent.profile import load_profile
from frontdesk.services import Services


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run one async test body (no plugin needed)."""
    return asyncio.run(coro)


def new_state(svc: Services, phone: str = "+15550001111", name: str = "Dana") -> CallState:
    """A live text call row and the agent's state for it."""
    call = svc.calls.start(channel="text", holder="test", caller_phone=phone, caller_name=name)
    return CallState(services=svc, call_id=call.id, profile=load_profile(svc.db), caller_phone=call.caller_phone,
                     caller_name=call.caller_name)


def text_session(model: llm.LLM, state: CallState) -> AgentSession[CallState]:
    """A room-less (pure text) session, as the hub and the tests use."""
    return AgentSession(llm=model, vad=None, turn_handling={"turn_detection": None}, userdata=state,
                        user_away_timeout=None)


Step = tuple[str, Any]


class ScriptedLLM(llm.LLM):
    """An LLM that plays a script: ("tool", (name, args)) emits a function call, ("text", s) says s.

    It stands in for a real model that decides to call tools, so the tools and the session's
    tool loop are exercised exactly as with OpenAI.
    """

    def __init__(self, steps: list[Step]) -> None:
        super().__init__()
        self.steps = list(steps)
        self.seen: list[llm.ChatContext] = []

    def chat(self, *, chat_ctx: llm.ChatContext, tools: Any = None,
             conn_options: Any = DEFAULT_API_CONNECT_OPTIONS, **_: Any) -> llm.LLMStream:
        self.seen.append(chat_ctx.copy())
        step = self.steps.pop(0) if self.steps else ("text", "(script over)")
        return _ScriptStream(self, step, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _ScriptStream(llm.LLMStream):
    def __init__(self, owner: ScriptedLLM, step: Step, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._step = step

    async def _run(self) -> None:
        kind, value = self._step
        delta = llm.ChoiceDelta(role="assistant")
        if kind == "tool":
            name, args = value
            delta.tool_calls = [llm.FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"c{id(self)}")]
        elif kind == "tools":  # several calls in one step (a model's parallel tool calls)
            delta.tool_calls = [llm.FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"c{id(self)}_{i}")
                                for i, (name, args) in enumerate(value)]
        else:
            delta.content = value
        self._event_ch.send_nowait(llm.ChatChunk(id=str(id(self)), delta=delta))


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `check` (real time: used only for cross-thread delivery, never for timeouts)."""
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


def settings_for(url: str, **overrides: Any) -> Any:
    """Test settings: the root conftest's `make_settings` (no external services, no rate limit)."""
    from tests.conftest import make_settings

    return make_settings(url, **overrides)
