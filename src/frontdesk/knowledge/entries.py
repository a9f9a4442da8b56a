"""What the knowledge index holds and answers: entries, ranked matches, search results, and the
float32 vector format stored beside each entry row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

VECTOR_DTYPE = np.dtype("<f4")


@dataclass
class Entry:
    """A knowledge entry as the index sees it. ``vector`` None means "compute it"."""

    id: int
    question: str
    answer: str
    vector: np.ndarray | None = None


@dataclass
class Match:
    """One ranked candidate."""

    id: int
    question: str
    answer: str
    score: float


@dataclass
class SearchResult:
    """Ranked candidates plus the gate's verdict. Only ``answerable`` results may be spoken.

    ``confirm``: when the gate could not decide (a borderline match and no judge verdict), the
    entry worth checking with the caller ("are you asking ...?"); its answer may be spoken only
    after the caller says yes.
    """

    matches: list[Match]
    answerable: bool
    best: Match | None
    reason: str
    confirm: Match | None = None


#: ``llm_judge(question, candidates) -> entry id | "escalate"``; anything else escalates.
LLMJudge = Callable[[str, Sequence[Match]], "int | str | None"]


def entry_text(question: str, answer: str) -> str:
    """The text an entry vector is computed from (question + answer ranks best)."""
    return f"{question.strip()} {answer.strip()}"


def serialize_vector(vector: np.ndarray) -> bytes:
    """Little-endian float32 bytes, for a LargeBinary column."""
    return np.asarray(vector, dtype=VECTOR_DTYPE).reshape(-1).tobytes()


def deserialize_vector(data: bytes) -> np.ndarray:
    """Inverse of :func:`serialize_vector` (returns a writable float32 copy)."""
    if len(data) % 4:
        raise ValueError("vector blob length is not a multiple of 4")
    return np.frombuffer(data, dtype=VECTOR_DTYPE).astype(np.float32)
