#!/usr/bin/env python3
"""Dump gate features for eval sets (tuning helper): bench/dump_features.py OUT.json SET.json..."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from frontdesk.knowledge.embedding import MiniLMEmbedder, WordLlamaEmbedder  # noqa: E402
from frontdesk.knowledge.retrieval import Entry, KnowledgeIndex, entry_text  # noqa: E402
from frontdesk.knowledge.text import conflicting_word, content_words  # noqa: E402

emb_name = sys.argv[1]
out = sys.argv[2]
emb = MiniLMEmbedder() if emb_name == "minilm" else WordLlamaEmbedder()
rows = []


def clash(idx, q, top):
    e = idx._entries[top[0]]
    return conflicting_word(content_words(q), entry_text(e.question, e.answer)) is not None


for path in sys.argv[3:]:
    d = json.loads(Path(path).read_text())
    ids = {e["id"]: i for i, e in enumerate(d["entries"])}
    idx = KnowledgeIndex([Entry(i, e["question"], e["answer"]) for i, e in enumerate(d["entries"])], embedder=emb)
    for gold, qs in d["paraphrases"].items():
        for q in qs:
            f, top = idx.features(q)
            rows.append({"set": Path(path).stem, "q": q, "gold": ids[gold], "top": top,
                         "conflict": clash(idx, q, top), **f})
    for q in d["out_of_kb"]:
        f, top = idx.features(q)
        rows.append({"set": Path(path).stem, "q": q, "gold": None, "top": top,
                     "conflict": clash(idx, q, top), **f})
Path(out).write_text(json.dumps(rows))
