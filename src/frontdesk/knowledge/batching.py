"""An embedder wrapper for question texts: one forward pass per distinct text, and concurrent
questions embedded together.

Under many live calls, searches arrive from several threads at once. The wrapped MiniLM costs
~5 ms for one short question on onnxruntime (~11 ms in NumPy) but only about half that per
question in a pass over 8, because few-token matrix products use the CPU poorly. So
:class:`BatchingEmbedder`:

* caches vectors by exact text (LRU), so an escalation's question, embedded by the search and
  again for duplicate grouping, costs one forward pass per process;
* lets concurrent callers share passes: a thread that finds the model idle runs one pass over
  everything queued at that moment (its own texts included) and hands each waiting thread its
  rows; a thread that finds it busy queues its texts and waits. No timer and no extra thread:
  a lone question never waits for company, and nothing needs starting or stopping (fork-safe).

Bulk work (building an index of thousands of entries) bypasses both: it would only evict the
questions and hold the model for seconds.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future

import numpy as np

from .embedding import Embedder

log = logging.getLogger(__name__)

#: Texts in one call above this are bulk (entry vectors): embedded directly, not cached.
BULK_TEXTS = 64
#: Most texts in one shared pass; a wider pass would make its first caller wait too long.
MAX_BATCH = 16
CACHE_SIZE = 4096


class BatchingEmbedder:
    """Thread-safe, caching, micro-batching wrapper around another :class:`Embedder`."""

    def __init__(self, inner: Embedder, cache_size: int = CACHE_SIZE, max_batch: int = MAX_BATCH) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.cache_size, self.max_batch = cache_size, max_batch
        self._cond = threading.Condition()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._inflight: dict[str, Future[np.ndarray]] = {}
        self._queue: list[str] = []
        self._busy = False
        self.passes = 0  # forward passes run (for tests and benches)
        self.hits = 0  # texts served from the cache

    def embed(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dim)`` unit rows, equal to ``inner.embed(texts)`` row for row.

        More than ``BULK_TEXTS`` texts (an index build) go straight to the wrapped embedder.
        """
        if len(texts) > BULK_TEXTS:
            return self.inner.embed(list(texts))
        return self.embed_questions(texts)

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        """Like :meth:`embed`, always through the cache and the shared passes (any number of texts)."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        rows: dict[str, np.ndarray] = {}
        waits: dict[str, Future[np.ndarray]] = {}
        with self._cond:
            for t in dict.fromkeys(texts):
                cached = self._cache.get(t)
                if cached is not None:
                    self._cache.move_to_end(t)
                    self.hits += 1
                    rows[t] = cached
                    continue
                fut = self._inflight.get(t)
                if fut is None:  # nobody is embedding this text yet: queue it
                    fut = self._inflight[t] = Future()
                    self._queue.append(t)
                waits[t] = fut
        if waits:
            self._drive(waits)
            for t, fut in waits.items():
                rows[t] = fut.result()  # re-raises the pass's error in every waiting thread
        return np.stack([rows[t] for t in texts])

    def _drive(self, waits: dict[str, Future[np.ndarray]]) -> None:
        """Return once every future in ``waits`` is done, running passes while the model is idle."""
        while True:
            with self._cond:
                while self._busy and not all(f.done() for f in waits.values()):
                    self._cond.wait()
                if all(f.done() for f in waits.values()):
                    return
                # Idle model and some of our texts still queued: lead a pass over the queue head.
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
                self._busy = True
            try:
                vecs: np.ndarray | None = self.inner.embed(batch)
                error: BaseException | None = None
            except BaseException as exc:  # handed to every thread waiting on these texts
                vecs, error = None, exc
            with self._cond:
                self._busy = False
                self.passes += 1
                for j, t in enumerate(batch):
                    fut = self._inflight.pop(t)
                    if vecs is None:
                        fut.set_exception(error or RuntimeError("embedding failed"))
                        continue
                    v = vecs[j].copy()
                    v.setflags(write=False)  # shared by every caller of this text: never mutated
                    self._cache[t] = v
                    fut.set_result(v)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
                self._cond.notify_all()

    def cached(self, text: str) -> bool:
        """Whether ``text``'s vector is in the cache."""
        with self._cond:
            return text in self._cache
