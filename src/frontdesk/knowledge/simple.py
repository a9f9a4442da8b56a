"""A plain word-overlap matcher: the fallback ranker until the embedding index is wired in."""

from __future__ import annotations

import re

from frontdesk.knowledge.retrieval import Match, SearchResult

_WORD = re.compile(r"[a-z0-9$']+")
_STOP = frozenset(
    ["a", "an", "the", "is", "are", "do", "does", "you", "your", "we", "our", "i", "me", "my", "can", "could", "would", "will", "to", "of", "for", "on", "in", "at", "and", "or", "what", "whats", "what's", "how", "much", "many", "when", "where", "which", "who", "it", "its", "it's", "be", "there", "any", "have", "has", "with", "this", "that", "please", "hi", "hello", "um", "uh", "like", "y'all", "ya", "get"]
)


def content_words(text: str) -> set[str]:
    """Lower-case words that carry meaning, crudely singularised."""
    words = {w.rstrip("'s") if w.endswith("'s") else w for w in _WORD.findall(text.casefold())}
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words if w not in _STOP}


def score(query: str, question: str) -> float:
    """Share of the query's content words found in the entry question (0..1)."""
    q = content_words(query)
    if not q:
        return 0.0
    e = content_words(question)
    return len(q & e) / len(q | e) ** 0.5 / len(q) ** 0.5


def search(query: str, entries: list[tuple[int, str, str]], k: int = 3, threshold: float = 0.75) -> SearchResult:
    """Rank `(id, question, answer)` entries; answerable only when nearly every word is covered."""
    ranked = sorted(
        (Match(i, q, a, round(score(query, q), 4)) for i, q, a in entries), key=lambda m: m.score, reverse=True
    )[:k]
    best = ranked[0] if ranked and ranked[0].score > 0 else None
    ok = best is not None and best.score >= threshold
    return SearchResult(ranked, ok, best if ok else None, "word overlap" if ok else "no entry covers the question")
