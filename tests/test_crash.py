"""kill -9 of a process mid-write loses nothing committed and leaves nothing half-written."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select, text

from frontdesk.db import Database
from frontdesk.migrate import upgrade
from frontdesk.models import Event, Followup, HelpRequest, HelpRequestCaller, KnowledgeEntry

pytestmark = pytest.mark.slow
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_and_kill(url: str, prefix: str, min_answers: int) -> tuple[set[int], set[int]]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.crash_writer", url, prefix], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    created, answered = set(), set()
    assert proc.stdout is not None
    deadline = time.time() + 120
    while len(answered) < min_answers and time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            pytest.fail("writer died: " + (proc.stderr.read() if proc.stderr else ""))
        verb, rid = line.split()
        (answered if verb == "answered" else created).add(int(rid))
    time.sleep(random.uniform(0, 0.02))  # land somewhere inside the next transaction
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.stdout is not None
    for line in proc.stdout:  # lines printed before the kill still count as committed
        verb, rid = line.split()
        (answered if verb == "answered" else created).add(int(rid))
    return created, answered


def _check_whole(db: Database, created: set[int], answered: set[int]) -> None:
    with db.read() as s:
        requests = {r.id: r for r in s.scalars(select(HelpRequest))}
        actions: dict[int, Counter[str]] = {}
        for rid, action in s.execute(
            select(Event.help_request_id, Event.action).where(Event.entity == "help_request")
        ):
            actions.setdefault(rid, Counter())[action] += 1
        waiters = Counter(s.scalars(select(HelpRequestCaller.help_request_id)))
        followups = Counter((f.help_request_id, f.kind) for f in s.scalars(select(Followup)))
        learned = Counter(s.scalars(select(KnowledgeEntry.source_request_id)))
        if db.is_sqlite:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    assert created <= set(requests) and answered <= set(requests)  # nothing committed is lost
    for rid, req in requests.items():
        # Escalation is all or nothing: request, waiter, event and supervisor alert together.
        assert waiters[rid] == 1 and actions[rid]["created"] == 1 and followups[(rid, "supervisor_alert")] == 1
        if req.status == "resolved":
            # Answer is all or nothing: answer, event, learned entry and caller follow-up together.
            assert req.answer and actions[rid]["answered"] == 1 and learned[rid] == 1
            assert followups[(rid, "caller_answer")] == 1
        else:
            assert req.status == "pending" and rid not in answered
            assert learned[rid] == 0 and followups[(rid, "caller_answer")] == 0


def test_kill_9_mid_write_loses_nothing(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    created, answered = set(), set()
    for round_ in range(3):  # kill, restart, kill again: the store keeps working after each crash
        c, a = _run_and_kill(db_url, f"round{round_}", min_answers=20 + random.randint(0, 30))
        created |= c
        answered |= a
        _check_whole(db, created, answered)
    db.dispose()
