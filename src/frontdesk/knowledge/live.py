"""A per-process :class:`KnowledgeIndex` kept in step with the ``knowledge_entries`` table.

Every process (dashboard, agent worker, text-call hub) holds its own in-memory index. Before a
search it checks a cheap signature of the table (row count, served count, newest
``updated_at``, highest id)
at most every ``min_interval`` seconds, or at once after a write through this process; when the
signature moved it diffs the served rows and embeds or fetches only what changed. So an entry
learned or edited in any process is searchable everywhere within about a second, and archived,
pending-review and expired entries are never served.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select, update

from .batching import BatchingEmbedder
from .embedding import Embedder, load_default_embedder
from .retrieval import (
    Entry,
    KnowledgeIndex,
    LLMJudge,
    SearchResult,
    deserialize_vector,
    entry_text,
    serialize_vector,
)

log = logging.getLogger(__name__)

SERVED = "active"
#: Near misses loaded per process (newest first); far more than any business records.
MAX_NEAR_MISSES = 5000


class LiveIndex:
    """The knowledge index of one process, refreshed from the database on demand."""

    def __init__(self, db: Any, now: Callable[[], datetime], min_interval: float = 0.5,
                 embedder_factory: Callable[[], Embedder] = load_default_embedder,
                 llm_judge: LLMJudge | None = None, judge_from: float | None = None) -> None:
        self.db, self._now, self.min_interval = db, now, min_interval
        self.llm_judge, self.judge_from = llm_judge, judge_from
        self._embedder_factory = embedder_factory
        self._lock = threading.RLock()
        self._index: KnowledgeIndex | None = None
        self._signature: tuple | None = None
        self._checked_at = 0.0
        self._dirty = True
        self._texts: dict[int, tuple[str, str]] = {}
        self._next_expiry: datetime | None = None
        self._embedder: BatchingEmbedder | None = None

    # -- vectors for the store ------------------------------------------------------------
    @property
    def embedder(self) -> BatchingEmbedder:
        """The process-wide embedder (loaded on first use) behind this index's query cache and batcher.

        Searches, escalation grouping and entry writes all embed through it, so a question asked
        once costs one forward pass however many of them look at it.
        """
        emb = self._embedder
        if emb is None:
            with self._lock:
                if self._embedder is None:
                    self._embedder = BatchingEmbedder(self._embedder_factory())
                emb = self._embedder
        return emb

    def vectors_for(self, pairs: list[tuple[str, str]]) -> list[tuple[bytes, str]]:
        """``(embedding blob, model id)`` for ``(question, answer)`` pairs, batched."""
        emb = self.embedder
        if not pairs:
            return []
        vecs = emb.embed([entry_text(q, a) for q, a in pairs])
        return [(serialize_vector(v), emb.model_id) for v in vecs]

    def mark_dirty(self) -> None:
        """A write happened in this process: re-check the table before the next search."""
        self._dirty = True

    # -- refresh ----------------------------------------------------------------------------
    def _model(self):
        from frontdesk.models import KnowledgeEntry  # the store's model; imported lazily

        return KnowledgeEntry

    def refresh(self, force: bool = False) -> KnowledgeIndex:
        """The up-to-date index (cheap when nothing changed)."""
        with self._lock:
            mono = time.monotonic()
            now = self._now()
            expired = self._next_expiry is not None and now >= self._next_expiry
            due = force or self._dirty or expired or self._index is None or (
                mono - self._checked_at >= self.min_interval)
            if not due:
                assert self._index is not None
                return self._index
            self._checked_at = mono
            ke = self._model()
            with self.db.read() as s:
                # Served count catches status flips even when updated_at did not move (a frozen
                # test clock); updated_at catches edits; max(id) catches inserts.
                sig = tuple(s.execute(select(
                    func.count(ke.id), func.count(ke.id).filter(ke.status == SERVED),
                    func.max(ke.updated_at), func.max(ke.id))).one())
                nm = self._near_miss_model()
                sig += tuple(s.execute(select(func.count(nm.id), func.max(nm.id))).one())
            if self._index is not None and sig == self._signature and not self._dirty and not expired:
                return self._index
            self._dirty = False
            self._sync(sig, now)
            assert self._index is not None
            return self._index

    def _near_miss_model(self):
        from frontdesk.models import NearMiss

        return NearMiss

    def _load_near_misses(self) -> None:
        """Every recorded near miss becomes a negative of its entry (callers' declined read-backs)."""
        nm = self._near_miss_model()
        idx = self._index
        assert idx is not None
        with self.db.read() as s:
            rows = s.execute(select(nm.entry_id, nm.question).order_by(nm.id.desc()).limit(MAX_NEAR_MISSES)).all()
        rows = [r for r in rows if r.entry_id in self._texts]
        vecs: Any = self.embedder.embed_questions([r.question for r in rows]) if rows else []
        idx.set_negatives([(r.entry_id, v) for r, v in zip(rows, vecs, strict=True)])

    def _empty_index(self) -> KnowledgeIndex:
        return KnowledgeIndex([], embedder=self.embedder, llm_judge=self.llm_judge, judge_from=self.judge_from)

    def _sync(self, sig: tuple, now: datetime) -> None:
        ke = self._model()
        if self._index is None:
            self._index = self._empty_index()
        idx = self._index
        with self.db.read() as s:
            rows = s.execute(select(ke.id, ke.question, ke.answer, ke.expires_at).where(ke.status == SERVED)).all()
        served: dict[int, tuple[str, str]] = {}
        next_expiry = None
        for r in rows:
            if r.expires_at is not None:
                if r.expires_at <= now:
                    continue
                next_expiry = r.expires_at if next_expiry is None else min(next_expiry, r.expires_at)
            served[r.id] = (r.question, r.answer)
        for gone in set(self._texts) - set(served):
            idx.remove(gone)
            del self._texts[gone]
        changed = [i for i, qa in served.items() if self._texts.get(i) != qa]
        if changed:
            self._load_vectors(changed, served)
        if self._signature is None or sig[4:] != self._signature[4:] or changed:
            self._load_near_misses()
        self._signature, self._next_expiry = sig, next_expiry

    def _load_vectors(self, ids: list[int], served: dict[int, tuple[str, str]]) -> None:
        ke = self._model()
        idx = self._index
        assert idx is not None
        model_id = idx.embedder.model_id
        blobs: dict[int, tuple[bytes | None, str | None]] = {}
        with self.db.read() as s:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                for r in s.execute(select(ke.id, ke.embedding, ke.embedding_model).where(ke.id.in_(chunk))):
                    blobs[r.id] = (r.embedding, r.embedding_model)
        entries, stale = [], []
        for i in ids:
            q, a = served[i]
            blob, model = blobs.get(i, (None, None))
            vec = None
            if blob is not None and model == model_id:
                vec = deserialize_vector(blob)
                if len(vec) != idx.embedder.dim:
                    vec = None
            if vec is None:
                stale.append(i)
            entries.append(Entry(i, q, a, vec))
        if stale:
            log.info("embedding %d knowledge entries with %s", len(stale), model_id)
        idx.add_many(entries)  # computes the missing vectors in one batch
        for e in entries:
            self._texts[e.id] = served[e.id]
        if stale:
            self._store_vectors([e for e in entries if e.id in set(stale)], model_id)

    def _store_vectors(self, entries: list[Entry], model_id: str) -> None:
        # Best effort: keep the next start fast. Only rows whose text is unchanged are written.
        ke = self._model()
        try:
            with self.db.write() as s:
                for e in entries:
                    assert e.vector is not None
                    s.execute(update(ke).where(ke.id == e.id, ke.question == e.question, ke.answer == e.answer)
                              .values(embedding=serialize_vector(e.vector), embedding_model=model_id))
        except Exception:  # a read-only replica or a lock timeout must not break search
            log.warning("could not store %d recomputed vectors", len(entries), exc_info=True)

    # -- queries ----------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, judge: bool = True) -> SearchResult:
        """Search the served entries; see :meth:`KnowledgeIndex.search`."""
        return self.refresh().search(query, k=k, judge=judge)

    def is_cached(self, text: str) -> bool:
        """Whether ``text``'s vector is cached (False before the embedder is loaded)."""
        emb = self._embedder
        return emb is not None and emb.cached(text)

    def warm(self, texts: list[str]) -> None:
        """Embed question texts into the cache ahead of `same_question` (free if a search just did)."""
        self.embedder.embed_questions(texts)

    def same_question(self, question: str, pending: list[tuple[int, str]]) -> int | None:
        """The id of the pending request asking the same thing as ``question``, if any."""
        if not pending or not question.strip():
            return None
        pending = pending[-500:]  # bound work inside the caller's transaction
        # Outside the lock: a cache miss must not hold up other threads' index refreshes.
        vecs = self.embedder.embed_questions([question] + [p for _, p in pending])
        with self._lock:
            idx = self._index or self._empty_index()
            self._index = idx
            sims = vecs[1:] @ vecs[0]
            for j in np.argsort(-sims)[:3]:
                if idx.same_question_scored(question, pending[j][1], float(sims[j])):
                    return pending[j][0]
        return None
