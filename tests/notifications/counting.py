"""A threaded webhook receiver that counts deliveries by `X-Frontdesk-Delivery` id, optionally slow."""

from __future__ import annotations

import http.server
import threading
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import insert

from frontdesk.db import Database
from frontdesk.models import Followup, HelpRequest


class CountingReceiver:
    """Records every POST's delivery id; `processed` is what a de-duplicating receiver would act on."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.raw: Counter[str] = Counter()
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with outer.lock:
                    outer.raw[self.headers.get("X-Frontdesk-Delivery", "")] += 1
                if outer.delay:
                    time.sleep(outer.delay)  # a slow receiver, so a kill lands mid-batch
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.raw.values())

    def processed(self) -> set[str]:
        with self.lock:
            return set(self.raw)

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {k: v for k, v in self.raw.items() if v > 1}


def seed_webhook_rows(db: Database, count: int, url: str, now: datetime) -> list[str]:
    """`count` pending help requests, each with one queued webhook alert; returns their dedupe keys."""
    with db.write() as s:
        requests = [
            HelpRequest(question=f"Question number {i}?", normalized_question=f"question number {i} {now}",
                        status="pending", created_at=now, expires_at=now.replace(year=now.year + 1))
            for i in range(count)
        ]
        s.add_all(requests)
        s.flush()
        keys = [f"supervisor_alert:{r.id}:webhook" for r in requests]
        s.execute(insert(Followup), [
            {"help_request_id": r.id, "kind": "supervisor_alert", "channel": "webhook", "recipient": url,
             "status": "queued", "attempts": 0, "next_attempt_at": now, "created_at": now, "payload": {},
             "body": "", "dedupe_key": key}
            for r, key in zip(requests, keys, strict=True)
        ])
    return keys
