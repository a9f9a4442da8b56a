#!/usr/bin/env python3
"""Lifecycle throughput: create+answer pairs per second, and the time to sweep 100,000 expired requests.

Usage: bench/lifecycle.py [--pairs N] [--sweep-rows N] [--pg URL]
Runs on a temp SQLite file, and on PostgreSQL when --pg or TEST_DATABASE_URL is given.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `frontdesk` sets it
import statistics
import tempfile
import time
from datetime import timedelta

from sqlalchemy import insert

from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.models import HelpRequest, HelpRequestCaller
from frontdesk.services import build_services
from frontdesk.settings import Settings


def fresh(url: str, clock: FakeClock):  # type: ignore[no-untyped-def]
    svc = build_services(Settings(_env_file=None, database_url=url, secret_key="b" * 40, env="test",
                                  request_timeout_seconds=60), clock=clock)
    if not svc.db.is_sqlite:
        svc.db.drop_everything()
    upgrade(svc.db)
    return svc


def pairs(url: str, n: int) -> dict[str, float]:
    clock = FakeClock()
    svc = fresh(url, clock)
    lat = []
    c0 = time.process_time()
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        rid = svc.desk.escalate(f"bench question {i} about colour", caller_phone="+15550001234").request_id
        svc.desk.answer(rid, f"bench answer {i}", by="bench@example.com")
        lat.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0
    svc.stop()
    lat.sort()
    return {"pairs_per_s": n / total, "cpu_pairs_per_s": n / cpu, "p50_ms": statistics.median(lat) * 1e3, "p95_ms": lat[int(len(lat) * 0.95)] * 1e3}


def sweep(url: str, rows: int) -> dict[str, float]:
    clock = FakeClock()
    svc = fresh(url, clock)
    now = clock.now()
    batch = 10_000
    for start in range(0, rows, batch):
        with svc.db.write() as s:
            ids = list(s.scalars(insert(HelpRequest).returning(HelpRequest.id), [
                {"question": f"q{i}", "normalized_question": f"q{i}", "status": "pending", "priority": 0,
                 "created_at": now, "expires_at": now + timedelta(seconds=60), "reminder_sent": False}
                for i in range(start, min(rows, start + batch))]))
            s.execute(insert(HelpRequestCaller), [
                {"help_request_id": rid, "caller_phone": "+15550001234", "caller_name": "", "question": "q",
                 "joined_at": now} for rid in ids])
    clock.advance(61)
    t0 = time.perf_counter()
    swept = svc.desk.sweep()
    took = time.perf_counter() - t0
    assert swept == rows, swept
    svc.stop()
    return {"rows": rows, "sweep_s": took}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=3000)
    ap.add_argument("--sweep-rows", type=int, default=100_000)
    ap.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", ""))
    args = ap.parse_args()
    targets = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")]
    if args.pg:
        targets.append(("postgresql", args.pg))
    for name, url in targets:
        p = pairs(url, args.pairs)
        print(f"{name:10s} create+answer: {p['pairs_per_s']:7.0f} pairs/s  "
              f"(per CPU-second {p['cpu_pairs_per_s']:.0f}; pair latency p50 {p['p50_ms']:.2f} ms, p95 {p['p95_ms']:.2f} ms; {args.pairs} pairs, one thread)")
        s = sweep(url, args.sweep_rows)
        print(f"{name:10s} sweep: {s['rows']} expired requests in {s['sweep_s']:.2f} s "
              "(status + events + caller follow-ups, one transaction)")


if __name__ == "__main__":
    main()
