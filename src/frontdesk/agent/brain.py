"""The offline brain: a deterministic `llm.LLM` that answers only from what the tools return.

It plays the role of the LLM when no OPENAI_API_KEY is set (and in tests). With a `checker` (the
hub gives it one that asks the knowledge module), it decides up front: a question the knowledge base
or profile can answer goes through `lookup_answer` and its result is spoken verbatim; any other goes
straight to `request_help`. Without a checker, every question goes through `lookup_answer` first.
It never composes an answer of its own, so it cannot invent one.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

from frontdesk.caller_intents import wants_person
from frontdesk.text import clean

_WORDS = re.compile(r"[a-z']+")
_GREETING = frozenset(["hi", "hello", "hey", "hiya", "howdy", "good", "morning", "afternoon", "evening", "there", "yo"])
_THANKS = frozenset(["thanks", "thank", "you", "so", "much", "very", "great", "ok", "okay", "cool", "perfect", "awesome"])
_BYE = frozenset(["bye", "goodbye", "good", "that's", "thats", "all", "it", "for", "now", "see", "ya", "later", "cheers", "have", "a", "nice", "day"])
_HUMAN = re.compile(
    r"\b(speak|talk|transfer|connect)\b.*\b(person|human|someone|somebody|manager|owner|staff|agent|real)\b"
    r"|\b(real|live) (person|human)\b|\bhuman being\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b(?:my name is|this is|i am|i'm)\s+([A-Za-z][A-Za-z' -]{0,60})$", re.IGNORECASE)
_PHONE = re.compile(r"(\+?\d[\d ().-]{5,18}\d)")
_PHONE_CUE = re.compile(r"\b(number|phone|reach me|text me|call me|cell)\b", re.IGNORECASE)

DIDNT_CATCH = "Sorry, I didn't catch that. What can I help you with?"
HELLO = "Hi! How can I help you today?"
WELCOME = "You're welcome! Is there anything else I can help you with?"
GOODBYE = "Thanks for calling. Have a great day!"
NO_TRANSFER = ("I'm the virtual receptionist and I can't transfer calls, but I can pass any question to my "
               "supervisor and get back to you. What would you like to ask?")
TOOL_FAILED = "Sorry, I couldn't do that just now. Could you say that again?"
READ_BACK = "Just to be sure I've got it right, is your question: {question}"
_YES = frozenset(["yes", "yeah", "yep", "yup", "yea", "correct", "right", "exactly", "sure", "absolutely",
                  "definitely", "mhm", "uh", "huh", "affirmative"])
# Words a plain yes may carry ("yes, that's exactly what I meant, thanks"); anything else is a new question.
_YES_FILLER = frozenset(["that's", "thats", "that", "it", "is", "it's", "what", "i", "meant", "mean", "asking",
                         "the", "one", "please", "thanks", "thank", "you", "oh", "um", "ok", "okay", "so", "was"])
_NO = frozenset(["no", "nope", "nah", "not", "wrong", "incorrect", "isn't", "wasn't", "negative"])


@dataclass
class Decision:
    """One step of the brain: say `text`, or call `tool` with `arguments`."""

    text: str = ""
    tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)


def _only(words: list[str], vocabulary: frozenset[str]) -> bool:
    return bool(words) and all(w in vocabulary for w in words)


# Tells whether the knowledge base or profile can answer a question.
Checker = Callable[[str], Awaitable[bool]]


def _first_turn_step(text: str, tools: set[str], answerable: bool | None = None) -> Decision:
    """What to do with a fresh caller message."""
    words = _WORDS.findall(text.casefold())
    if not words:
        return Decision(text=DIDNT_CATCH)
    if _only(words, _GREETING):
        return Decision(text=HELLO)
    if _only(words, _THANKS):
        return Decision(text=WELCOME)
    if _only(words, _BYE | _THANKS):
        return Decision(text=GOODBYE)
    if _HUMAN.search(text) or wants_person(text):
        # Handoff: the code behind request_transfer decides (triggers, who is online, the fallback).
        if "request_transfer" in tools:
            return Decision(tool="request_transfer", arguments={"reason": text})
        return Decision(text=NO_TRANSFER)
    phone = _PHONE.search(text)
    if phone and _PHONE_CUE.search(text) and "set_caller_phone" in tools:
        return Decision(tool="set_caller_phone", arguments={"phone": phone.group(1)})
    name = _NAME.search(text.strip().rstrip(".!"))
    if name and len(name.group(1).split()) <= 4 and "set_caller_name" in tools:
        return Decision(tool="set_caller_name", arguments={"name": name.group(1).strip()})
    if answerable is False and "request_help" in tools:
        return Decision(tool="request_help", arguments={"question": text})
    if "lookup_answer" in tools:
        return Decision(tool="lookup_answer", arguments={"question": text})
    return Decision(text=DIDNT_CATCH)


def read_back_reply(text: str) -> bool | None:
    """The caller's answer to a read-back: True (yes), False (no, even "no, I meant for kids"), or
    None when it is neither and should be treated as a new question."""
    words = _WORDS.findall(text.casefold())
    if not words:
        return None
    if words[0] in _NO or any(w in _NO for w in words[:3]):
        return False
    if any(w in _YES for w in words[:3]) and all(w in _YES or w in _YES_FILLER for w in words):
        return True
    return None


def _read_back_pending(items: list[Any], last_user: int) -> bool:
    """Whether the agent's last turn, just before the caller's message, read a match back to them."""
    for item in reversed(items[:last_user]):
        if item.type == "message" and item.role == "user":
            return False
        if item.type == "function_call_output":
            if item.name != "lookup_answer" or item.is_error:
                return False
            try:
                return bool(json.loads(item.output).get("confirm_question"))
            except (ValueError, AttributeError):
                return False
    return False


def fresh_question(items: list[Any], max_chars: int = 2000) -> str | None:
    """The caller's last message when no tool has run for it yet (the moment to classify it)."""
    for item in reversed(items):
        if item.type == "function_call_output":
            return None
        if item.type == "message" and item.role == "user":
            return clean(item.text_content or "", max_chars)
    return None


def decide(items: list[Any], tools: set[str], max_chars: int = 2000, answerable: bool | None = None) -> Decision:
    """The next step given the chat history (`chat_ctx.items`), the tools on offer and, when known,
    whether the caller's fresh question is answerable."""
    last_user = -1
    for i, item in enumerate(items):
        if item.type == "message" and item.role == "user":
            last_user = i
    if last_user < 0:
        return Decision(text=HELLO)
    text = clean(items[last_user].text_content or "", max_chars)
    after = items[last_user + 1 :]
    outputs = [i for i in after if i.type == "function_call_output"]
    if not outputs:
        if "confirm_answer" in tools and _read_back_pending(items, last_user):
            reply = read_back_reply(text)
            if reply is not None:
                return Decision(tool="confirm_answer", arguments={"confirmed": reply})
        return _first_turn_step(text, tools, answerable)
    last = outputs[-1]
    if last.is_error:
        return Decision(text=TOOL_FAILED)
    if last.name == "lookup_answer":
        try:
            found = json.loads(last.output)
        except ValueError:
            found = {}
        if found.get("answerable") and found.get("answer"):
            return Decision(text=str(found["answer"]))
        if found.get("confirm_question") and "confirm_answer" in tools:
            return Decision(text=READ_BACK.format(question=clean(str(found["confirm_question"]), 300)))
        asked = any(i.type == "function_call" and i.name == "request_help" for i in after)
        if "request_help" in tools and not asked:
            return Decision(tool="request_help", arguments={"question": text})
        return Decision(text=TOOL_FAILED)
    if last.name == "confirm_answer" and last.output.startswith("{"):
        try:
            return Decision(text=str(json.loads(last.output)["answer"]))
        except (ValueError, KeyError, TypeError):
            return Decision(text=TOOL_FAILED)
    # request_help, a declined read-back and the contact tools return the sentence to tell the caller.
    return Decision(text=str(last.output))


class OfflineBrain(llm.LLM):
    """A deterministic stand-in for the OpenAI LLM, driven by `decide`."""

    def __init__(self, max_chars: int = 2000, checker: Checker | None = None) -> None:
        super().__init__()
        self.max_chars = max_chars
        self.checker = checker

    @property
    def model(self) -> str:
        """Model name shown in metrics."""
        return "frontdesk-offline-brain"

    @property
    def provider(self) -> str:
        """Provider name shown in metrics."""
        return "frontdesk"

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        """Decide the next step and stream it as one chunk."""
        names = set() if tool_choice == "none" else {getattr(t, "id", "") for t in tools or []}
        return _DecisionStream(self, names, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _DecisionStream(llm.LLMStream):
    def __init__(self, brain: OfflineBrain, names: set[str], **kwargs: Any) -> None:
        super().__init__(brain, **kwargs)
        self._brain, self._names = brain, names

    async def _run(self) -> None:
        items = list(self._chat_ctx.items)
        answerable = None
        question = fresh_question(items, self._brain.max_chars)
        # Ask the knowledge module only about real questions, not greetings, thanks or contact details.
        if (question and self._brain.checker is not None
                and decide(items, self._names, self._brain.max_chars).tool == "lookup_answer"):
            answerable = await self._brain.checker(question)
        d = decide(items, self._names, self._brain.max_chars, answerable)
        delta = llm.ChoiceDelta(role="assistant", content=d.text or None)
        if d.tool:
            delta.tool_calls = [llm.FunctionToolCall(
                name=d.tool, arguments=json.dumps(d.arguments), call_id=f"call_{uuid.uuid4().hex[:12]}"
            )]
        self._event_ch.send_nowait(llm.ChatChunk(id=uuid.uuid4().hex, delta=delta))
