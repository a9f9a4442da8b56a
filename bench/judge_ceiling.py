#!/usr/bin/env python3
"""What the LLM judge band can add at most: each set evaluated with an oracle in the judge's place.

The gate sends borderline matches (p between `judge_from` and `answer_at`) to the judge when
OPENAI_API_KEY is set. No model runs here; the oracle knows each eval question's right entry and picks
it when it is among the offered candidates, else escalates (out-of-KB questions always escalate).
So the "oracle" figures are the ceiling of a perfect judge, and "offline" is what ships without a key.

Usage: OPENBLAS_NUM_THREADS=1 bench/judge_ceiling.py [--holdout] [--judge-from P [P ...]] [--llm]
(--judge-from sweeps KB_JUDGE_FROM, the lowest gate probability put to the judge; default: the gate's.
A judge's pick below the gate's `judge_from` (0.41) is read back to the caller, not told: the column
"+ read-back" counts those with a truthful caller, and the correct / wrong / false columns count only
what is told outright.)

With --llm the real judge takes the oracle's place: `OpenAIJudge` with OPENAI_API_KEY, OPENAI_MODEL
(default gpt-4o-mini) and OPENAI_BASE_URL from the environment, exactly as `serve` builds it. Its
wrong and false answers are what matters there (the oracle never makes one). This is the measurement
that needs a key: no run of it is recorded yet.
"""
import argparse
import json
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from frontdesk.knowledge.embedding import MiniLMEmbedder  # noqa: E402
from frontdesk.knowledge.evaluation import evaluate  # noqa: E402
from frontdesk.knowledge.gate_params import MINILM_GATE  # noqa: E402
from frontdesk.knowledge.retrieval import KnowledgeIndex  # noqa: E402


def oracle_for(data: dict):  # type: ignore[no-untyped-def]
    key_to_int = {str(e["id"]): i + 1 for i, e in enumerate(data["entries"])}
    gold = {q: key_to_int[str(k)] for k, qs in data["paraphrases"].items() for q in qs}
    calls = {"n": 0}

    def judge(question: str, candidates):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        want = gold.get(question)
        return want if want in {c.id for c in candidates} else "escalate"

    return judge, calls


def llm_for():  # type: ignore[no-untyped-def]
    from frontdesk.knowledge.judge import OpenAIJudge

    real = OpenAIJudge(os.environ["OPENAI_API_KEY"], os.environ.get("OPENAI_MODEL", "gpt-4o-mini"),
                       os.environ.get("OPENAI_BASE_URL", ""))
    calls = {"n": 0}

    def judge(question: str, candidates):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return real(question, candidates)

    return judge, calls


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--holdout", action="store_true", help="also run evals/holdout_*.json")
    ap.add_argument("--judge-from", type=float, nargs="+", default=[MINILM_GATE.judge_from])
    ap.add_argument("--llm", action="store_true", help="the real OpenAI judge instead of the oracle")
    a = ap.parse_args()
    if a.llm and not os.environ.get("OPENAI_API_KEY"):
        ap.error("--llm needs OPENAI_API_KEY (and optionally OPENAI_MODEL, OPENAI_BASE_URL)")
    logging.basicConfig(level=logging.WARNING)
    emb = MiniLMEmbedder()
    who = "LLM judge" if a.llm else "oracle judge"
    print(f"judge_from | set | offline correct / wrong / false | {who} correct / wrong / false | "
          "+ read-back below the band (truthful caller) | questions sent to the judge")
    for jf in a.judge_from:
        for path in sorted(p for p in (ROOT / "evals").glob("*.json") if a.holdout or "holdout" not in p.name):
            data = json.loads(path.read_text())
            offline = evaluate(data, index_factory=lambda es: KnowledgeIndex(es, embedder=emb))
            judge, calls = llm_for() if a.llm else oracle_for(data)
            oracle = evaluate(data, index_factory=lambda es, j=judge, f=jf: KnowledgeIndex(
                es, embedder=emb, llm_judge=j, judge_from=f))
            asked = offline.n_in_kb + offline.n_out_of_kb
            o, g = offline.gate, oracle.gate
            print(f"{jf:.2f} | {path.stem} | {o.answered_correctly:.1%} / {o.wrong_answers:.1%} / "
                  f"{o.false_answers:.1%} | {g.answered_correctly:.1%} / {g.wrong_answers:.1%} / "
                  f"{g.false_answers:.1%} | {oracle.confirmed.answered_correctly:.1%} | "
                  f"{calls['n']} of {asked} ({calls['n'] / asked:.0%})", flush=True)

if __name__ == "__main__":
    main()
