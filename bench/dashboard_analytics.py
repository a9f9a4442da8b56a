#!/usr/bin/env python3
"""Analytics and priority-queue benchmark (bench/dashboard.py --analytics): 30 days of history,
100,000 help requests (10,000 of them pending), about 150,000 calls and 1,000,000 events loaded with
bulk inserts, then timed through the real app (Flask test client, logged in):

- `/analytics` (page) and `GET /api/v1/analytics` for 30 and 7 days: target p95 < 300 ms;
- the queue with priorities at 10,000 pending (`/pending`, `/pending/order`,
  `GET /api/v1/help-requests?status=pending`): target p95 < 100 ms.

    .venv/bin/python bench/dashboard.py --analytics [--database-url URL] [--runs 40]

The load takes minutes; `--phase load` loads into a file database (or PostgreSQL) once and
`--phase time` times it as often as needed (each run under a few minutes).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from frontdesk.models import Call, Event, Followup, HelpRequest, HelpRequestCaller, KnowledgeEntry
from frontdesk.services import Services

DAYS, REQUESTS, PENDING, EVENTS = 30, 100_000, 10_000, 1_000_000
CHUNK = 10_000
TOPICS = ["parking at the mall garage", "keratin on curly hair", "wedding trials on Sunday", "dogs in the salon",
          "gift cards for the spa", "kids' haircuts on weekdays", "henna tattoos", "beard trims with a razor",
          "balayage for dark hair", "nail art for a party"]
OUTCOMES = ["answered"] * 12 + ["late_answer"] + ["timeout"] * 5 + ["closed"] * 2


def _business_time(rng: random.Random, day_start: datetime) -> datetime:
    """A time of day weighted to opening hours (busiest late morning and early evening)."""
    hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 13, 10, 9, 9, 10, 12, 13, 11, 7,
                                           4, 2, 1, 1])[0]
    return day_start + timedelta(hours=hour, seconds=rng.randrange(3600))


class Loader:
    """Builds the rows in memory chunk by chunk and inserts them with executemany."""

    def __init__(self, svc: Services) -> None:
        self.svc, self.rng = svc, random.Random(15)
        self.now = svc.clock.now()
        self.events: list[dict[str, Any]] = []
        self.n_events = 0
        self.rows: dict[Any, list[dict[str, Any]]] = {Call: [], HelpRequest: [], HelpRequestCaller: [], Followup: []}

    def event(self, at: datetime, entity: str, entity_id: Any, action: str, rid: int | None = None) -> None:
        self.events.append(dict(help_request_id=rid, entity=entity, entity_id=str(entity_id), action=action,
                                actor="agent", at=at, details={}))
        self.n_events += 1

    def flush(self) -> None:
        """Everything built so far, parents first (foreign keys)."""
        with self.svc.db.write() as s:
            for model in (Call, HelpRequest, HelpRequestCaller, Followup):
                if self.rows[model]:
                    s.execute(insert(model), self.rows[model])
                    self.rows[model] = []
            if self.events:
                s.execute(insert(Event), self.events)
                self.events = []

    def load(self) -> None:
        rng, now = self.rng, self.now
        with self.svc.db.write() as s:
            entries = [dict(id=1000 + i, question=f"Entry {i} about {TOPICS[i % 10]}?", answer="Yes.",
                            source="seed" if i < 40 else "learned" if i < 240 else "manual", status="active",
                            times_used=0, created_by="bench", created_at=now - timedelta(days=60),
                            updated_by="bench", updated_at=now - timedelta(days=60)) for i in range(300)]
            s.execute(insert(KnowledgeEntry), entries)
        first_day = datetime.combine((now - timedelta(days=DAYS - 1)).date(), datetime.min.time())
        rid = 0
        calls_per_request = 1.5  # two calls in three escalate; the third is deflected or silent
        total_calls = int(REQUESTS * calls_per_request)
        # Look-ups per call so that, with the requests' own ~2.15 events each, the total is ~1,000,000
        # (a look-up writes ~1.5 events on average: the answer's `used`, a read-back's yes or no).
        budget_per_call = (EVENTS - REQUESTS * 2.15) / total_calls / 1.45
        for i in range(total_calls):
            pending = i >= total_calls - int(PENDING * calls_per_request)
            if pending:
                started = now - timedelta(seconds=rng.randrange(1, 1700))
            else:
                started = _business_time(rng, first_day + timedelta(days=int(i * DAYS / (total_calls * 1.0))))
                started = min(started, now - timedelta(hours=1))
            call_id = f"{i + 1:032x}"
            phone = f"+1555{rng.randrange(40_000):07d}"
            questions = 0
            lookups = max(0, int(budget_per_call + rng.random() - 0.5 + rng.choice((-1, 0, 0, 1))))
            for q in range(lookups):
                at = started + timedelta(seconds=20 + 30 * q)
                kind = rng.choices(("answered", "read_back", "unanswered"), weights=(60, 10, 30))[0]
                self.event(at, "call", call_id, f"lookup_{kind}")
                questions += 1
                if kind == "answered":
                    self.event(at, "knowledge", 1000 + rng.randrange(300), "used")
                elif kind == "read_back":
                    self.event(at, "call", call_id, rng.choice(("read_back_confirmed", "read_back_declined")))
            escalated = i % 3 != 0
            self.rows[Call].append(dict(id=call_id, channel="voice" if i % 4 == 0 else "text",
                                        status="live" if pending and i % 3 else "ended", caller_phone=phone,
                                        caller_name="", started_at=started, last_seen_at=started,
                                        ended_at=None if pending else started + timedelta(minutes=3),
                                        questions=questions, escalations=1 if escalated else 0))
            if escalated and rid < REQUESTS:
                rid = self._request(rid, call_id, phone, started, pending)
            if (i + 1) % CHUNK == 0:
                self.flush()
        self.flush()

    def _request(self, rid: int, call_id: str, phone: str, started: datetime, pending: bool) -> int:
        rng = self.rng
        rid += 1
        created = started + timedelta(seconds=40)
        q = f"Do you have anything for {TOPICS[rid % 10]} ({rid % 997})?"
        row: dict[str, Any] = dict(id=rid, question=q, normalized_question=f"q{rid}", status="pending", priority=0,
                                   origin_call_id=call_id, created_at=created, expires_at=created + timedelta(
                                       seconds=1800), reminder_sent=False, resolved_at=None, ended_at=None,
                                   answer=None, answered_by=None, outcome=None, urgent=rid % 17 == 0,
                                   marked_urgent=None, repeat_caller=rid % 11 == 0)
        self.event(created, "help_request", rid, "created", rid)
        waiters = [(call_id, phone)] + ([(None, f"+1556{rid:07d}")] if rid % 5 == 0 else [])
        for j, (cid, ph) in enumerate(waiters):
            self.rows[HelpRequestCaller].append(dict(help_request_id=rid, call_id=cid, caller_phone=ph,
                                                     caller_name="", question=q, joined_at=created))
            if j:
                self.event(created, "help_request", rid, "caller_joined", rid)
        self.rows[Followup].append(dict(help_request_id=rid, call_id=None, kind="supervisor_alert", channel="webhook",
                                        recipient="https://hooks.example/x", body="", payload={}, status="sent",
                                        attempts=1, next_attempt_at=created, dedupe_key=f"a:{rid}",
                                        created_at=created, sent_at=created))
        if not pending:
            outcome = rng.choice(OUTCOMES)
            wait = timedelta(seconds=rng.choice((25, 90, 240, 600, 1200)) + rng.randrange(60))
            if outcome == "answered":
                row.update(status="resolved", resolved_at=created + wait, answer="Yes.", answered_by="s@example.com")
            elif outcome == "late_answer":
                row.update(status="resolved", ended_at=created + timedelta(seconds=1800),
                           resolved_at=created + timedelta(hours=3), answer="Yes.", answered_by="s@example.com")
                self.event(created + timedelta(seconds=1800), "help_request", rid, "timeout", rid)
            else:
                row.update(status="unresolved", ended_at=created + (timedelta(seconds=1800) if outcome == "timeout"
                                                                     else wait))
            row["outcome"] = outcome
            end = row["resolved_at"] or row["ended_at"]
            self.event(end, "help_request", rid, outcome, rid)
            kind = {"answered": "caller_answer", "late_answer": "caller_answer", "timeout": "caller_timeout",
                    "closed": "caller_closed"}[outcome]
            for j, (cid, ph) in enumerate(waiters):
                status = rng.choices(("sent", "failed", "dead"), weights=(95, 3, 2))[0]
                self.rows[Followup].append(dict(help_request_id=rid, call_id=cid, kind=kind,
                                                channel="in_call" if j == 0 and outcome == "answered" else "sms",
                                                recipient=ph, body="", payload={}, status=status, attempts=1,
                                                next_attempt_at=end, dedupe_key=f"{kind}:{rid}:{j}", created_at=end,
                                                sent_at=end if status == "sent" else None))
        self.rows[HelpRequest].append(row)
        return rid


def finish(svc: Services) -> None:
    """Sequences and statistics, as a long-running database would have them."""
    if svc.db.is_sqlite:
        with svc.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        return
    with svc.db.engine.begin() as conn:
        for table in ("help_requests", "events", "followups", "help_request_callers", "knowledge_entries"):
            conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    with svc.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def measure(get: Any, url: str, runs: int) -> tuple[float, float]:
    """(median, p95) in ms of `runs` GETs after 3 warm-up ones."""
    for _ in range(3):
        r = get(url)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:300])
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, url
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def load(svc: Services) -> None:
    """Load the 30 days (bench/dashboard.py --phase load does only this)."""
    t0 = time.perf_counter()
    loader = Loader(svc)
    loader.load()
    finish(svc)
    with svc.db.read() as s:
        counts = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("help_requests", "calls", "events", "followups")}
    print(f"loaded {counts} in {time.perf_counter() - t0:.0f} s")


def run(svc: Services, client: Any, token: str, runs: int) -> int:
    """Time every page over what is loaded; returns the exit status (1 if a target is missed)."""
    today = svc.clock.now().date()
    last30 = f"from={(today - timedelta(days=29)).isoformat()}&to={today.isoformat()}"
    h = {"Authorization": f"Bearer {token}"}
    api = lambda u: client.get(u, headers=h)  # noqa: E731
    checks = [
        ("/analytics?range=30d", client.get, 300), ("/analytics?range=7d", client.get, 300),
        (f"/api/v1/analytics?{last30}", api, 300), ("/api/v1/analytics", api, 300),
        ("/pending", client.get, 100), ("/pending/order", client.get, 100),
        ("/api/v1/help-requests?status=pending", api, 100), ("/metrics", client.get, 300),
    ]
    print(f"{'GET':58} {'median ms':>10} {'p95 ms':>8} {'target':>7}")
    failed = 0
    for url, get, target in checks:
        med, p95 = measure(get, url, runs)
        ok = p95 < target
        failed += not ok
        print(f"{url:58} {med:10.1f} {p95:8.1f} {('<' + str(target)):>7} {'ok' if ok else 'MISSED'}")
    t1 = time.perf_counter()
    size = len(api(f"/api/v1/analytics/export.csv?{last30}").get_data())
    print(f"CSV export of 30 days: {size / 1e6:.1f} MB in {time.perf_counter() - t1:.1f} s (informational)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit("run through bench/dashboard.py --analytics")
