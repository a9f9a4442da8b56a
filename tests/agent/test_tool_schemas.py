"""The receptionist's tools with schemas built once (`schema_once`) look to an LLM exactly like typed
`@function_tool`s, validate like them, and refuse bad arguments with a `ToolError`."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest
from livekit.agents import RunContext, ToolError, function_tool, llm
from livekit.agents.llm.tool_context import find_function_tools
from livekit.agents.llm.utils import build_strict_openai_schema

from frontdesk.agent.receptionist import Receptionist
from frontdesk.agent.tool_schemas import schema_once


def test_every_tool_has_the_schema_a_typed_function_tool_would_have() -> None:
    agent = Receptionist.__new__(Receptionist)
    tools = find_function_tools(agent)
    assert {t.info.name for t in tools} >= {"lookup_answer", "confirm_answer", "request_help", "request_transfer",
                                            "set_caller_name", "set_caller_phone"}
    sent = {s["function"]["name"]: s for s in llm.ToolContext(tools).parse_function_tools("openai")}
    for name, member in inspect.getmembers(Receptionist):
        if isinstance(member, llm.RawFunctionTool):
            typed = function_tool(member.typed_method)  # type: ignore[attr-defined]
            assert sent[name] == build_strict_openai_schema(typed.__get__(agent)), name


class _Echo:
    @schema_once
    async def tool(self, ctx: RunContext[Any], question: str, confirmed: bool) -> str:
        """Echo.

        Args:
            question: a question
            confirmed: a flag
        """
        return f"{question}|{confirmed}"


def test_arguments_are_validated_as_a_typed_tool_would_and_bad_ones_are_a_tool_error() -> None:
    bound = _Echo().tool
    assert asyncio.run(bound(raw_arguments={"question": "hi", "confirmed": "true"}, ctx=None)) == "hi|True"
    with pytest.raises(ToolError, match="Error parsing arguments for `tool`"):
        asyncio.run(bound(raw_arguments={"question": 3}, ctx=None))
