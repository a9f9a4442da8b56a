"""The query embedder wrapper: shared passes return each caller its own rows, the cache is exact,
failures reach every waiter, and real MiniLM batches equal one-by-one embedding."""

from __future__ import annotations

import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from frontdesk.knowledge.batching import BULK_TEXTS, BatchingEmbedder
from frontdesk.knowledge.embedding import MiniLMEmbedder

from .conftest import load_set


class FakeEmbedder:
    """Deterministic unit vectors from the text's crc32; records every call; can be held or fail."""

    model_id = "fake"
    dim = 8

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.hold: threading.Event | None = None
        self.entered = threading.Event()
        self.fail = False

    @staticmethod
    def vector(text: str) -> np.ndarray:
        v = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(8).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(10)
        if self.fail:
            raise RuntimeError("model broke")
        return np.stack([self.vector(t) for t in texts]) if texts else np.zeros((0, 8), np.float32)


def test_rows_match_the_texts_in_order_with_repeats() -> None:
    inner = FakeEmbedder()
    emb = BatchingEmbedder(inner)
    texts = ["b", "a", "b", "c"]
    out = emb.embed(texts)
    assert out.shape == (4, 8)
    for row, t in zip(out, texts, strict=True):
        assert np.array_equal(row, FakeEmbedder.vector(t))
    assert inner.calls == [["b", "a", "c"]]  # each distinct text once
    assert emb.embed([]).shape == (0, 8)


def test_cache_is_exact_text_and_bounded() -> None:
    inner = FakeEmbedder()
    emb = BatchingEmbedder(inner, cache_size=3)
    emb.embed(["Open on Sunday?"])
    # Near-identical texts are different questions to the cache: each gets its own vector.
    for t in ["open on sunday?", "Open on Sunday? ", "Open on Monday?"]:
        assert np.array_equal(emb.embed([t])[0], FakeEmbedder.vector(t))
    assert len(inner.calls) == 4
    assert not emb.cached("Open on Sunday?")  # evicted: least recently used of 4 with room for 3
    emb.embed(["Open on Monday?"])
    assert len(inner.calls) == 4 and emb.hits == 1


def test_cached_vectors_cannot_be_mutated_through_a_result() -> None:
    emb = BatchingEmbedder(FakeEmbedder())
    first = emb.embed(["hours"])
    first[0, :] = 0.0  # the caller's own array
    assert np.array_equal(emb.embed(["hours"])[0], FakeEmbedder.vector("hours"))


def test_concurrent_callers_share_a_pass_and_get_their_own_rows() -> None:
    inner = FakeEmbedder()
    inner.hold = threading.Event()
    emb = BatchingEmbedder(inner, max_batch=16)
    texts = [f"question number {i}" for i in range(9)]
    with ThreadPoolExecutor(9) as pool:
        first = pool.submit(emb.embed, [texts[0]])
        assert inner.entered.wait(10)  # the first caller leads a pass and is held inside the model
        rest = [pool.submit(emb.embed, [t]) for t in texts[1:]]
        while True:  # wait until all eight are queued behind the busy model
            with emb._cond:
                if len(emb._queue) == 8:
                    break
            threading.Event().wait(0.005)
        inner.hold.set()
        results = [first.result(10)] + [f.result(10) for f in rest]
    for t, out in zip(texts, results, strict=True):
        assert out.shape == (1, 8) and np.array_equal(out[0], FakeEmbedder.vector(t))
    assert inner.calls[0] == [texts[0]]
    assert sorted(inner.calls[1]) == sorted(texts[1:]) and len(inner.calls) == 2  # one shared pass


def test_a_failed_pass_reaches_every_waiter_and_is_not_cached() -> None:
    inner = FakeEmbedder()
    inner.fail = True
    emb = BatchingEmbedder(inner)
    with pytest.raises(RuntimeError, match="model broke"):
        emb.embed(["a", "b"])
    assert not emb.cached("a") and not emb._inflight and not emb._queue
    inner.fail = False
    assert np.array_equal(emb.embed(["a"])[0], FakeEmbedder.vector("a"))


def test_bulk_embedding_bypasses_the_cache() -> None:
    inner = FakeEmbedder()
    emb = BatchingEmbedder(inner)
    texts = [f"entry {i}" for i in range(BULK_TEXTS + 1)]
    out = emb.embed(texts)
    assert np.array_equal(out[5], FakeEmbedder.vector("entry 5"))
    assert inner.calls == [texts] and not emb.cached("entry 0")
    emb.embed_questions(texts[:40])  # questions are cached however many there are
    assert emb.cached("entry 0")


def test_minilm_shared_passes_equal_one_by_one(minilm: MiniLMEmbedder) -> None:
    salon = load_set("salon")
    texts = [q for qs in salon["paraphrases"].values() for q in qs][:40]
    alone = np.stack([minilm.embed([t])[0] for t in texts])
    emb = BatchingEmbedder(minilm, max_batch=8)
    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda t: emb.embed([t])[0], texts))
    assert np.abs(np.stack(rows) - alone).max() < 1e-6
    # The padded batch of different lengths too (attention mask and mean pooling ignore padding).
    assert np.abs(minilm.embed(texts) - alone).max() < 1e-6
