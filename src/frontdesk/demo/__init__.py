"""The demo business: a hair salon with a starter knowledge base."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select

from frontdesk.clock import Clock
from frontdesk.db import Database
from frontdesk.knowledge.store import KnowledgeBase
from frontdesk.models import BusinessProfile, KnowledgeEntry


def demo_data() -> dict[str, Any]:
    """The demo salon's profile and knowledge as shipped in the package."""
    return json.loads(resources.files(__package__).joinpath("salon.json").read_text("utf-8"))


def seed_demo(db: Database, clock: Clock, kb: KnowledgeBase) -> tuple[bool, int]:
    """Load the demo profile and the seed entries not already present. Idempotent.

    Returns (profile written, entries added).
    """
    data = demo_data()
    now = clock.now()
    with db.write() as s:
        existing = s.get(BusinessProfile, 1)
        profile_written = existing is None
        if existing is None:
            s.add(BusinessProfile(id=1, updated_at=now, updated_by="seed", **data["profile"]))
        elif not existing.opening_hours and existing.updated_by == "seed":
            # A demo database seeded before structured hours existed gets them; an edited profile is kept.
            existing.opening_hours = data["profile"]["opening_hours"]
            existing.timezone = data["profile"]["timezone"]
        have = set(s.scalars(select(KnowledgeEntry.question).where(KnowledgeEntry.source == "seed")))
        added = 0
        for item in data["knowledge"]:
            if item["question"] not in have:
                kb.add(s, item["question"], item["answer"], source="seed", by="seed", now=now)
                added += 1
    return profile_written, added
