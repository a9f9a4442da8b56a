"""The onnxruntime MiniLM encoder gives the NumPy encoder's vectors, and the backend choice works."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk.knowledge.embedding import MiniLMEmbedder, minilm_available, set_default_backend
from frontdesk.knowledge.onnx_minilm import onnx_available
from frontdesk.services import build_services
from tests.conftest import make_settings

from .conftest import load_set

pytestmark = [
    pytest.mark.skipif(not minilm_available(), reason="MiniLM weights not installed"),
    pytest.mark.skipif(not onnx_available(), reason="onnx / onnxruntime not installed"),
]


def eval_texts() -> list[str]:
    """Every question of the salon eval set, plus the entries' indexed texts (longer, padded in batches)."""
    salon = load_set("salon")
    texts = [q for qs in salon["paraphrases"].values() for q in qs] + list(salon["out_of_kb"])
    return texts + [f"{e['question']} {e['answer']}" for e in salon["entries"]]


@pytest.fixture(scope="module")
def pair() -> tuple[MiniLMEmbedder, MiniLMEmbedder]:
    onnx, numpy = MiniLMEmbedder(backend="onnx"), MiniLMEmbedder(backend="numpy")
    assert onnx.uses_onnx and not numpy.uses_onnx
    return onnx, numpy


def test_onnx_matches_numpy_on_the_eval_questions(pair: tuple[MiniLMEmbedder, MiniLMEmbedder]) -> None:
    onnx, numpy = pair
    texts = eval_texts()
    a, b = onnx.embed(texts), numpy.embed(texts)  # batched: padding and the attention mask matter
    cos = (a * b).sum(1)
    assert cos.min() >= 0.99999, texts[int(cos.argmin())]
    one = np.stack([onnx.embed([t])[0] for t in texts[:20]])  # and one by one, unpadded
    assert ((one * b[:20]).sum(1)).min() >= 0.99999


def test_onnx_keeps_the_reference_cosines(pair: tuple[MiniLMEmbedder, MiniLMEmbedder]) -> None:
    # The sentence-transformers reference pairs of test_retrieval, on the onnxruntime path.
    v = pair[0].embed(["what time do you open on saturday", "hours of operation",
                       "do you do lash extensions", "we offer hair extensions"])
    assert abs(float(v[0] @ v[1]) - 0.2746) < 2e-3
    assert abs(float(v[2] @ v[3]) - 0.5854) < 2e-3


def test_backend_from_settings_and_bad_names(tmp_path: Path) -> None:
    build_services(make_settings(f"sqlite:///{tmp_path}/fd.db", embedding_backend="numpy")).stop()
    try:
        assert MiniLMEmbedder().backend == "numpy"
    finally:
        set_default_backend("auto")
    assert MiniLMEmbedder().backend == "auto"
    with pytest.raises(ValueError, match="unknown embedding backend"):
        MiniLMEmbedder(backend="torch")
    with pytest.raises(ValueError, match="unknown embedding backend"):
        set_default_backend("torch")
    with pytest.raises(ValueError, match="embedding_backend"):
        make_settings(f"sqlite:///{tmp_path}/fd.db", embedding_backend="torch")


def test_auto_falls_back_to_numpy_when_onnx_cannot_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from frontdesk.knowledge import onnx_minilm

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("no runtime today")

    monkeypatch.setattr(onnx_minilm, "OnnxEncoder", broken)
    emb = MiniLMEmbedder(backend="auto")
    assert not emb.uses_onnx
    assert emb.embed(["what time do you open"]).shape == (1, 384)
    with pytest.raises(RuntimeError, match="no runtime today"):
        MiniLMEmbedder(backend="onnx")._load()
