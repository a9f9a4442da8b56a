"""Offline evaluation of retrieval + the answerable gate on an eval set (``evals/*.json``).

Eval file format::

    {"business": "...",
     "entries": [{"id": "hours", "question": "...", "answer": "..."}],
     "paraphrases": {"hours": ["what time do you open", ...]},
     "out_of_kb": ["are you open on sunday", ...]}

Figures: ranking top-1/top-3 over the paraphrases; over in-KB questions, the share answered
with the right entry (answerable and best is right) and the share answered with a wrong
entry; over out-of-KB questions, the share answered at all (a false answer). The same
figures for a single-cosine-threshold baseline are computed in the same run.

"With confirmation" adds the agent's read-back: an undecided match is read back to the caller
("are you asking ...?"), and a truthful caller says yes exactly when it is the entry they meant. So
it counts the right entry read back as answered correctly, and never adds a wrong or false answer;
``confirm_asked`` is the share of all questions that got a read-back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .embedding import MINILM_MODEL_ID
from .retrieval import Entry, KnowledgeIndex

#: Single-cosine baseline thresholds, chosen on the tuning sets (salon, dental, auto) as the
#: lowest cut-off with <= 5% false answers, per embedder.
BASELINE_THRESHOLDS = {MINILM_MODEL_ID: 0.60}
BASELINE_FALLBACK_THRESHOLD = 0.59


@dataclass
class Rates:
    """Answering outcomes of one decision rule."""

    answered_correctly: float
    wrong_answers: float
    false_answers: float


@dataclass
class EvalReport:
    """Figures for one eval set."""

    business: str
    embedder: str
    n_entries: int
    n_in_kb: int
    n_out_of_kb: int
    top1: float
    top3: float
    gate: Rates
    baseline: Rates
    baseline_threshold: float
    confirmed: Rates = field(default_factory=lambda: Rates(0, 0, 0))
    confirm_asked: float = 0.0
    confirm_wrong: float = 0.0  # share of all questions read back an entry that is not theirs
    misses: list[str] = field(default_factory=list)  # in-KB questions the gate escalated
    wrong: list[str] = field(default_factory=list)  # in-KB questions answered with a wrong entry
    false: list[str] = field(default_factory=list)  # out-of-KB questions answered


IndexFactory = Callable[[list[Entry]], KnowledgeIndex]


def load_eval(path_or_dict: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read an eval set from a path or pass a dict through."""
    if isinstance(path_or_dict, dict):
        return path_or_dict
    with open(path_or_dict, encoding="utf-8") as fh:
        return json.load(fh)


def evaluate(path_or_dict: str | Path | dict[str, Any], index_factory: IndexFactory | None = None,
             baseline_threshold: float | None = None) -> EvalReport:
    """Build an index from the set's entries and measure ranking, gate and baseline."""
    data = load_eval(path_or_dict)
    factory = index_factory or (lambda entries: KnowledgeIndex(entries))
    key_to_int = {str(e["id"]): i + 1 for i, e in enumerate(data["entries"])}
    index = factory([Entry(key_to_int[str(e["id"])], e["question"], e["answer"]) for e in data["entries"]])
    model = index.embedder.model_id
    thr = baseline_threshold if baseline_threshold is not None else BASELINE_THRESHOLDS.get(
        model, BASELINE_FALLBACK_THRESHOLD)

    in_kb = [(q, key_to_int[str(k)]) for k, qs in data.get("paraphrases", {}).items() for q in qs]
    out_kb = list(data.get("out_of_kb", []))
    top1 = top3 = g_ok = g_wrong = b_ok = b_wrong = g_false = b_false = c_ok = c_wrong = asked = 0
    report = EvalReport(data.get("business", "?"), model, len(data["entries"]), len(in_kb), len(out_kb),
                        0.0, 0.0, Rates(0, 0, 0), Rates(0, 0, 0), thr)
    for q, gold in in_kb:
        res = index.search(q, k=3)
        ids = [m.id for m in res.matches]
        top1 += bool(ids) and ids[0] == gold
        top3 += gold in ids
        if res.answerable and res.best is not None:
            if res.best.id == gold:
                g_ok += 1
            else:
                g_wrong += 1
                report.wrong.append(q)
        else:
            report.misses.append(q)
            asked += res.confirm is not None
            c_ok += res.confirm is not None and res.confirm.id == gold
            c_wrong += res.confirm is not None and res.confirm.id != gold
        if res.matches and res.matches[0].score >= thr:
            if ids[0] == gold:
                b_ok += 1
            else:
                b_wrong += 1
    for q in out_kb:
        res = index.search(q, k=3)
        if res.answerable:
            g_false += 1
            report.false.append(q)
        asked += res.confirm is not None
        c_wrong += res.confirm is not None
        if res.matches and res.matches[0].score >= thr:
            b_false += 1
    n_in, n_out = max(len(in_kb), 1), max(len(out_kb), 1)
    report.top1, report.top3 = top1 / n_in, top3 / n_in
    report.gate = Rates(g_ok / n_in, g_wrong / n_in, g_false / n_out)
    report.baseline = Rates(b_ok / n_in, b_wrong / n_in, b_false / n_out)
    report.confirmed = Rates((g_ok + c_ok) / n_in, g_wrong / n_in, g_false / n_out)
    report.confirm_asked = asked / max(len(in_kb) + len(out_kb), 1)
    report.confirm_wrong = c_wrong / max(len(in_kb) + len(out_kb), 1)
    return report


def format_report(report: EvalReport, verbose: bool = False) -> str:
    """Human-readable summary (and, if ``verbose``, the questions the gate got wrong)."""
    g, b = report.gate, report.baseline
    lines = [
        f"{report.business}  [{report.embedder}]  entries={report.n_entries} "
        f"in-KB={report.n_in_kb} out-of-KB={report.n_out_of_kb}",
        f"  ranking        top-1 {report.top1:6.1%}   top-3 {report.top3:6.1%}",
        f"  gate           answered correctly {g.answered_correctly:6.1%}   wrong {g.wrong_answers:5.1%}"
        f"   false answers {g.false_answers:5.1%}",
        f"  + read-back    answered correctly {report.confirmed.answered_correctly:6.1%}   (asked back on"
        f" {report.confirm_asked:.0%} of questions, {report.confirm_wrong:.0%} with an entry not theirs;"
        " a truthful caller adds no wrong or false answer)",
        f"  cosine>={report.baseline_threshold:.2f}  answered correctly {b.answered_correctly:6.1%}"
        f"   wrong {b.wrong_answers:5.1%}   false answers {b.false_answers:5.1%}",
    ]
    if verbose:
        lines += [f"    wrong: {q}" for q in report.wrong]
        lines += [f"    false: {q}" for q in report.false]
        lines += [f"    escalated: {q}" for q in report.misses]
    return "\n".join(lines)
