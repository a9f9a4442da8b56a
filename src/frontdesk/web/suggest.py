"""Suggested answers for queue cards: the knowledge base's own search, cached briefly.

The queue renders up to 50 cards; searching the knowledge base for each on every refresh would
dominate the page time once the matcher is an embedding model, so results are cached per question
and dropped when the knowledge base changes (its newest `updated_at` and size) or after a minute.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select

from frontdesk.knowledge.simple import Match
from frontdesk.models import KnowledgeEntry

TTL_SECONDS = 60.0
MAX_ENTRIES = 2000
# Only useful suggestions: similarity at least MIN_SCORE (unrelated entries score 0.1-0.3 with MiniLM),
# within NEAR_BEST of the best one, at most MAX_SHOWN, and never two with the same answer or question.
MIN_SCORE = 0.35
NEAR_BEST = 0.2
MAX_SHOWN = 3


def useful(matches: list[Match]) -> list[Match]:
    """The matches worth offering a supervisor, best first (see the constants above)."""
    from frontdesk.text import normalize_question

    if not matches:
        return []
    best = max(m.score for m in matches)
    seen: set[str] = set()
    out = []
    for m in sorted(matches, key=lambda m: -m.score):
        keys = {"a:" + normalize_question(m.answer), "q:" + normalize_question(m.question)}
        if m.score < MIN_SCORE or m.score < best - NEAR_BEST or keys & seen:
            continue
        seen |= keys
        out.append(m)
        if len(out) == MAX_SHOWN:
            break
    return out


class SuggestionCache:
    """question -> top knowledge matches, valid while the knowledge base is unchanged."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[float, Any, list[Match]]] = OrderedDict()

    def _stamp(self) -> Any:
        with self.services.db.read() as s:
            return tuple(s.execute(
                select(func.count(KnowledgeEntry.id), func.max(KnowledgeEntry.updated_at))
            ).one())

    def for_questions(self, questions: list[str]) -> dict[str, list[Match]]:
        """Suggestions for each question (matches with a non-trivial score, best first)."""
        if not questions:
            return {}
        stamp = self._stamp()
        now = time.monotonic()
        out: dict[str, list[Match]] = {}
        for question in questions:
            with self._lock:
                hit = self._items.get(question)
            if hit is not None and hit[1] == stamp and now - hit[0] < TTL_SECONDS:
                out[question] = hit[2]
                continue
            result = self.services.knowledge.search(question, k=6, judge=False)
            matches = useful(list(result.matches))
            out[question] = matches
            with self._lock:
                self._items[question] = (now, stamp, matches)
                self._items.move_to_end(question)
                while len(self._items) > MAX_ENTRIES:
                    self._items.popitem(last=False)
        return out
