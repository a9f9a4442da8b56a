#!/usr/bin/env python3
"""Dashboard benchmark: page render times with 10,000 pending and 100,000 historical help requests,
and live-update latency to 50 simultaneous server-sent-event subscribers.

    .venv/bin/python bench/dashboard.py [--database-url URL] [--pending N] [--history N] [--subscribers N]
    .venv/bin/python bench/dashboard.py --analytics [--database-url URL] [--runs N] [--phase all|load|time]

`--analytics` runs bench/dashboard_analytics.py instead: 30 days, 100,000 requests, 1,000,000 events;
/analytics and the API p95 < 300 ms, the priority queue at 10,000 pending p95 < 100 ms.

Pages are rendered through the real app (Flask test client, logged in); the SSE part runs the app
on waitress on a free 127.0.0.1 port and opens real HTTP streams. Targets: p95 < 150 ms per page;
every subscriber sees a new request within 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import logging
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, text

from frontdesk.demo import seed_demo
from frontdesk.migrate import upgrade
from frontdesk.models import Call, Event, HelpRequest, HelpRequestCaller, TranscriptLine
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.web import create_app

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
CHUNK = 5000
WORDS = ["colour", "parking", "keratin", "wedding", "dogs", "nails", "beard", "perm", "gift", "kids"]


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, secret_key="bench-" + "k" * 40, env="test",  # type: ignore[call-arg]
                    request_timeout_seconds=1800, web_threads=80)


def reset_postgres(url: str) -> None:
    from frontdesk.db import Database

    db = Database(url)
    db.drop_everything()
    db.dispose()


def bulk_load(svc: Services, pending: int, history: int) -> None:
    """Insert requests, their callers, calls, transcript lines and events in chunks (Core executemany)."""
    now = svc.clock.now()
    started = time.perf_counter()
    total = pending + history
    with svc.db.write() as s:
        for start in range(0, total, CHUNK):
            reqs, calls, lines, waiters, events = [], [], [], [], []
            for i in range(start, min(start + CHUNK, total)):
                word = WORDS[i % len(WORDS)]
                created = now - timedelta(seconds=(total - i) * 3)
                q = f"Question {i} about {word} for the salon?"
                row: dict[str, Any] = dict(id=i + 1, question=q, normalized_question=q.lower().rstrip("?"),
                                           priority=0, created_at=created, reminder_sent=False,
                                           expires_at=created + timedelta(seconds=1800))
                call_id = f"{i + 1:032x}"
                if i >= history:  # the newest are pending, most callers still on the line
                    row.update(status="pending", created_at=now - timedelta(seconds=total - i),
                               expires_at=now + timedelta(seconds=1800 - (total - i) % 1700))
                    calls.append(dict(id=call_id, channel="text", status="live" if i % 3 else "ended",
                                      caller_phone=f"+1555{i:07d}", caller_name="", started_at=created,
                                      last_seen_at=now))
                    lines += [dict(call_id=call_id, role="agent", text="Glow Hair Studio, how can I help?", at=created),
                              dict(call_id=call_id, role="caller", text=q, at=created)]
                    row["origin_call_id"] = call_id
                elif i % 4:
                    row.update(status="resolved", outcome="answered", resolved_at=created + timedelta(minutes=5),
                               answer=f"Answer {i}", answered_by="sup@example.com")
                else:
                    row.update(status="unresolved", outcome="timeout", ended_at=row["expires_at"])
                row.setdefault("origin_call_id", None)
                for k in ("resolved_at", "answer", "answered_by", "outcome", "ended_at"):
                    row.setdefault(k, None)
                reqs.append(row)
                waiters.append(dict(help_request_id=i + 1, call_id=row["origin_call_id"], caller_phone=f"+1555{i:07d}",
                                    caller_name="", question=q, joined_at=created))
                events.append(dict(help_request_id=i + 1, entity="help_request", entity_id=str(i + 1),
                                   action="created", actor="agent", at=created, details={}))
                if row["status"] != "pending":
                    events.append(dict(help_request_id=i + 1, entity="help_request", entity_id=str(i + 1),
                                       action=row["outcome"], actor="sup@example.com", at=created, details={}))
            if calls:
                s.execute(insert(Call), calls)
            s.execute(insert(HelpRequest), reqs)
            s.execute(insert(HelpRequestCaller), waiters)
            s.execute(insert(Event), events)
            if lines:
                s.execute(insert(TranscriptLine), lines)
    if not svc.db.is_sqlite:
        with svc.db.engine.begin() as conn:
            conn.execute(text("SELECT setval('help_requests_id_seq', (SELECT max(id) FROM help_requests))"))
        # What autovacuum does soon after a bulk load: statistics and the visibility map.
        with svc.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with svc.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"loaded {pending:,} pending + {history:,} historical requests in {time.perf_counter() - started:.1f} s")


def measure(client: Any, url: str, runs: int) -> tuple[float, float, float]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], 1000 / statistics.mean(times)


def serve_quietly(server: Any) -> None:
    """Run waitress until `close()`; closing from another thread ends its select loop with EBADF."""
    with contextlib.suppress(OSError):
        server.run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_login(base: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    form = urllib.parse.urlencode({"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)}).encode()
    opener.open(base + "/login", data=form, timeout=10).read()
    cookie = next(c for c in jar if c.name == "frontdesk_session")
    return f"{cookie.name}={cookie.value}"


def sse_latency(app: Any, port: int, subscribers: int, publisher: Services) -> list[float]:
    """Open `subscribers` /events streams, create one request through `publisher`, time its arrival."""
    feed = app.extensions.get("frontdesk_live")
    deadline = time.monotonic() + 10
    while feed is not None and feed.subscriber_count() and time.monotonic() < deadline:
        time.sleep(0.05)  # streams of the previous round notice their clients left
    cookie = http_login(f"http://127.0.0.1:{port}")
    ready = threading.Barrier(subscribers + 1, timeout=30)
    arrived: dict[int, float] = {}
    target: dict[str, str] = {}
    done = threading.Event()

    def subscriber(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/events", headers={"Cookie": cookie, "Accept": "text/event-stream"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.status
        resp.readline()  # "retry: ..."
        resp.readline()
        ready.wait()
        buf = ""
        while not done.is_set():
            line = resp.readline().decode()
            if not line:
                break
            buf += line
            if "marker" in target and f'"id": {target["marker"]}' in buf:
                arrived[n] = time.perf_counter()
                break
        conn.close()

    threads = [threading.Thread(target=subscriber, args=(n,), daemon=True) for n in range(subscribers)]
    for t in threads:
        t.start()
    ready.wait()
    time.sleep(0.3)  # every stream is parked waiting for its next batch
    feed = app.extensions["frontdesk_live"]
    while feed.subscriber_count() < subscribers:
        time.sleep(0.05)
    t0 = time.perf_counter()
    rid = publisher.desk.escalate(f"Live request at {time.time()}", caller_phone="+15550000000").request_id
    target["marker"] = str(rid)
    for t in threads:
        t.join(timeout=5)
    done.set()
    return sorted((arrived.get(n, float("inf")) - t0) * 1000 for n in range(subscribers))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--analytics", action="store_true", help="the analytics / priority-queue bench")
    parser.add_argument("--phase", choices=("all", "load", "time"), default="all",
                        help="--analytics only: load the data into --database-url, or time what is there")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="fd-bench-")
    url = args.database_url or f"sqlite:///{tmp}/bench.db"
    if args.phase != "all" and not args.database_url:
        parser.error("--phase load/time needs --database-url (a file SQLite database or PostgreSQL)")
    if args.phase != "time":
        if url.startswith("postgres"):
            reset_postgres(url)
        elif args.phase == "load":
            with contextlib.suppress(FileNotFoundError):
                os.remove(url.removeprefix("sqlite:///"))
    svc = build_services(settings_for(url))
    upgrade(svc.db)  # in the time phase: the migrations added since the load (and their back-fills)
    if args.phase != "time":
        seed_demo(svc.db, svc.clock, svc.knowledge)
        svc.accounts.create(EMAIL, PASSWORD)
    if args.analytics:
        return analytics_bench(svc, args)
    bulk_load(svc, args.pending, args.history)
    app = create_app(services=svc)
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    token = client.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).get_json()["token"]
    dialect = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"\n{dialect}, {args.pending:,} pending + {args.history:,} historical; {args.runs} runs per page")
    print(f"{'page':44} {'median ms':>10} {'p95 ms':>8} {'req/s':>7}")
    worst = 0.0
    newest = args.pending + args.history
    for url_ in ["/pending", f"/pending/cards?ids={newest},{newest - 1}", "/resolved", "/resolved?page=200",
                 "/unresolved", "/unresolved?outcome=timeout", "/resolved?q=keratin", f"/requests/{newest - 5}",
                 "/knowledge", "/profile"]:
        med, p95, rps = measure(client, url_, args.runs)
        worst = max(worst, p95)
        print(f"{url_:44} {med:10.1f} {p95:8.1f} {rps:7.0f}")
    h = {"Authorization": f"Bearer {token}"}

    class ApiClient:
        def get(self, u: str) -> Any:
            return client.get(u, headers=h)

    for url_ in ["/api/v1/help-requests?status=pending", "/api/v1/help-requests?status=resolved&page=100"]:
        med, p95, rps = measure(ApiClient(), url_, args.runs)
        print(f"{url_:44} {med:10.1f} {p95:8.1f} {rps:7.0f}")

    from waitress.server import create_server

    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=args.subscribers + 16,
                           channel_request_lookahead=1)
    threading.Thread(target=serve_quietly, args=(server,), daemon=True).start()
    other = build_services(settings_for(url))  # "another process": own signals, same database
    try:
        print(f"\nSSE: {args.subscribers} subscribers over HTTP (waitress, {args.subscribers + 16} threads)")
        for label, publisher in (("same process (signal wake-up)", svc), ("other process (250 ms poll)", other)):
            lat = sse_latency(app, port, args.subscribers, publisher)
            got = sum(1 for x in lat if x != float("inf"))
            print(f"  {label:32} received {got}/{args.subscribers}; median {statistics.median(lat):.0f} ms, "
                  f"p95 {lat[int(len(lat) * 0.95) - 1]:.0f} ms, max {lat[-1]:.0f} ms")
            worst_sse = lat[-1]
            if worst_sse > 1000:
                print("  FAIL: a subscriber waited more than 1 s")
                return 1
    finally:
        logging.getLogger("waitress").setLevel(logging.CRITICAL)  # streams cut by the shutdown are expected
        server.close()
        other.stop()
        svc.stop()
    print(f"\nworst page p95 {worst:.1f} ms (target < 150 ms): {'ok' if worst < 150 else 'FAIL'}")
    return 0 if worst < 150 else 1


def analytics_bench(svc: Services, args: Any) -> int:
    """bench/dashboard_analytics.py on these services (logged-in client and a bearer token)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import dashboard_analytics

    app = create_app(services=svc)
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    token = client.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).get_json()["token"]
    dialect = "PostgreSQL" if svc.db.engine.url.get_backend_name().startswith("postgres") else "SQLite"
    try:
        if args.phase != "time":
            dashboard_analytics.load(svc)
        if args.phase == "load":
            return 0
        print(f"analytics bench on {dialect}; {args.runs} runs per GET")
        return int(dashboard_analytics.run(svc, client, token, args.runs))
    finally:
        svc.stop()


if __name__ == "__main__":
    sys.exit(main())
