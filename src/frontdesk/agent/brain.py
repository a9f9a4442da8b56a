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

from frontdesk.agent.turns import classify, is_real_question
from frontdesk.text import clean

_WORDS = re.compile(r"[a-z']+")
_NAME = re.compile(r"\b(?:my name is|this is|i am|i'm)\s+([A-Za-z][A-Za-z' -]{0,60})$", re.IGNORECASE)
_PHONE = re.compile(r"(\+?\d[\d ().-]{5,18}\d)")
_PHONE_CUE = re.compile(r"\b(number|phone|reach me|text me|call me|cell)\b", re.IGNORECASE)

DIDNT_CATCH = "Sorry, I didn't catch that. What can I help you with?"
HELLO = "Hi! How can I help you today?"
WELCOME = "You're welcome! Is there anything else I can help you with?"
GOODBYE = "Thanks for calling. Have a great day!"
ANYTHING_ELSE = "Alright. Is there anything else I can help you with?"
GO_AHEAD = "Sure, what would you like to know?"
TAKE_YOUR_TIME = "No problem, take your time."
SMALL_TALK = "I'm doing well, thank you! I'm the virtual receptionist. How can I help you today?"
SORRY_AGAIN = "Sorry about that. What would you like to know?"
CLARIFY = "Could you tell me a bit more about what you'd like to know?"
NO_TRANSFER = ("I'm the virtual receptionist and I can't transfer calls, but I can pass any question to my "
               "supervisor and get back to you. What would you like to ask?")
TOOL_FAILED = "Sorry, I couldn't do that just now. Could you say that again?"
READ_BACK = "Just to be sure I've got it right, is your question: {question}"
#: What a booking request is looked up as: the knowledge base's "how do I book" entry answers it.
BOOKING_QUESTION = "How do I book an appointment?"
_YES = frozenset(["yes", "yeah", "yep", "yup", "yea", "correct", "right", "exactly", "sure", "absolutely",
                  "definitely", "mhm", "uh", "huh", "affirmative"])
# Words a plain yes may carry ("yes, that's exactly what I meant, thanks"); anything else is a new question.
_YES_FILLER = frozenset(["that's", "thats", "that", "it", "is", "it's", "what", "i", "meant", "mean", "asking",
                         "the", "one", "please", "thanks", "thank", "you", "oh", "um", "ok", "okay", "so", "was"])
_NO = frozenset(["no", "nope", "nah", "not", "wrong", "incorrect", "isn't", "wasn't", "negative"])
_PAUSE = frozenset(["hmm", "hm", "hmmm", "um", "umm", "uh", "uhh", "er", "erm", "wait", "hold", "sec", "second",
                    "moment", "minute", "think"])


@dataclass
class Decision:
    """One step of the brain: say `text`, or call `tool` with `arguments` (and the `more` calls with it)."""

    text: str = ""
    tool: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    more: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


# Tells whether the knowledge base or profile can answer a question.
Checker = Callable[[str], Awaitable[bool]]


def _last_agent_text(items: list[Any], before: int) -> str:
    for item in reversed(items[:before]):
        if item.type == "message" and item.role == "assistant":
            return item.text_content or ""
    return ""


def _first_turn_step(text: str, tools: set[str], answerable: bool | None = None,
                     asked_anything_else: bool = False) -> Decision:
    """What to do with a fresh caller message: see `turns.classify`."""
    turn = classify(text)
    kind = turn.kind
    if kind == "garbage":
        return Decision(text=DIDNT_CATCH)
    if kind == "person":
        if "request_transfer" in tools:
            return Decision(tool="request_transfer", arguments={"reason": text})
        return Decision(text=NO_TRANSFER)
    phone = _PHONE.search(text)
    if phone and _PHONE_CUE.search(text) and "set_caller_phone" in tools:
        return Decision(tool="set_caller_phone", arguments={"phone": phone.group(1)})
    name = _NAME.search(text.strip().rstrip(".!"))
    if name and len(name.group(1).split()) <= 4 and "set_caller_name" in tools:
        return Decision(tool="set_caller_name", arguments={"name": name.group(1).strip()})
    simple = {"greeting": HELLO, "thanks": WELCOME, "goodbye": GOODBYE, "small_talk": SMALL_TALK, "yes": GO_AHEAD}
    if kind in simple:
        return Decision(text=simple[kind])
    if kind == "no":
        return Decision(text=GOODBYE if asked_anything_else or len(_WORDS.findall(text.casefold())) > 1
                        else ANYTHING_ELSE)
    if kind == "filler":
        pause = not _PAUSE.isdisjoint(_WORDS.findall(text.casefold()))
        return Decision(text=TAKE_YOUR_TIME if pause else ANYTHING_ELSE)
    if kind == "correction" and not turn.questions:
        return Decision(text=SORRY_AGAIN)
    if "lookup_answer" not in tools:
        return Decision(text=DIDNT_CATCH)
    if kind == "booking":
        if answerable is False:
            return _escalate_or_clarify(text, tools)
        return Decision(tool="lookup_answer", arguments={"question": BOOKING_QUESTION})
    questions = turn.questions or [text]
    if len(questions) > 1:
        calls = [("lookup_answer", {"question": q}) for q in questions[:4]]
        return Decision(tool=calls[0][0], arguments=calls[0][1], more=calls[1:])
    if answerable is False:
        return _escalate_or_clarify(questions[0], tools)
    return Decision(tool="lookup_answer", arguments={"question": questions[0]})


def _escalate_or_clarify(question: str, tools: set[str]) -> Decision:
    if is_real_question(question) and "request_help" in tools:
        return Decision(tool="request_help", arguments={"question": question})
    return Decision(text=CLARIFY)


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
        asked = "anything else" in _last_agent_text(items, last_user).casefold()
        return _first_turn_step(text, tools, answerable, asked)
    last = outputs[-1]
    if last.is_error:
        return Decision(text=TOOL_FAILED)
    if last.name in ("lookup_answer", "request_help") and any(o.name == "lookup_answer" for o in outputs):
        return _after_lookups(after, text, tools)
    if last.name == "confirm_answer" and last.output.startswith("{"):
        try:
            return Decision(text=str(json.loads(last.output)["answer"]))
        except (ValueError, KeyError, TypeError):
            return Decision(text=TOOL_FAILED)
    # request_help, a declined read-back, a transfer and the contact tools return the sentence to tell the caller.
    return Decision(text=str(last.output))


def _after_lookups(after: list[Any], text: str, tools: set[str]) -> Decision:
    """This turn's lookups are back: tell the answers, escalate what none answered (once), read back one."""
    asked_for = {i.call_id: json.loads(i.arguments or "{}").get("question", "")
                 for i in after if i.type == "function_call" and i.name == "lookup_answer"}
    answers: list[str] = []
    unanswered: list[str] = []
    read_back = ""
    for out in after:
        if out.type != "function_call_output" or out.name != "lookup_answer":
            continue
        try:
            found = json.loads(out.output)
        except ValueError:
            found = {}
        question = str(asked_for.get(out.call_id, "")) or text
        if question == BOOKING_QUESTION:
            question = text  # a booking request escalates in the caller's words
        if found.get("answerable") and found.get("answer"):
            answers.append(str(found["answer"]))
        elif found.get("confirm_question") and "confirm_answer" in tools and not read_back:
            read_back = READ_BACK.format(question=clean(str(found["confirm_question"]), 300))
        else:
            unanswered.append(question)
    helped = [o for o in after if o.type == "function_call_output" and o.name == "request_help"]
    real = [q for q in unanswered if is_real_question(q)]
    if real and not helped and "request_help" in tools:
        calls = [("request_help", {"question": q}) for q in real]
        return Decision(tool=calls[0][0], arguments=calls[0][1], more=calls[1:])
    parts = list(answers)
    said: set[str] = set()
    for o in helped:
        if o.output not in said:
            said.add(o.output)
            parts.append(str(o.output))
    if len(real) < len(unanswered) and not parts and not read_back:
        parts.append(CLARIFY)
    if read_back:
        parts.append(read_back)
    return Decision(text=" ".join(parts) if parts else TOOL_FAILED)


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
        d = decide(items, self._names, self._brain.max_chars)
        # Ask the knowledge module up front only about one real lookup, not greetings, thanks or contact
        # details: an unanswerable question then goes straight to request_help (one tool step less).
        if (d.tool == "lookup_answer" and not d.more and self._brain.checker is not None
                and fresh_question(items, self._brain.max_chars) is not None):
            answerable = await self._brain.checker(str(d.arguments["question"]))
            d = decide(items, self._names, self._brain.max_chars, answerable)
        delta = llm.ChoiceDelta(role="assistant", content=d.text or None)
        if d.tool:
            delta.tool_calls = [
                llm.FunctionToolCall(name=name, arguments=json.dumps(args), call_id=f"call_{uuid.uuid4().hex[:12]}")
                for name, args in [(d.tool, d.arguments), *d.more]
            ]
        self._event_ch.send_nowait(llm.ChatChunk(id=uuid.uuid4().hex, delta=delta))
