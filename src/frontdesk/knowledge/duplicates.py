"""Duplicate knowledge entries: exact ones are refused (form, API) or skipped (import); near ones are
pointed out so a supervisor can merge them by hand.

"Exact" means the same question once case, punctuation and spacing are ignored
(`text.normalize_question`), among entries that are not archived. "Near" means the knowledge base's
own search ranks another entry at least NEAR_SCORE similar to the new question.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk.errors import Conflict
from frontdesk.models import KnowledgeEntry
from frontdesk.text import normalize_question

NEAR_SCORE = 0.7


class DuplicateEntry(Conflict):
    """An entry with the same question exists already (`existing_id`); a 409 `duplicate`."""

    code = "duplicate"

    def __init__(self, existing_id: int) -> None:
        super().__init__(f"entry #{existing_id} already has this question; edit that one instead", "duplicate")
        self.existing_id = existing_id


def question_index(session: Session) -> dict[str, int]:
    """Normalised question -> id of every entry that is not archived (the oldest one wins)."""
    rows = session.execute(select(KnowledgeEntry.id, KnowledgeEntry.question)
                           .where(KnowledgeEntry.status != "archived").order_by(KnowledgeEntry.id.desc()))
    return {normalize_question(q): entry_id for entry_id, q in rows}


def refuse_exact(session: Session, question: str) -> None:
    """Raise `DuplicateEntry` when a live entry already has this question."""
    existing = question_index(session).get(normalize_question(question))
    if existing is not None:
        raise DuplicateEntry(existing)


def near_duplicate(kb: Any, question: str, exclude_id: int) -> Any:
    """The most similar other entry when it is at least NEAR_SCORE similar, else None."""
    result = kb.search(question, k=3, judge=False)
    for match in result.matches:
        if match.id != exclude_id and match.score >= NEAR_SCORE:
            return match
    return None
