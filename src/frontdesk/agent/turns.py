"""What the caller's turn is, before anything is searched or escalated.

A receptionist hears "no, that's all thanks" as a goodbye, "hmm" as a pause and "I'd like to book a
haircut" as a booking, never as questions for a supervisor. `classify` sorts a caller message into one
of the `KINDS` with deterministic word rules (no model), and `split_questions` cuts "How much is a men's
haircut, and do you take walk-ins?" into the questions it holds. The offline brain acts on the result;
with an LLM key the model is told the same rules in its instructions. Only a `question` can ever reach
`request_help`, and only when it is a real question (`is_real_question`), not a stray word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from frontdesk.caller_intents import wants_person
from frontdesk.knowledge.text import content_words

KINDS = ("question", "yes", "no", "thanks", "goodbye", "greeting", "small_talk", "filler", "garbage",
         "correction", "person", "booking")

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_YES = frozenset(["yes", "yeah", "yep", "yup", "yea", "ya", "sure", "absolutely", "definitely", "correct", "right", "exactly", "mhm", "affirmative", "uh-huh", "please"])
_NO = frozenset(["no", "nope", "nah", "not", "negative", "nothing"])
_CLOSING = frozenset(["that's", "thats", "that", "it", "all", "everything", "for", "now", "else", "i", "think", "i'm", "im", "good", "fine", "thanks", "thank", "you", "so", "much", "really", "ok", "okay", "great", "cheers", "all's", "set", "we're", "done", "just", "was", "is", "the", "only", "one"])
_THANKS = frozenset(["thanks", "thank", "you", "so", "much", "very", "great", "ok", "okay", "cool", "perfect", "awesome", "lovely", "wonderful", "brilliant", "excellent", "good", "nice", "fantastic", "appreciate", "it", "i", "really", "that's", "thats", "helpful", "a", "lot", "sweet", "amazing", "super", "oh", "ah", "alright", "right"])
_THANK_CUES = frozenset(["thanks", "thank", "appreciate", "cheers"])
_BYE = frozenset(["bye", "goodbye", "good", "day", "night", "care", "have", "a", "nice", "great", "see", "ya", "you", "later", "cheers", "take", "all", "for", "now", "that's", "thats", "it", "talk", "soon", "so", "long"])
_BYE_CUES = frozenset(["bye", "goodbye", "later", "day", "night", "soon"])
_GREETING = frozenset(["hi", "hello", "hey", "hiya", "howdy", "good", "morning", "afternoon", "evening", "there", "yo", "greetings"])
_FILLER = frozenset(["hmm", "hm", "hmmm", "um", "umm", "uh", "uhh", "er", "erm", "ah", "oh", "ok", "okay", "alright", "right", "so", "well", "let", "me", "think", "see", "hold", "on", "a", "sec", "second", "moment", "minute", "one", "wait", "just", "i", "got", "it", "understood", "noted", "cool", "gotcha", "fine"])
_SMALL_TALK = re.compile(
    r"^(?:(?:hi|hello|hey|oh|well|so)[\s,!.]*)*(?:how\s+(?:are|r)\s+(?:you|u)(?:\s+(?:doing|today))*|how's\s+it\s+going|"
    r"how\s+is\s+it\s+going|how\s+are\s+things|what's\s+up|whats\s+up|what\s+is\s+your\s+name|what's\s+your\s+name|"
    r"who\s+(?:am\s+i|is\s+this)\s+(?:talking|speaking)\s+(?:to|with)|who\s+is\s+this|nice\s+to\s+(?:meet|talk\s+to)\s+you|"
    r"(?:lovely|nice|beautiful|terrible|awful)\s+(?:weather|day)(?:\s+today)?|i\s+love\s+your\s+\w+|"
    r"it's\s+(?:raining|sunny|cold|hot)(?:\s+here)?(?:\s+today)?)[\s?!.]*$",
    re.IGNORECASE,
)
# "sorry, I meant ...", "no wait, I meant ...", "actually, ...": the caller fixes what they said.
_CORRECTION = re.compile(
    r"^(?:(?:no|nope|sorry|oops|actually|wait|well|um|uh|oh|hang\s+on|my\s+bad)\b[\s,.!-]*)+"
    r"(?:(?:i|what\s+i)\s+(?:meant|mean)\b|i\s+was\s+(?:asking|wondering|trying\s+to\s+ask)\b|"
    r"i\s+(?:wanted|want)\s+to\s+(?:ask|know)\b|let\s+me\s+rephrase\b|i\s+should\s+have\s+said\b)?"
    r"[\s,:-]*",
    re.IGNORECASE,
)
_CORRECTION_CUE = re.compile(r"\b(?:meant|mean|sorry|oops|actually|wait|rephrase|my\s+bad)\b", re.IGNORECASE)
_BOOKING = re.compile(
    r"\b(?:i'?d\s+like|i\s+would\s+like|i\s+want|i\s+wanna|i\s+need|i'?m\s+(?:looking|hoping|trying)|can\s+i|"
    r"could\s+i|may\s+i|can\s+you|could\s+you|please|i'?d\s+love|let\s+me|id\s+like)\b[^,?.;]{0,16}?"
    r"\b(?:book|booking|make\s+(?:an?\s+)?(?:appointment|reservation|booking)|schedule|reserve|sign\s+(?:me\s+)?up|"
    r"get\s+(?:an?\s+)?(?:appointment|spot|slot)|come\s+in\s+for|set\s+up\s+an?\s+appointment)\b"
    r"|^\s*book\s+me\b|\bput\s+me\s+down\s+for\b",
    re.IGNORECASE,
)
_QUESTION_START = frozenset(["do", "does", "did", "can", "could", "is", "are", "was", "were", "will", "would", "what", "what's", "whats", "how", "how's", "when", "where", "where's", "which", "who", "who's", "why", "should", "may", "shall", "have", "has", "any", "anything", "is", "there"])
_SPLIT = re.compile(
    r"(?:[?!.;]+\s+|[?!]+$)|,?\s+(?:and|also|plus)\s+(?:also\s+)?(?=(?:do|does|did|can|could|is|are|will|would|what|"
    r"what's|whats|how|how's|when|where|which|who|should|may|any)\b)",
    re.IGNORECASE,
)
_VOWEL = re.compile(r"[aeiouy]")
# Keyboard mashing: long consonant runs or one letter repeated ("asdfgh", "zzzz", "hjkl").
_MASH = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}|([a-z])\1{3,}")
_LEADING = re.compile(r"^(?:(?:hi|hello|hey|um|umm|uh|uhh|er|so|ok|okay|oh|well|yeah|right|and|also|alright)\b[\s,.!]*)+",
                      re.IGNORECASE)


@dataclass
class TurnKind:
    """The kind of a caller message and, for questions and corrections, the questions it holds."""

    kind: str
    questions: list[str] = field(default_factory=list)


def words(text: str) -> list[str]:
    """Lower-case words (apostrophes kept: "that's")."""
    return _WORD.findall(text.casefold().replace("\u2019", "'"))


def _only(ws: list[str], vocabulary: frozenset[str]) -> bool:
    return bool(ws) and all(w in vocabulary for w in ws)


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _mashed(word: str) -> bool:
    """Keyboard mashing: a consonant run, a repeated letter, or a run along a keyboard row ("asdf")."""
    if len(word) >= 6 and not re.search(r"[aeiou]", word) and not word.startswith("rhythm"):
        return True
    return bool(_MASH.search(word)) or (len(word) >= 3 and any(word in row for row in _ROWS))


def is_garbage(text: str) -> bool:
    """No word a person would say: empty, punctuation, or keyboard mashing."""
    ws = words(text)
    if not ws:
        return True
    real = [w for w in ws if (_VOWEL.search(w) or w.isdigit()) and not _mashed(w) and len(w) <= 24]
    return len(real) * 2 < len(ws) or not real


def is_question_like(text: str) -> bool:
    """Whether a sentence asks something (question word, auxiliary first, a '?', or a request)."""
    stripped = _LEADING.sub("", text.strip())
    ws = words(stripped)
    if not ws:
        return False
    return (text.rstrip().endswith("?") or ws[0] in _QUESTION_START
            or bool(re.match(r"(?:i'?d\s+like|i\s+would\s+like|i\s+want|i\s+need|i'?m\s+looking|i\s+was\s+wondering|"
                             r"tell\s+me|please|looking\s+for)\b", stripped, re.IGNORECASE)))


def is_real_question(text: str) -> bool:
    """Worth a supervisor's time if unanswered: two content words, or one asked as a question."""
    cw = content_words(text)
    return len(cw) >= 2 or (len(cw) == 1 and is_question_like(text))


def split_questions(text: str) -> list[str]:
    """The questions in one caller message; statements are kept as context of the question they precede."""
    parts = [re.sub(r"^(?:and|also|plus)\s+", "", p.strip(" ,"), flags=re.IGNORECASE)
             for p in _SPLIT.split(text) if p and p.strip(" ,?!.;")]
    out: list[str] = []
    context = ""
    for part in parts:
        if not content_words(part):
            continue  # "hi.", "thanks!", "ok so"
        if is_question_like(part) or _BOOKING.search(part):
            out.append(f"{context} {part}".strip() if context else part)
            context = ""
        else:
            context = f"{context} {part}".strip()
    if context:
        if out:
            out[-1] = f"{out[-1]} {context}"
        else:
            out.append(context)
    return out or ([text.strip()] if text.strip() else [])


def _short_reply(ws: list[str]) -> str | None:
    """'yes'/'no' (with closing words: "nope, that's all", "no that's it thanks", "yes please")."""
    if (ws[0] in _NO or (ws[0] == "not" and len(ws) > 1)) and all(w in _NO | _CLOSING | _YES for w in ws):
        return "no"
    if ws[0] in _YES and all(w in _YES | _CLOSING | {"that's", "what", "i", "meant", "mean", "asking"} for w in ws):
        return "yes"
    return None


def classify(text: str) -> TurnKind:
    """The kind of one caller message (see `KINDS`)."""
    ws = words(text)
    if _only(ws, _FILLER):
        return TurnKind("filler")  # "hmm", "ok", "hold on a sec" (before garbage: "hmm" has no vowel)
    if not ws or is_garbage(text):
        return TurnKind("garbage")
    if wants_person(text):
        return TurnKind("person")
    if _only(ws, _GREETING):
        return TurnKind("greeting")
    short = _short_reply(ws)
    if short is not None:
        return TurnKind(short)
    if _only(ws, _BYE | _THANKS) and not set(ws).isdisjoint(_BYE_CUES):
        return TurnKind("goodbye")
    if _only(ws, _THANKS | _GREETING) and not set(ws).isdisjoint(_THANK_CUES | {"perfect", "great", "awesome", "lovely",
                                                                                "wonderful", "brilliant", "excellent",
                                                                                "fantastic", "amazing"}):
        return TurnKind("thanks")
    if _only(ws, _FILLER | _GREETING):
        return TurnKind("filler")
    if _only(ws, _BYE | _THANKS):
        return TurnKind("goodbye")
    if _SMALL_TALK.match(text.strip()):
        return TurnKind("small_talk")
    m = _CORRECTION.match(text.strip())
    if m and m.end() and _CORRECTION_CUE.search(text[: m.end()]):
        rest = text.strip()[m.end():].strip()
        return TurnKind("correction", split_questions(rest) if content_words(rest) else [])
    if _BOOKING.search(text):
        return TurnKind("booking", [text.strip()])
    questions = split_questions(text)
    # One question keeps the caller's exact words (the same text is searched, escalated and grouped).
    return TurnKind("question", questions if len(questions) > 1 else [text.strip()])
