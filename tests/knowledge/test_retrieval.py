"""Behaviour of the index, the gate, vectors and the model hash check."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from frontdesk.knowledge.embedding import MiniLMEmbedder, ModelIntegrityError, minilm_model_dir
from frontdesk.knowledge.retrieval import (
    Entry,
    KnowledgeIndex,
    Match,
    deserialize_vector,
    serialize_vector,
)

from .conftest import load_set

CLASSIC_NEAR_MISSES = [
    "do you do lash extensions",
    "how much are eyelash extensions",
    "do you do eyebrow waxing",
    "how much is a manicure",
    "do you do nails",
    "do you sell wigs",
    "do you do box braids",
]


def test_serialize_round_trip() -> None:
    v = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    blob = serialize_vector(v)
    assert isinstance(blob, bytes) and len(blob) == 384 * 4
    back = deserialize_vector(blob)
    assert back.dtype == np.float32 and np.array_equal(back, v)
    back[0] = 1.0  # the result is writable, not a view on the blob
    with pytest.raises(ValueError):
        deserialize_vector(b"\x00\x01\x02")


def test_embedder_rows_are_unit_length(embedder) -> None:  # type: ignore[no-untyped-def]
    v = embedder.embed(["what time do you open", "Do you do balayage?"])
    assert v.shape == (2, embedder.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_minilm_matches_reference_values(minilm: MiniLMEmbedder) -> None:
    # Cosines measured with sentence-transformers' all-MiniLM-L6-v2 for these pairs agree to 1e-3.
    v = minilm.embed(["what time do you open on saturday", "hours of operation",
                      "do you do lash extensions", "we offer hair extensions"])
    assert abs(float(v[0] @ v[1]) - 0.2746) < 2e-3
    assert abs(float(v[2] @ v[3]) - 0.5854) < 2e-3


def test_hash_check_refuses_tampered_weights(minilm: MiniLMEmbedder, tmp_path: Path) -> None:
    src = minilm_model_dir()
    assert src is not None
    for f in src.iterdir():
        if f.is_file() and f.name != "model.safetensors":
            os.symlink(f, tmp_path / f.name)
    shutil.copyfile(src / "model.safetensors", tmp_path / "model.safetensors")
    with open(tmp_path / "model.safetensors", "r+b") as fh:
        fh.seek(-16, os.SEEK_END)
        fh.write(b"\x00" * 16)
    with pytest.raises(ModelIntegrityError):
        MiniLMEmbedder(model_dir=tmp_path).embed(["hello"])


def test_classic_near_misses_are_never_answered(salon_index_minilm: KnowledgeIndex) -> None:
    for q in CLASSIC_NEAR_MISSES:
        res = salon_index_minilm.search(q)
        assert not res.answerable, (q, res.reason)
        assert res.best is None


def test_sunday_is_not_answered_from_saturday_hours(embedder) -> None:  # type: ignore[no-untyped-def]
    idx = KnowledgeIndex([
        Entry(1, "What are your Saturday hours?", "On Saturday we're open 9am to 5pm."),
        Entry(2, "Where are you?", "123 Main Street."),
        Entry(3, "Do you do hair extensions?", "Yes, tape-in extensions from $300."),
    ], embedder=embedder)
    assert not idx.search("are you open on sunday").answerable
    assert not idx.search("what are your sunday hours").answerable
    assert not idx.search("do you do lash extensions").answerable


def test_classic_near_misses_fallback(wordllama) -> None:  # type: ignore[no-untyped-def]
    data = load_set("salon")
    idx = KnowledgeIndex([Entry(i + 1, e["question"], e["answer"]) for i, e in enumerate(data["entries"])],
                         embedder=wordllama)
    for q in CLASSIC_NEAR_MISSES:
        assert not idx.search(q).answerable, q


def test_add_update_remove(embedder) -> None:  # type: ignore[no-untyped-def]
    data = load_set("salon")
    idx = KnowledgeIndex([Entry(i + 1, e["question"], e["answer"]) for i, e in enumerate(data["entries"])],
                         embedder=embedder)
    assert not idx.search("do you do box braids").answerable
    idx.add(Entry(100, "Do you do box braids?", "Yes, box braids start at $150 and take about five hours."))
    res = idx.search("do you do box braids")
    assert res.answerable and res.best is not None and res.best.id == 100
    idx.update(Entry(100, "Do you do box braids?", "Yes, box braids start at $180 and take about five hours."))
    res = idx.search("do you do box braids")
    assert res.best is not None and "$180" in res.best.answer
    idx.remove(100)
    res = idx.search("do you do box braids")
    assert all(m.id != 100 for m in res.matches) and not res.answerable
    n = len(idx)
    idx.remove(1)
    idx.remove(999)  # unknown ids are ignored
    assert len(idx) == n - 1
    assert all(m.id != 1 for m in idx.search("what are your opening hours").matches)


def test_single_entry_kb_answers_its_own_question(embedder) -> None:  # type: ignore[no-untyped-def]
    idx = KnowledgeIndex([Entry(7, "Do you do braids?", "Yes, box braids from $150.")], embedder=embedder)
    res = idx.search("do you do braids")
    assert res.answerable and res.best is not None and res.best.id == 7
    assert not idx.search("do you sell wigs").answerable


def test_empty_index_and_empty_query(embedder) -> None:  # type: ignore[no-untyped-def]
    idx = KnowledgeIndex([], embedder=embedder)
    assert not idx.search("hello").answerable
    idx.add(Entry(1, "Where are you?", "123 Main Street."))
    assert not idx.search("   ").answerable


def test_negative_evidence_blocks_a_known_near_miss(salon_index_minilm: KnowledgeIndex) -> None:
    idx = KnowledgeIndex([], embedder=salon_index_minilm.embedder)
    idx.add_many([Entry(e.id, e.question, e.answer, salon_index_minilm.vector(e.id))
                  for e in salon_index_minilm._entries.values()])
    q = "do you sell gift cards"
    res = idx.search(q)
    assert res.answerable and res.best is not None
    # A supervisor said this entry does not answer this (kind of) question: never again.
    idx.add_negative("Do you sell gift cards?", res.best.id)
    blocked = idx.search(q)
    assert not blocked.answerable and "supervisor" in blocked.reason
    assert idx.search("what are your opening hours").answerable  # other entries unaffected


def test_llm_judge_band(salon_index_minilm: KnowledgeIndex) -> None:
    idx = KnowledgeIndex([], embedder=salon_index_minilm.embedder)
    idx.add_many([Entry(e.id, e.question, e.answer, salon_index_minilm.vector(e.id))
                  for e in salon_index_minilm._entries.values()])
    # Find a borderline question (in the judge band) from the salon paraphrases.
    borderline = None
    for qs in load_set("salon")["paraphrases"].values():
        for q in qs:
            feats, _ = idx.features(q)
            p = idx.gate.probability(feats)
            if idx.gate.judge_from <= p < idx.gate.answer_at and "no judge" in idx.search(q).reason:
                borderline = q
                break
        if borderline:
            break
    assert borderline is not None
    assert "no judge" in idx.search(borderline).reason
    seen: list[list[Match]] = []

    def pick_second(question: str, cands):  # type: ignore[no-untyped-def]
        seen.append(list(cands))
        return cands[1].id

    idx.llm_judge = pick_second
    res = idx.search(borderline)
    assert res.answerable and res.best is not None and res.best.id == seen[0][1].id
    idx.llm_judge = lambda q, c: 10_000  # not a candidate: refused
    assert not idx.search(borderline).answerable
    idx.llm_judge = lambda q, c: "escalate"
    assert not idx.search(borderline).answerable

    def broken(q, c):  # type: ignore[no-untyped-def]
        raise RuntimeError("llm down")

    idx.llm_judge = broken
    assert not idx.search(borderline).answerable
    # A question with nothing near it never reaches the judge (the judge could only pick wrongly).
    idx.llm_judge = pick_second
    seen.clear()
    assert not idx.search("what is the capital of france").answerable and not seen


def test_same_question(salon_index_minilm: KnowledgeIndex) -> None:
    same = salon_index_minilm.same_question
    assert same("Do you do lash extensions?", "do you guys do lash extensions")
    assert same("how much is balayage", "what does balayage cost")
    assert same("Are you open on Sunday?", "are you guys open sundays")
    assert not same("Do you do lash extensions?", "Do you do hair extensions?")
    assert not same("Are you open on Sunday?", "Are you open on Saturday?")
    assert not same("How much is a women's haircut?", "How much is a men's haircut?")
    assert not same("do you serve brunch on saturday", "Do you serve brunch?")
    assert not same("", "anything")
    assert not same("Question 1 about dyes?", "Question 2 about dyes?")
    assert not same("table for two tonight?", "table for four tonight?")
    assert not same("round0 question 7 about a treatment", "round1 question 7 about a treatment")


def test_default_embedder_falls_back_when_weights_are_tampered(monkeypatch: pytest.MonkeyPatch) -> None:
    from frontdesk.knowledge import embedding

    def tampered(self: MiniLMEmbedder) -> None:
        raise ModelIntegrityError("sha256 mismatch")

    monkeypatch.setattr(embedding, "_default", None)
    monkeypatch.setattr(embedding, "minilm_available", lambda: True)
    monkeypatch.setattr(MiniLMEmbedder, "_load", tampered)
    emb = embedding.load_default_embedder()
    assert isinstance(emb, embedding.WordLlamaEmbedder)
    # ... and the index then uses the stricter fallback gate.
    from frontdesk.knowledge.gate_params import FALLBACK_GATE

    assert KnowledgeIndex([], embedder=emb).gate is FALLBACK_GATE


def test_only_undecided_matches_are_offered_for_a_read_back(salon_index_minilm: KnowledgeIndex) -> None:
    """`confirm` is set only when the gate could not decide and no judge gave a verdict."""
    idx = KnowledgeIndex([Entry(e.id, e.question, e.answer, salon_index_minilm.vector(e.id))
                          for e in salon_index_minilm._entries.values()], embedder=salon_index_minilm.embedder)
    confident = idx.search("what are your opening hours")
    assert confident.answerable and confident.confirm is None
    unrelated = idx.search("what is the capital of france")
    assert not unrelated.answerable and unrelated.confirm is None
    borderline = next(q for qs in load_set("salon")["paraphrases"].values() for q in qs
                      if idx.search(q).confirm is not None)
    res = idx.search(borderline)
    assert not res.answerable and res.best is None and res.confirm is not None
    assert idx.gate.probability(idx.features(borderline)[0]) >= idx.gate.confirm_from
    assert res.confirm.id == res.matches[0].id
    idx.llm_judge = lambda q, c: "escalate"  # a judge's verdict settles it: nothing to read back
    assert idx.search(borderline).confirm is None
    idx.llm_judge = lambda q, c: 1 / 0  # a failed judge leaves it undecided
    assert idx.search(borderline).confirm is not None
    asked: list[str] = []
    idx.llm_judge = lambda q, c: asked.append(q) or c[0].id  # type: ignore[func-returns-value]
    idx.judge_from = 0.99  # KB_JUDGE_FROM above the match: no judge call, read back instead
    res = idx.search(borderline)
    assert not asked and not res.answerable and res.confirm is not None


def test_a_judges_pick_for_a_weak_match_is_read_back_not_told(salon_index_minilm: KnowledgeIndex) -> None:
    """Below the gate's `judge_from` the LLM only narrows the choice: its pick goes to the caller as a read-back."""
    idx = KnowledgeIndex([Entry(e.id, e.question, e.answer, salon_index_minilm.vector(e.id))
                          for e in salon_index_minilm._entries.values()], embedder=salon_index_minilm.embedder,
                         judge_from=0.05)
    idx.llm_judge = lambda q, c: c[1].id  # picks the runner-up
    p_of = {q: idx.gate.probability(idx.features(q)[0]) for qs in load_set("salon")["paraphrases"].values()
            for q in qs}
    weak = next(q for q, p in p_of.items() if 0.05 <= p < idx.gate.judge_from and "judge picked" in
                idx.search(q).reason)
    strong = next(q for q, p in p_of.items() if idx.gate.judge_from <= p < idx.gate.answer_at and "judge picked" in
                  idx.search(q).reason)
    res = idx.search(weak)
    assert not res.answerable and res.best is None
    assert res.confirm is not None and res.confirm.id == res.matches[1].id and "read back" in res.reason
    told = idx.search(strong)
    assert told.answerable and told.best is not None and told.best.id == told.matches[1].id and told.confirm is None


def test_same_words_with_other_scaffolding_are_not_the_same_question(minilm) -> None:  # type: ignore[no-untyped-def]
    """The "same question" shortcut also needs the sentences to match: the word filter drops "what do I
    need to have with me", which would otherwise make it equal to "how much is ..." (found on a holdout)."""
    kb = [("How much is a hearing test?", "A full hearing test is $90 and takes 45 minutes."),
          ("What are your opening hours?", "Monday to Friday 9am to 5pm."),
          ("Do you sell hearing aid batteries?", "Yes, packs of 6 for $8."),
          ("Where are you located?", "12 Main Street, next to the library."),
          ("Do you take insurance?", "We accept most major insurers; bring your card."),
          ("Do you repair hearing aids?", "Yes, most brands, usually within a week.")]
    idx = KnowledgeIndex([Entry(i + 1, q, a) for i, (q, a) in enumerate(kb)], embedder=minilm)
    assert idx.search("how much is the hearing test").reason == "same question as the entry"
    other = idx.search("what do i need to have with me for the hearing test")
    assert not other.answerable and other.reason != "same question as the entry"
    assert other.confirm is not None and other.confirm.id == 1  # read back instead: the caller decides
