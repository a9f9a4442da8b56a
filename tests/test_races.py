"""An answer and a timeout racing for the same request: exactly one wins, 1000 trials, threads and processes."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from frontdesk.clock import FakeClock
from frontdesk.db import Database
from frontdesk.lifecycle import HelpDesk
from frontdesk.migrate import upgrade
from frontdesk.models import Event, Followup, HelpRequest
from frontdesk.signals import Signals
from tests import race_harness as rh

TRIALS = 1000
pytestmark = pytest.mark.slow


def _check(url: str, ids: list[int], answers: list[str], sweeps: list[int]) -> Counter[str]:
    winners: Counter[str] = Counter()
    for outcome, swept in zip(answers, sweeps, strict=True):
        # The sweep won exactly when the answer became a late answer.
        assert (outcome == "late_answer") == (swept == 1), (outcome, swept)
        assert outcome in ("answered", "late_answer")
        winners["timeout" if swept else "answer"] += 1
    db = Database(url)
    with db.read() as s:
        rows = s.execute(select(HelpRequest.id, HelpRequest.status, HelpRequest.outcome)).all()
        events = Counter(s.scalars(select(Event.action).where(Event.entity == "help_request")))
        timeouts_told = s.scalar(select(Followup.id).where(Followup.kind == "caller_timeout").limit(1))
    db.dispose()
    assert {r.status for r in rows} == {"resolved"}
    assert events["timeout"] == winners["timeout"] == events["late_answer"]
    assert events["answered"] == winners["answer"]
    assert (timeouts_told is not None) == (winners["timeout"] > 0)
    return winners


def _prepare(db_url: str) -> list[int]:
    db = Database(db_url)
    upgrade(db)
    db.dispose()
    return rh.create_requests(db_url, TRIALS)


def test_answer_vs_timeout_threads(db_url: str) -> None:
    ids = _prepare(db_url)
    barrier = threading.Barrier(2)
    db = Database(db_url)
    results: dict[str, list] = {}

    def play(role: str) -> None:
        desk = HelpDesk(db, FakeClock(), rh.make_settings(db_url), Signals())
        results[role] = rh.run_racer(role, db_url, ids, barrier, desk=desk)

    threads = [threading.Thread(target=play, args=(r,)) for r in ("answer", "sweep")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    db.dispose()
    winners = _check(db_url, ids, results["answer"], results["sweep"])
    assert sum(winners.values()) == TRIALS


def test_answer_vs_timeout_processes(db_url: str) -> None:
    ids = _prepare(db_url)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=rh.process_main, args=(role, db_url, ids, barrier, out)) for role in ("answer", "sweep")]
    for p in procs:
        p.start()
    got = dict(out.get(timeout=600) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    winners = _check(db_url, ids, got["answer"], got["sweep"])
    assert sum(winners.values()) == TRIALS
    # Both sides really raced: each won some trials.
    assert winners["answer"] > 0 and winners["timeout"] > 0, winners
