#!/usr/bin/env python3
"""Evaluate every eval set with both embedders: bench/eval_all.py [--holdout] [--verbose].

Without --holdout only the tuning sets are run (use this while tuning).
"""
import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from frontdesk.knowledge.embedding import MiniLMEmbedder, WordLlamaEmbedder  # noqa: E402
from frontdesk.knowledge.evaluation import evaluate, format_report  # noqa: E402
from frontdesk.knowledge.retrieval import KnowledgeIndex  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--holdout", action="store_true", help="also run evals/holdout_*.json")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--embedder", choices=["minilm", "wordllama", "both"], default="both")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sets = sorted(p for p in (ROOT / "evals").glob("*.json") if a.holdout or "holdout" not in p.name)
    embs = {"minilm": MiniLMEmbedder, "wordllama": WordLlamaEmbedder}
    for name in (["minilm", "wordllama"] if a.embedder == "both" else [a.embedder]):
        emb = embs[name]()
        for path in sets:
            rep = evaluate(path, index_factory=lambda entries, emb=emb: KnowledgeIndex(entries, embedder=emb))
            print(f"{path.name}: " + format_report(rep, verbose=a.verbose and "holdout" not in path.name))


if __name__ == "__main__":
    main()
