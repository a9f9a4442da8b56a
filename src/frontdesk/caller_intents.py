"""Two things decided in code about a caller's words: do they ask for a person, and is it urgent.

Both are word lists, documented here and tested, so the decision never rests on the LLM alone
(invariant 5). The handoff uses them as triggers, the queue's priority uses `is_urgent`, and the
offline brain's turn classifier uses `wants_person`. With an LLM key the model may also *ask* for a
handoff through a tool, but these lists are the floor.
"""

from __future__ import annotations

import re

# A caller asking for a human: "can I talk to someone", "put me through to the manager",
# "is there a real person", "speak with a human", "transfer me", "I want the owner".
_PEOPLE = r"(?:some(?:one|body)|any(?:one|body)|a\s+(?:real\s+|live\s+)?(?:person|human|people)|(?:a\s+|the\s+)?human|" \
          r"(?:a|the|your)\s+(?:manager|owner|supervisor|boss|receptionist|stylist|staff(?:\s+member)?|" \
          r"representative|rep|agent)|(?:a\s+)?real\s+person|(?:a\s+)?live\s+person|people)"
PERSON_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"\b(?:talk|speak|chat)\s+(?:to|with)\s+{_PEOPLE}",
        rf"\b(?:put|get|connect|transfer)\s+me\s+(?:through\s+)?(?:to|with)\s+{_PEOPLE}",
        r"\b(?:transfer|connect)\s+me\b",
        r"\bput\s+me\s+through\b",
        rf"\b(?:is\s+there|are\s+you)\s+{_PEOPLE}",
        r"\bare\s+you\s+(?:a\s+)?(?:real|human|a\s+robot|a\s+bot|an?\s+ai)\b",
        rf"\b(?:i\s+(?:want|need|would\s+like|'d\s+like)|can\s+i\s+(?:have|get))\s+(?:to\s+(?:talk|speak)\s+(?:to|with)\s+)?{_PEOPLE}\b",
        r"\b(?:human|person|operator|representative)\s*(?:please|pls)?\s*[.!?]*\s*$",
    )
)

# Urgent matters: safety, health, something going wrong right now, or a same-day deadline.
# Kept short and literal on purpose: a false "urgent" jumps the queue, a missed one waits its turn.
URGENT_WORDS: tuple[str, ...] = (
    "urgent", "urgently", "emergency", "asap", "immediately", "right now", "right away",
    "allergic", "allergy", "reaction", "burn", "burned", "burnt", "bleeding", "injury", "injured",
    "rash", "swelling", "swollen", "infection", "hospital", "pain", "hurts",
    "stuck", "locked out", "lost my", "left my", "forgot my", "stolen",
    "complaint", "refund", "ruined", "damaged",
    "today", "this morning", "this afternoon", "tonight", "in an hour", "running late", "late for",
)
_URGENT = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in URGENT_WORDS) + r")\b", re.IGNORECASE)


def wants_person(text: str) -> bool:
    """True when the caller asks to speak to a person (a manager, someone, a human ...)."""
    return any(p.search(text) for p in PERSON_PATTERNS)


def urgent_words(text: str) -> list[str]:
    """The urgency words found in `text` (lower-cased, in order, no repeats)."""
    seen: list[str] = []
    for m in _URGENT.finditer(text):
        w = m.group(0).lower()
        if w not in seen:
            seen.append(w)
    return seen


def is_urgent(text: str) -> bool:
    """True when `text` contains one of `URGENT_WORDS`."""
    return _URGENT.search(text) is not None
