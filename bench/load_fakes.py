"""Local stand-ins for the outside world of a load run, counting every delivery.

- `FakeTwilio`: enough of Twilio's Messages API for `twilio` 9.x (create, and the list the dispatcher
  reads before re-sending a message whose earlier attempt may have gone out). Counts texts per
  (to, body): a text delivered twice is a follow-up sent twice.
- `WebhookReceiver`: counts supervisor-alert webhooks per `X-Frontdesk-Delivery` id.

Both are threaded HTTP servers on 127.0.0.1 (random port) inside the bench process, with an optional
delay per request so a kill -9 of a dispatcher can land while sends are in flight.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15550000000"


class _Server:
    def __init__(self, handler: type[http.server.BaseHTTPRequestHandler]) -> None:
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class FakeTwilio(_Server):
    """Records texts; `sent[(to, body)]` is how many times each one arrived."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.sent: Counter[tuple[str, str]] = Counter()
        self.lists = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                if outer.delay:
                    time.sleep(outer.delay)
                msg = {"sid": "SM" + uuid.uuid4().hex, "account_sid": ACCOUNT_SID, "to": form.get("To", ""),
                       "from": form.get("From", ""), "body": form.get("Body", ""), "status": "queued",
                       "date_created": format_datetime(datetime.now(UTC), usegmt=True), "date_sent": None,
                       "direction": "outbound-api"}
                with outer.lock:
                    outer.messages.append(msg)
                    outer.sent[(str(msg["to"]), str(msg["body"]))] += 1
                self._reply(201, msg)

            def do_GET(self) -> None:  # noqa: N802
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                to, from_ = query.get("To", [""])[0], query.get("From", [""])[0]
                with outer.lock:
                    outer.lists += 1
                    items = [m for m in outer.messages
                             if (not to or m["to"] == to) and (not from_ or m["from"] == from_)]
                path = self.path.split("?")[0]
                self._reply(200, {"messages": items, "next_page_uri": None, "previous_page_uri": None,
                                  "page": 0, "page_size": 50, "start": 0, "end": len(items), "uri": path,
                                  "first_page_uri": path})

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    def env(self) -> dict[str, str]:
        """Settings that send caller texts here."""
        return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "t" * 32,
                "TWILIO_FROM_NUMBER": FROM_NUMBER, "TWILIO_BASE_URL": self.base_url}

    def duplicates(self) -> dict[tuple[str, str], int]:
        """Texts that arrived more than once."""
        with self.lock:
            return {k: v for k, v in self.sent.items() if v > 1}

    def count_to(self, phone: str, body: str) -> int:
        """How many times this text reached this number."""
        with self.lock:
            return self.sent[(phone, body)]


class WebhookReceiver(_Server):
    """Counts supervisor webhooks per delivery id (a de-duplicating receiver acts on each id once)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.raw: Counter[str] = Counter()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if outer.delay:
                    time.sleep(outer.delay)
                with outer.lock:
                    outer.raw[self.headers.get("X-Frontdesk-Delivery", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(Handler)

    @property
    def url(self) -> str:
        return self.base_url + "/hook"

    def repeats(self) -> dict[str, int]:
        """Delivery ids that arrived more than once (at-least-once across a dispatcher crash)."""
        with self.lock:
            return {k: v for k, v in self.raw.items() if v > 1}

    def received(self) -> set[str]:
        with self.lock:
            return set(self.raw)
