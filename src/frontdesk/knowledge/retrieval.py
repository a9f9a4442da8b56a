"""In-memory semantic knowledge index with a calibrated "answerable" gate (DB-free).

The store keeps each entry's vector (``serialize_vector``) next to the row; every process
builds a :class:`KnowledgeIndex` from those rows and keeps it fresh with ``add``/``update``/
``remove``. ``search`` ranks by cosine and then asks the gate whether the best entry really
answers the question; the agent must escalate whenever ``answerable`` is False.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable

import numpy as np

from .embedding import Embedder, get_word_embedder, load_default_embedder
from .entries import (  # re-exported: the index's vocabulary
    Entry,
    LLMJudge,
    Match,
    SearchResult,
    deserialize_vector,
    entry_text,
    serialize_vector,
)
from .gate import GateConfig, WordCoverage, gate_features
from .gate_params import config_for
from .text import NUMBER_GROUP, conflicting_word, content_words, dropped_qualifiers, numbers, qualifier_groups

log = logging.getLogger(__name__)

__all__ = ["Entry", "KnowledgeIndex", "LLMJudge", "Match", "SearchResult", "deserialize_vector", "entry_text",
           "serialize_vector"]

#: Query within this cosine of a recorded near miss for the best entry => escalate.
NEGATIVE_SIM = 0.86
#: A qualifier group (dogs, kids ...) mentioned by at least this share of the entries is the business's
#: everyday subject: an entry may leave it unsaid and still be read back.
EVERYDAY_QUALIFIER = 0.15


class KnowledgeIndex:
    """Cosine index over entry vectors plus the answerable gate.

    Thread-safe for concurrent searches and updates (one lock; searches are ~1 ms of work
    beyond embedding the query, which happens outside the lock).
    """

    def __init__(self, entries: Iterable[Entry] = (), embedder: Embedder | None = None,
                 gate: GateConfig | None = None, llm_judge: LLMJudge | None = None,
                 word_embedder=None, judge_from: float | None = None) -> None:
        self.embedder: Embedder = embedder or load_default_embedder()
        self.gate = gate or config_for(self.embedder.model_id)
        self.llm_judge = llm_judge
        # Lower edge of the band put to the LLM judge (None: the gate's); below it, no judge call.
        self.judge_from = judge_from
        self._coverage = WordCoverage(word_embedder or get_word_embedder())
        self._lock = threading.RLock()
        self._mat = np.zeros((16, self.embedder.dim), np.float32)
        self._ids: list[int] = []
        self._row: dict[int, int] = {}
        self._entries: dict[int, Entry] = {}
        self._neg_vecs: dict[int, list[np.ndarray]] = {}
        self._qualifiers: Counter[str] = Counter()  # qualifier group -> entries mentioning it
        self.add_many(list(entries))

    # -- maintenance -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    def _ensure_vectors(self, entries: list[Entry]) -> None:
        todo = [e for e in entries if e.vector is None or len(e.vector) != self.embedder.dim]
        if todo:
            vecs = self.embedder.embed([entry_text(e.question, e.answer) for e in todo])
            for e, v in zip(todo, vecs, strict=False):
                e.vector = v

    def add_many(self, entries: list[Entry]) -> None:
        """Add (or replace) several entries, embedding those without a vector in one batch."""
        self._ensure_vectors(entries)
        with self._lock:
            need = len(self._ids) + len(entries)
            if need > len(self._mat):  # grow once for a bulk load
                grown = np.zeros((need, self.embedder.dim), np.float32)
                grown[: len(self._ids)] = self._mat[: len(self._ids)]
                self._mat = grown
            for e in entries:
                self._put(e)

    def vector(self, entry_id: int) -> np.ndarray:
        """The stored vector of an entry (a copy)."""
        with self._lock:
            return self._mat[self._row[entry_id]].copy()

    def add(self, entry: Entry) -> None:
        """Add an entry (replaces one with the same id)."""
        self.add_many([entry])

    def update(self, entry: Entry) -> None:
        """Replace an entry; pass ``vector=None`` if its text changed."""
        self.add_many([entry])

    def remove(self, entry: Entry | int) -> None:
        """Remove an entry by object or id; unknown ids are ignored."""
        eid = entry.id if isinstance(entry, Entry) else int(entry)
        with self._lock:
            row = self._row.pop(eid, None)
            if row is None:
                return
            last = len(self._ids) - 1
            if row != last:  # move the last row into the hole
                moved = self._ids[last]
                self._mat[row] = self._mat[last]
                self._ids[row] = moved
                self._row[moved] = row
            self._ids.pop()
            gone = self._entries.pop(eid, None)
            if gone is not None:
                self._qualifiers.subtract(qualifier_groups(entry_text(gone.question, gone.answer)))
            self._neg_vecs.pop(eid, None)

    def _put(self, e: Entry) -> None:
        assert e.vector is not None
        row = self._row.get(e.id)
        if row is None:
            row = len(self._ids)
            if row >= len(self._mat):
                grown = np.zeros((max(16, 2 * len(self._mat)), self.embedder.dim), np.float32)
                grown[: len(self._mat)] = self._mat
                self._mat = grown
            self._ids.append(e.id)
            self._row[e.id] = row
        self._mat[row] = e.vector
        old = self._entries.get(e.id)
        if old is not None:
            self._qualifiers.subtract(qualifier_groups(entry_text(old.question, old.answer)))
        self._qualifiers.update(qualifier_groups(entry_text(e.question, e.answer)))
        # Keep text only: the matrix row is the vector (no second copy per entry).
        self._entries[e.id] = Entry(e.id, e.question, e.answer, None)

    def add_negative(self, question: str, entry_id: int) -> None:
        """Record that ``question`` is NOT answered by ``entry_id`` (a supervisor's near miss).

        Later questions very close to it will not be answered with that entry.
        """
        v = self.embedder.embed([question])[0]
        with self._lock:
            self._neg_vecs.setdefault(int(entry_id), []).append(v)

    def closest_other(self, entry_id: int, question: str) -> Match | None:
        """The entry other than ``entry_id`` that ``question`` matches best (cosine, as a search ranks)."""
        qv = self.embedder.embed([question])[0]
        with self._lock:
            row = self._row.get(entry_id)
            n = len(self._ids)
            if row is None or n < 2:
                return None
            scores = self._mat[:n] @ qv
            scores[row] = -1.0
            best = int(np.argmax(scores))
            e = self._entries[self._ids[best]]
            return Match(e.id, e.question, e.answer, float(scores[best]))

    def set_negatives(self, negatives: list[tuple[int, np.ndarray]]) -> None:
        """Replace every recorded near miss with ``(entry id, question vector)`` pairs."""
        fresh: dict[int, list[np.ndarray]] = {}
        for entry_id, vector in negatives:
            fresh.setdefault(int(entry_id), []).append(np.asarray(vector, dtype=np.float32))
        with self._lock:
            self._neg_vecs = fresh

    # -- queries -------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, judge: bool = True) -> SearchResult:
        """Top-``k`` matches and whether the best one may be used to answer (``judge=False``: no LLM call)."""
        query = (query or "").strip()[:1000]  # caller text is untrusted and unbounded
        if not query:
            return SearchResult([], False, None, "empty question")
        qv = self.embedder.embed([query])[0]
        with self._lock:
            n = len(self._ids)
            if n == 0:
                return SearchResult([], False, None, "knowledge base is empty")
            scores = self._mat[:n] @ qv
            kk = min(max(k, 2), n)
            top = np.argpartition(-scores, kk - 1)[:kk] if n > kk else np.arange(n)
            top = top[np.argsort(-scores[top])]
            cands = [self._entries[self._ids[i]] for i in top]
            negs = {c.id: list(self._neg_vecs.get(c.id, ())) for c in cands[:1]}
            # Feature extraction needs the score distribution; copy what we need under lock.
            feats = gate_features(scores, top, query, entry_text(cands[0].question, cands[0].answer),
                                  self._coverage)
        matches = [Match(c.id, c.question, c.answer, float(scores[i])) for c, i in zip(cands, top, strict=False)][:k]
        best = Match(cands[0].id, cands[0].question, cands[0].answer, float(scores[top[0]]))
        p = self.gate.probability(feats)
        answerable, reason, undecided = self._decide(query, qv, feats, p, best, negs.get(best.id, []), matches,
                                                     judge)
        # Read back only what could be the caller's question: never an entry that drops their qualifier
        # ("keratin for kids under 10" is not "Do you do keratin treatments?").
        confirm = best if undecided and p >= self.gate.confirm_from and self._may_read_back(query, best) else None
        if answerable and reason.startswith("judge picked"):
            picked = int(reason.rsplit(" ", 1)[1])
            best = next(m for m in matches if m.id == picked)
            if p < self.gate.judge_from:
                # A weak match: the judge narrowed it down, the caller has the last word (read back).
                answerable, confirm, reason = False, best, f"{reason} for a weak match (p={p:.2f}); read back"
        return SearchResult(matches, answerable, best if answerable else None, reason, confirm)

    def _may_read_back(self, query: str, entry: Match) -> bool:
        """Whether ``entry`` could be the caller's question: it drops none of their qualifiers, unless the
        qualifier is this business's everyday subject (dogs and cats at a vet: mentioned by at least
        ``EVERYDAY_QUALIFIER`` of the entries), which an entry leaves unsaid."""
        dropped = dropped_qualifiers(query, entry_text(entry.question, entry.answer))
        with self._lock:
            n = max(len(self._ids), 1)
            return all(group != NUMBER_GROUP and self._qualifiers[group] >= EVERYDAY_QUALIFIER * n
                       for _, group in dropped)

    def _decide(self, query: str, qv: np.ndarray, feats: dict[str, float], p: float, best: Match,
                negatives: list[np.ndarray], matches: list[Match], judge: bool = True) -> tuple[bool, str, bool]:
        """(answerable, reason, undecided) given the gate probability ``p``; undecided = borderline and
        no judge gave a verdict."""
        g = self.gate
        if negatives and max(float(v @ qv) for v in negatives) >= max(NEGATIVE_SIM, feats["s1"]):
            return False, "close to a question a supervisor said this entry does not answer", False
        asked = {w.rstrip("s") for w in content_words(query)}
        if (asked and asked == {w.rstrip("s") for w in content_words(best.question)} and feats["s1"] >= g.min_s1
                and float(self.embedder.embed([best.question])[0] @ qv) >= SAME_MIN):
            # The caller asked the entry's own question in other filler words: nothing is left uncovered.
            # The sentence check keeps apart questions whose only difference is scaffolding the word
            # filter drops ("what do I need to bring for the eye exam" vs "how much is an eye exam").
            return True, "same question as the entry", False
        clash = conflicting_word(content_words(query), entry_text(best.question, best.answer))
        if clash is not None:
            return False, f"the question asks about '{clash}', which the best entry does not cover", False
        if feats["s1"] < g.min_s1:
            return False, f"low similarity ({feats['s1']:.2f})", False
        if p >= g.answer_at:
            return True, f"answerable (p={p:.2f})", False
        lo = g.judge_from if self.judge_from is None else self.judge_from
        if self.llm_judge is not None and judge and p >= lo:
            return self._ask_judge(query, matches)
        if p < min(lo, g.confirm_from):
            return False, f"not confident (p={p:.2f})", False
        return False, f"borderline (p={p:.2f}); no judge verdict, escalating", True

    def _ask_judge(self, query: str, matches: list[Match]) -> tuple[bool, str, bool]:
        assert self.llm_judge is not None
        try:
            verdict = self.llm_judge(query, matches)
        except Exception:  # a broken judge must never make us guess
            log.exception("llm judge failed; escalating")
            return False, "judge failed; escalating", True
        allowed = {m.id for m in matches}
        if isinstance(verdict, (int, np.integer)) and not isinstance(verdict, bool) and int(verdict) in allowed:
            return True, f"judge picked {int(verdict)}", False
        if isinstance(verdict, str) and verdict.strip().isdigit() and int(verdict) in allowed:
            return True, f"judge picked {int(verdict)}", False
        return False, "judge escalated", False

    def features(self, query: str) -> tuple[dict[str, float], list[int]]:
        """Gate features and ranked ids for ``query`` (for evaluation and fitting)."""
        qv = self.embedder.embed([query])[0]
        n = len(self._ids)
        scores = self._mat[:n] @ qv
        order = np.argsort(-scores)
        best = self._entries[self._ids[order[0]]]
        feats = gate_features(scores, order, query, entry_text(best.question, best.answer), self._coverage)
        return feats, [self._ids[i] for i in order[:3]]

    def same_question(self, a: str, b: str) -> bool:
        """Whether two callers asked the same question (for grouping pending requests).

        Needs both a high sentence similarity and every content word of each question
        covered by the other, so "lash extensions" and "hair extensions" stay apart.
        """
        if not a.strip() or not b.strip():
            return False
        va, vb = self.embedder.embed([a, b])
        return self.same_question_scored(a, b, float(va @ vb))

    def same_question_scored(self, a: str, b: str, sim: float) -> bool:
        """:meth:`same_question` given the two questions' cosine similarity ``sim``."""
        if sim < SAME_MIN or numbers(a) != numbers(b):
            return False
        if conflicting_word(content_words(a), b) or conflicting_word(content_words(b), a):
            return False
        ca = self._coverage.coverage(content_words(a), b)
        cb = self._coverage.coverage(content_words(b), a)
        worst = min(ca + cb) if (ca or cb) else 1.0
        return worst >= SAME_COV


#: same_question thresholds, chosen on the tuning sets: no near-miss pair merged (of 583),
#: while clear rephrasings group. Merging two different questions would send one answer to
#: both callers, so this errs towards keeping requests apart.
SAME_MIN = 0.70
SAME_COV = 0.30
