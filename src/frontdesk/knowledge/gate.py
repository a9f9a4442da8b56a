"""The "answerable" gate: decides whether the best-ranked entry really answers the question.

One cosine threshold cannot tell "lash extensions" from "hair extensions": both score high.
The gate combines evidence that is comparable across businesses:

* ``s1``: cosine of the query to the best entry;
* ``margin``: ``s1`` minus the runner-up's cosine;
* ``z``: how far ``s1`` stands above this query's similarity to the whole KB (per-KB,
  per-query calibration: a KB full of similar entries raises the background);
* ``cov_min`` / ``cov_mean``: word coverage. Every content word of the question should be
  matched in the entry (same stem, or a close WordLlama word vector). A near miss is
  usually exactly one uncovered word ("lash", "Sunday", "Botox").

A logistic model over these features (coefficients fitted offline on the tuning eval sets,
see ``bench/fit_gate.py``) gives a probability; ``p >= answer_at`` answers; below, an optional LLM
judge's pick is told from ``judge_from`` up, and read back to the caller under it (as is the best
entry from ``confirm_from`` up when no judge decides); anything else escalates.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .text import EXACT_ONLY, content_words, intent_covered, stem, words

log = logging.getLogger(__name__)

FEATURES = ("s1", "margin", "z", "cov_min", "cov_mean", "iu_max", "iu_mass", "iu_sum")


@lru_cache(maxsize=50_000)
def specificity(word: str) -> float:
    """How specific a word is: 6 - Zipf frequency, clipped to [0.3, 5].

    A rare uncovered word ("lash", "botox", "dentures") is strong evidence of a near miss;
    a common one ("seven", "town", "forms") is usually just how the caller talks.
    """
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - wordfreq is a pinned dependency
        return 2.0
    return float(min(max(6.0 - zipf_frequency(word, "en"), 0.3), 5.0))


@dataclass(frozen=True)
class GateConfig:
    """Coefficients and cut-offs of the gate (one configuration for every business)."""

    weights: tuple[float, ...]
    bias: float
    answer_at: float
    judge_from: float
    # A floor no combination of other evidence may override.
    min_s1: float = 0.20
    # Undecided matches from this probability up are worth checking with the caller ("are you asking ...?").
    confirm_from: float = 0.30
    scale_mean: tuple[float, ...] = field(default=(0.0,) * len(FEATURES))
    scale_std: tuple[float, ...] = field(default=(1.0,) * len(FEATURES))

    def probability(self, feats: dict[str, float]) -> float:
        """Logistic probability that the best entry answers the question."""
        x = np.array([feats[f] for f in FEATURES], dtype=np.float64)
        x = (x - np.array(self.scale_mean)) / np.array(self.scale_std)
        t = float(x @ np.array(self.weights) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(t, 50.0), -50.0)))


def exact_coverage(query_words: list[str], entry_text: str) -> list[float | None]:
    """Per query word: 1.0 for the same stem or intent group in the entry, 0.0 for an exact-only word
    (a day, a size) the entry lacks, None when only word vectors can tell."""
    all_words = set(words(entry_text))
    entry_stems = {stem(w) for w in content_words(entry_text)}
    out: list[float | None] = []
    for q in query_words:
        if stem(q) in entry_stems or intent_covered(q, all_words):
            out.append(1.0)
        elif q in EXACT_ONLY:
            out.append(0.0)
        else:
            out.append(None)
    return out


class WordCoverage:
    """Word-level coverage of a question by an entry text, using stems and word vectors."""

    def __init__(self, word_embedder) -> None:
        self._we = word_embedder

    def coverage(self, query_words: list[str], entry_text: str) -> list[float]:
        """Per query content word, how well the entry covers it (1.0 = same stem or intent)."""
        if not query_words:
            return []
        entry_words = content_words(entry_text)
        out = [-1.0 if v is None else v for v in exact_coverage(query_words, entry_text)]
        todo = [i for i, v in enumerate(out) if v < 0]
        if todo:
            cand = [w for w in entry_words if w not in EXACT_ONLY]
            best = np.zeros(len(todo))
            if cand and self._we is not None:
                try:
                    qv = self._we.word_vectors([query_words[i] for i in todo])
                    best = (qv @ self._we.word_vectors(cand).T).max(axis=1)
                except ImportError:
                    # wordllama not installed: exact stems only, which only makes the gate stricter.
                    log.warning("wordllama is not installed; word coverage uses exact stems only")
                    self._we = None
            for j, i in enumerate(todo):
                # Graded credit; co-hyponyms ("lash"/"brow", "cat"/"dog") still score 0.3-0.5,
                # which the word-specificity features weigh against.
                out[i] = float(best[j])
        return [min(max(v, 0.0), 1.0) for v in out]


def gate_features(s: np.ndarray, order: np.ndarray, query: str, best_text: str,
                  coverage: WordCoverage) -> dict[str, float]:
    """Features of the best candidate given all cosine scores ``s`` and their ranking."""
    s1 = float(s[order[0]])
    s2 = float(s[order[1]]) if len(order) > 1 else 0.0
    if len(s) > 2:
        mu, sd = float(s.mean()), float(s.std())
    else:
        mu, sd = 0.1, 0.15  # too few entries for statistics: assume a typical background
    z = (s1 - mu) / max(sd, 0.05)
    qwords = content_words(query)
    cov = np.array(coverage.coverage(qwords, best_text), dtype=np.float64)
    if len(cov):
        idf = np.array([specificity(w) for w in qwords])
        unc = idf * (1.0 - cov)
        iu_max, iu_mass, iu_sum = float(unc.max()), float(unc.sum() / idf.sum()), float(unc.sum())
        cov_min, cov_mean = float(cov.min()), float(cov.mean())
    else:
        iu_max = iu_mass = iu_sum = 0.0
        cov_min = cov_mean = 1.0
    return {"s1": s1, "margin": s1 - s2, "z": z, "cov_min": cov_min, "cov_mean": cov_mean,
            "iu_max": iu_max, "iu_mass": iu_mass, "iu_sum": iu_sum}
