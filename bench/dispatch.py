#!/usr/bin/env python3
"""Dispatch throughput: signed webhook follow-ups per second from the outbox to a local receiver.

The receiver runs in its own process (a threaded HTTP/1.1 server counting deliveries by
X-Frontdesk-Delivery), so it does not share the dispatcher's GIL. Prints throughput and the
median/p95 of one delivery (send + record) and of one claimed batch.

    .venv/bin/python bench/dispatch.py [--count 3000] [--db-url postgresql://...] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import http.server
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from frontdesk.clock import SystemClock
from frontdesk.db import Database
from frontdesk.migrate import upgrade
from frontdesk.models import Followup, HelpRequest
from frontdesk.services import build_services
from frontdesk.settings import Settings


def receiver(port_queue: Any, counter: Any, distinct: Any, delay: float) -> None:
    """Child process: accept webhooks, count them (raw and by delivery id)."""
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                counter.value += 1
                seen.add(self.headers.get("X-Frontdesk-Delivery", ""))
                distinct.value = len(seen)
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_address[1])
    server.serve_forever()


def seed(db: Database, count: int, url: str) -> None:
    """`count` pending requests with one queued webhook alert each."""
    now = SystemClock().now()
    with db.write() as s:
        for start in range(0, count, 1000):
            rows = [HelpRequest(question=f"Bench question {i}?", normalized_question=f"bench question {i}",
                                status="pending", created_at=now, expires_at=now + timedelta(days=1))
                    for i in range(start, min(count, start + 1000))]
            s.add_all(rows)
            s.flush()
            s.execute(insert(Followup), [
                {"help_request_id": r.id, "kind": "supervisor_alert", "channel": "webhook", "recipient": url,
                 "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now, "payload": {},
                 "body": "", "dedupe_key": f"supervisor_alert:{r.id}:webhook"} for r in rows])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--db-url", default="")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="receiver think time per request")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.db_url or f"sqlite:///{tmp.name}/bench.db"
    if url.startswith("postgres"):
        from sqlalchemy import text

        pg = Database(url)
        with pg.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public"))
        pg.dispose()
    ctx = mp.get_context("spawn")
    ports, counter, distinct = ctx.Queue(), ctx.Value("i", 0), ctx.Value("i", 0)
    proc = ctx.Process(target=receiver, args=(ports, counter, distinct, args.delay_ms / 1000), daemon=True)
    proc.start()
    hook = f"http://127.0.0.1:{ports.get(timeout=10)}/hook"

    settings = Settings(_env_file=None, database_url=url, env="test", secret_key="bench-" + "k" * 40,  # type: ignore[call-arg]
                        webhook_secret="bench-webhook-secret-0123456789", log_level="WARNING",
                        dispatch_concurrency=args.concurrency, dispatch_batch_size=args.batch)
    svc = build_services(settings)
    upgrade(svc.db)
    seed(svc.db, args.count, hook)

    dispatcher = svc.dispatcher
    deliveries: list[float] = []
    batches: list[float] = []
    original = dispatcher._send

    def timed(claim: Any, message: Any) -> Any:
        t0 = time.perf_counter()
        out = original(claim, message)
        deliveries.append(time.perf_counter() - t0)
        return out

    dispatcher._send = timed  # type: ignore[method-assign]
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        claimed = dispatcher.run_once()
        if not claimed:
            break
        batches.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    with svc.db.read() as s:
        sent = s.scalar(select(func.count()).select_from(Followup).where(Followup.status == "sent"))
    svc.stop()
    proc.terminate()
    tmp.cleanup()

    dialect = "postgresql" if url.startswith("postgres") else "sqlite"
    print(f"dispatch bench: {args.count} webhook follow-ups, {dialect}, concurrency {args.concurrency}, "
          f"batch {args.batch}, receiver delay {args.delay_ms} ms, cpus {os.cpu_count()}")
    print(f"  sent {sent}/{args.count}; receiver got {counter.value} requests, {distinct.value} distinct deliveries")
    print(f"  throughput       {args.count / elapsed:8.1f} follow-ups/s  ({elapsed:.2f} s)")
    print(f"  delivery (send)        median {statistics.median(deliveries) * 1000:6.2f} ms  "
          f"p95 {pct(deliveries, 95) * 1000:6.2f} ms")
    print(f"  batch of {args.batch}      median {statistics.median(batches) * 1000:6.2f} ms  "
          f"p95 {pct(batches, 95) * 1000:6.2f} ms")
    ok = sent == args.count == distinct.value == counter.value
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
