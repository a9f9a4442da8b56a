"""The knowledge base: curated and learned Q&A, and the search every consumer shares.

The agent's `lookup_answer`, `GET /api/v1/knowledge/search` and the dashboard's suggested
answers all call `KnowledgeBase.search`, so they always agree.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from frontdesk.audit import record_event
from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.knowledge import simple
from frontdesk.knowledge.live import LiveIndex
from frontdesk.knowledge.retrieval import LLMJudge, SearchResult
from frontdesk.lifecycle import Answered
from frontdesk.models import KB_STATUSES, KnowledgeEntry, NearMiss, table_of
from frontdesk.text import clean

log = logging.getLogger(__name__)

MAX_Q, MAX_A = 1000, 4000
#: A learned entry's question matching an older entry this strongly (cosine to its question + answer,
#: as the search ranks) may contradict it: shown as a possible conflict. A heuristic, for a person to check.
CONFLICT_SIM = 0.70
SERVED = "active"
_ENTRIES = table_of(KnowledgeEntry)
_INSERT_ENTRY = insert(_ENTRIES).returning(_ENTRIES.c.id)


def entry_dict(e: KnowledgeEntry) -> dict[str, Any]:
    """The JSON shape of an entry in the API."""
    return {
        "id": e.id,
        "question": e.question,
        "answer": e.answer,
        "source": e.source,
        "source_request_id": e.source_request_id,
        "status": e.status,
        "times_used": e.times_used,
        "created_by": e.created_by,
        "created_at": e.created_at.isoformat(),
        "updated_by": e.updated_by,
        "updated_at": e.updated_at.isoformat(),
    }


class KnowledgeBase:
    """CRUD, import/export and search over knowledge entries."""

    def __init__(self, db: Database, clock: Clock, review_required: bool = False,
                 llm_judge: LLMJudge | None = None, judge_from: float | None = None) -> None:
        self.db, self.clock, self.review_required = db, clock, review_required
        # Per-process semantic index with the answerable gate; nothing loads until first use.
        self.index = LiveIndex(db, clock.now, llm_judge=llm_judge, judge_from=judge_from)
        self._semantic: bool | None = None

    def _semantic_ok(self) -> bool:
        """Whether an embedder is installed; without one we fall back to word overlap."""
        if self._semantic is None:
            try:
                self.index.embedder  # noqa: B018 - loads (and hash-checks) the model once
                self._semantic = True
            except (ImportError, FileNotFoundError):
                log.warning("no embedding model installed; knowledge search uses word overlap only")
                self._semantic = False
        return self._semantic

    def _vectors(self, pairs: list[tuple[str, str]]) -> list[tuple[bytes | None, str | None]]:
        if not pairs or not self._semantic_ok():
            return [(None, None)] * len(pairs)
        return list(self.index.vectors_for(pairs))

    # -- reading ------------------------------------------------------------------------------
    def search(self, query: str, k: int = 3, judge: bool = True) -> SearchResult:
        """Rank active entries for `query` and decide whether the best may be told to a caller.

        With an LLM judge configured, borderline matches are put to it unless `judge` is False
        (the dashboard's suggestions, which a supervisor reads anyway, skip that cost).
        """
        if self._semantic_ok():
            return self.index.search(clean(query, MAX_Q), k=k, judge=judge)
        with self.db.read() as s:
            rows = s.execute(
                select(KnowledgeEntry.id, KnowledgeEntry.question, KnowledgeEntry.answer).where(
                    KnowledgeEntry.status == SERVED
                )
            ).all()
        return simple.search(clean(query, MAX_Q), [(r.id, r.question, r.answer) for r in rows], k=k)

    def possible_conflicts(self, entries: list[KnowledgeEntry]) -> dict[int, tuple[int, str]]:
        """Learned entries that may contradict an older entry: `{learned id: (other id, other question)}`.

        A supervisor's answer to a question that matched an entry strongly (a caller declined that entry's
        read-back, or the question's cosine to it is >= `CONFLICT_SIM`) is shown for a person to reconcile.
        One embedding per learned entry on the page (cached per process).
        """
        learned = [e for e in entries if e.source == "learned" and e.status == SERVED]
        if not learned or not self._semantic_ok():
            return {}
        index = self.index.refresh()
        with self.db.read() as s:
            declined = dict(s.execute(select(NearMiss.question, NearMiss.entry_id)
                                      .where(NearMiss.question.in_([e.question for e in learned]))).all())
            questions = dict(s.execute(select(KnowledgeEntry.id, KnowledgeEntry.question)
                                       .where(KnowledgeEntry.id.in_(list(declined.values())))).all())
        out = {}
        for e in learned:
            if e.question in declined and declined[e.question] in questions:  # a caller declined its read-back
                out[e.id] = (declined[e.question], questions[declined[e.question]])
                continue
            other = index.closest_other(e.id, e.question)
            if other is not None and other.score >= CONFLICT_SIM and other.id < e.id:
                out[e.id] = (other.id, other.question)
        return out

    def prepare_question(self, question: str) -> None:
        """Embed a new question before the escalation transaction, so grouping inside it is cheap."""
        if self._semantic_ok():
            self.index.warm([clean(question, MAX_Q)])

    def is_prepared(self, question: str) -> bool:
        """Whether `prepare_question` would be free (the question's vector is cached, or no embedder)."""
        if self._semantic is False:
            return True
        return self.index.is_cached(clean(question, MAX_Q))

    def same_question(self, question: str, pending: list[tuple[int, str]]) -> int | None:
        """The id of a pending request asking the same thing as `question`, if any."""
        if self._semantic_ok():
            return self.index.same_question(clean(question, MAX_Q), pending)
        result = simple.search(question, [(i, q, "") for i, q in pending], k=1, threshold=0.9)
        return result.best.id if result.best else None

    def list(self, *, status: str | None = None, q: str = "", limit: int = 100, offset: int = 0) -> list[KnowledgeEntry]:
        """Entries, newest first, optionally filtered by status and a substring."""
        with self.db.read() as s:
            stmt = select(KnowledgeEntry).order_by(KnowledgeEntry.id.desc()).limit(limit).offset(offset)
            if status:
                stmt = stmt.where(KnowledgeEntry.status == status)
            if q:
                like = f"%{q[:100]}%"
                stmt = stmt.where(or_(KnowledgeEntry.question.ilike(like), KnowledgeEntry.answer.ilike(like)))
            return list(s.scalars(stmt))

    def get(self, entry_id: int) -> KnowledgeEntry:
        """One entry or NotFound."""
        with self.db.read() as s:
            entry = s.get(KnowledgeEntry, entry_id)
            if entry is None:
                raise NotFound(f"knowledge entry {entry_id} does not exist")
            return entry

    def count(self) -> int:
        """How many entries exist (any status)."""
        with self.db.read() as s:
            return s.scalar(select(func.count(KnowledgeEntry.id))) or 0

    def mark_used(self, entry_id: int) -> None:
        """Count one use of an entry by the agent."""
        with self.db.write() as s:
            s.execute(
                update(KnowledgeEntry)
                .where(KnowledgeEntry.id == entry_id)
                .values(times_used=KnowledgeEntry.times_used + 1, last_used_at=self.clock.now())
            )

    # -- writing ------------------------------------------------------------------------------
    def add_near_miss(self, question: str, entry_id: int, *, source: str = "read_back") -> None:
        """Record that `entry_id` does not answer `question` (a caller declined its read-back).

        Every process loads it at its next index refresh (<= 0.5 s): a caller with that wording is
        then neither read back nor told that entry again.
        """
        q = clean(question, MAX_Q)
        if not q:
            return
        now = self.clock.now()
        with self.db.write() as s:
            if s.get(KnowledgeEntry, entry_id) is None:
                return
            s.add(NearMiss(entry_id=entry_id, question=q, source=source, created_at=now))
            record_event(s, now, entity="knowledge", entity_id=entry_id, action="near_miss", actor="caller",
                         source=source)
        self.index.mark_dirty()

    def _validated(self, question: str, answer: str) -> tuple[str, str]:
        q, a = clean(question, MAX_Q), clean(answer, MAX_A)
        if not q:
            raise InvalidInput("the question is empty")
        if not a:
            raise InvalidInput("the answer is empty")
        return q, a

    def add(self, session: Session, question: str, answer: str, *, source: str, by: str, now: datetime,
            status: str = SERVED, source_request_id: int | None = None,
            vector: tuple[bytes | None, str | None] | None = None) -> KnowledgeEntry:
        """Insert an entry within an open transaction and record the event.

        The entry's embedding is stored with the row (computed here unless `vector` is given),
        so no process has to recompute it when it loads the index.
        """
        q, a = self._validated(question, answer)
        blob, model = vector if vector is not None else self._vectors([(q, a)])[0]
        values = dict(question=q, answer=a, source=source, status=status, source_request_id=source_request_id,
                      created_by=by, created_at=now, updated_by=by, updated_at=now, times_used=0,
                      embedding=blob, embedding_model=model)
        entry_id = session.execute(_INSERT_ENTRY, values).scalar_one()
        record_event(session, now, entity="knowledge", entity_id=entry_id, action="created", actor=by,
                     help_request_id=source_request_id, source=source, status=status)
        self.index.mark_dirty()
        return KnowledgeEntry(id=entry_id, **values)

    def create(self, question: str, answer: str, *, by: str, source: str = "manual") -> KnowledgeEntry:
        """Add an entry by hand; `DuplicateEntry` (409) when a live entry has the same question."""
        from frontdesk.knowledge.duplicates import refuse_exact

        with self.db.write() as s:
            refuse_exact(s, clean(question, MAX_Q))
            return self.add(s, question, answer, source=source, by=by, now=self.clock.now())

    def learn(self, session: Session, request: Answered, question: str, by: str, now: datetime) -> int:
        """Learn a supervisor's answer (lifecycle hook, inside the answer's transaction)."""
        status = "pending_review" if self.review_required else SERVED
        # No embedding here: it would hold the write lock for a model forward pass. The live index
        # embeds rows without a vector at its next refresh (<= 0.5 s) and stores the vector.
        entry = self.add(session, question, request.answer, source="learned", by=by, now=now,
                         status=status, source_request_id=request.id, vector=(None, None))
        return entry.id

    def update(self, entry_id: int, *, by: str, question: str | None = None, answer: str | None = None,
               status: str | None = None) -> KnowledgeEntry:
        """Edit, approve, archive or restore an entry."""
        if status is not None and status not in KB_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(KB_STATUSES)}")
        now = self.clock.now()
        with self.db.write() as s:
            entry = s.get(KnowledgeEntry, entry_id)
            if entry is None:
                raise NotFound(f"knowledge entry {entry_id} does not exist")
            q, a = self._validated(question if question is not None else entry.question,
                                   answer if answer is not None else entry.answer)
            changed = {k: v for k, v in (("question", q), ("answer", a), ("status", status or entry.status))
                       if getattr(entry, k) != v}
            for k, v in changed.items():
                setattr(entry, k, v)
            if "question" in changed or "answer" in changed or entry.embedding is None:
                entry.embedding, entry.embedding_model = self._vectors([(q, a)])[0]
            self.index.mark_dirty()
            entry.updated_by, entry.updated_at = by, now
            record_event(s, now, entity="knowledge", entity_id=entry_id, action="updated", actor=by,
                         fields=sorted(changed))
            return entry

    def import_json(self, text: str, *, by: str) -> int:
        """Import `[{"question", "answer"}]`; all or nothing. Returns the number imported."""
        return self.import_entries(text, by=by)[0]

    def import_entries(self, text: str, *, by: str) -> tuple[int, int]:
        """Import `[{"question", "answer"}]`, all or nothing; questions the knowledge base (or the file,
        earlier) already has are skipped, so importing a file twice adds nothing. -> (imported, skipped)."""
        from frontdesk.knowledge.duplicates import question_index
        from frontdesk.text import normalize_question

        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
        if not isinstance(data, list):
            raise InvalidInput('expected a JSON list of {"question": ..., "answer": ...} objects')
        pairs = []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or not isinstance(item.get("question"), str) \
                    or not isinstance(item.get("answer"), str):
                raise InvalidInput(f"item {i}: needs string fields 'question' and 'answer'")
            try:
                pairs.append(self._validated(item["question"], item["answer"]))
            except InvalidInput as exc:
                raise InvalidInput(f"item {i}: {exc}") from exc
        now = self.clock.now()
        with self.db.read() as s:
            seen = set(question_index(s))
        fresh = []
        for q, a in pairs:
            if normalize_question(q) not in seen:
                seen.add(normalize_question(q))
                fresh.append((q, a))
        vectors = self._vectors(fresh)  # one batch, outside the write transaction
        with self.db.write() as s:
            known = set(question_index(s))  # again inside: another writer may have added some meanwhile
            added = 0
            for (q, a), vec in zip(fresh, vectors, strict=True):
                if normalize_question(q) not in known:
                    self.add(s, q, a, source="import", by=by, now=now, vector=vec)
                    added += 1
        return added, len(pairs) - added

    def export_json(self) -> str:
        """Active entries as `[{"question", "answer"}]`."""
        with self.db.read() as s:
            rows = s.execute(
                select(KnowledgeEntry.question, KnowledgeEntry.answer)
                .where(KnowledgeEntry.status == SERVED).order_by(KnowledgeEntry.id)
            ).all()
        return json.dumps([{"question": q, "answer": a} for q, a in rows], indent=2, ensure_ascii=False)
