"""Reading a supervisor's reply: which request (`Q12 ...`), which command (`skip`, `close`) and, for
email, the reply without the quoted alert below it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.text import clean

ANSWER, SKIP, CLOSE = "answer", "skip", "close"
MAX_REPLY_CHARS = 4000

# "Q12 text", "q12: text", "[Q12] text", "#Q12 - text". Digits must follow the Q, so "Quite..." is an answer.
_PREFIX = re.compile(r"^\s*[\[(#]?\s*q\s?(\d{1,9})\s*[\])]?\s*[:.,;\-–—]?\s*(.*)$", re.IGNORECASE | re.DOTALL)
_COMMANDS = {"skip": SKIP, "pass": SKIP, "close": CLOSE}
# Our own alert emails carry the request in the subject ("[Q12]") and in their Message-ID.
_SUBJECT_ID = re.compile(r"\[Q(\d{1,9})\]", re.IGNORECASE)
_ALERT_MESSAGE_ID = re.compile(r"supervisor_(?:alert|reminder)\.(\d{1,9})\.", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    """What a reply asks for: `answer` with `text`, `skip` or `close`; `request_id` when it named one."""

    action: str
    text: str
    request_id: int | None


def parse_reply(body: str) -> Command:
    """Split a reply into its optional `Q<id>` prefix, its command and its answer text."""
    text = body or ""
    request_id = None
    m = _PREFIX.match(text)
    if m:
        request_id, text = int(m.group(1)), m.group(2)
    text = clean(text, MAX_REPLY_CHARS)
    word = text.lower().rstrip(".!").strip()
    action = _COMMANDS.get(word, ANSWER)
    return Command(action, "" if action != ANSWER else text, request_id)


def normalize_phone(phone: str) -> str:
    """`+1 (555) 777-0001` -> `+15557770001`: how numbers are compared (Twilio sends E.164)."""
    phone = (phone or "").strip()
    digits = "".join(c for c in phone if c.isdigit())
    return ("+" + digits) if phone.startswith("+") else digits


# Where the quoted original starts in common mail clients' replies.
_QUOTE_STARTS = [
    re.compile(r"^\s*On .{0,300}wrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Le .{0,300}a écrit\s*:\s*$", re.IGNORECASE),
    re.compile(r"^\s*Am .{0,300}schrieb .{0,200}:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{5,}\s*$"),
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),
    re.compile(r"^\s*Sent from my .+$", re.IGNORECASE),
    re.compile(r"^--\s*$"),  # signature separator
]


def strip_quoted(text: str) -> str:
    """The new text of an email reply: stops at the first quote header, quoted line or signature."""
    kept: list[str] = []
    lines = (text or "").replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            break
        # Gmail wraps a long "On ... wrote:" over two lines.
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if any(p.match(line) for p in _QUOTE_STARTS) or (
            line.strip().lower().startswith("on ") and _QUOTE_STARTS[0].match(joined)
        ):
            break
        kept.append(line)
    return "\n".join(kept).strip()


def request_id_from_email(subject: str, references: str) -> int | None:
    """The request an email reply is about, from our alert's subject tag or Message-ID it replies to."""
    m = _SUBJECT_ID.search(subject or "")
    if m:
        return int(m.group(1))
    m = _ALERT_MESSAGE_ID.search(references or "")
    return int(m.group(1)) if m else None
