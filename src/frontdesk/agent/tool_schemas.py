"""`schema_once`: the receptionist's tools with their argument model and LLM schema built once.

A typed `@function_tool` makes LiveKit build a pydantic model of the method's signature (parsing its
docstring, generating its JSON schema) on every call of the tool, and again for every tool on every
request to an OpenAI model: about 1 ms of the hub loop's CPU per tool call on this machine, a tenth
of a turn. `schema_once` builds the model and the strict OpenAI schema once, from the same typed
method and docstring, and hands LiveKit a raw-schema tool (its documented `raw_schema=` form) that
validates with that model. The LLM sees the same schema and the method gets the same validated
arguments as with `@function_tool`; a bad argument is the same `ToolError` for the LLM.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pydantic
from livekit.agents import RunContext, ToolError, function_tool
from livekit.agents.llm import RawFunctionTool
from livekit.agents.llm.utils import build_strict_openai_schema, function_arguments_to_pydantic_model


def schema_once(method: Callable[..., Awaitable[Any]]) -> RawFunctionTool[Any, Any]:
    """`@function_tool` for an agent method `(self, ctx, **typed arguments)`, schema and model built once."""
    typed = function_tool(method)
    bound = typed.__get__(object())  # LiveKit's view of the method: its signature without `self`
    model = function_arguments_to_pydantic_model(bound)
    schema = build_strict_openai_schema(bound)["function"]
    name = typed.info.name
    fields = list(model.model_fields)

    async def tool(self: Any, raw_arguments: dict[str, object], ctx: RunContext[Any]) -> Any:
        try:
            args = model.model_validate(raw_arguments)
        except pydantic.ValidationError as exc:
            raise ToolError(f"Error parsing arguments for `{name}`: {exc}") from None
        return await method(self, ctx, **{f: getattr(args, f) for f in fields})

    tool.__name__, tool.__qualname__, tool.__doc__ = method.__name__, method.__qualname__, method.__doc__
    tool.typed_method = method  # type: ignore[attr-defined]  # what the schema was built from (tests)
    return function_tool(tool, raw_schema=schema)
