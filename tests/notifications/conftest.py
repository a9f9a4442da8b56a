"""Fakes for notification tests: a webhook receiver and a Twilio API, both real local HTTP servers."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug.wrappers import Request, Response

from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.models import Call, Followup
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings

try:  # the suite's root conftest (tests/ is not a package)
    from conftest import make_settings
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.conftest import make_settings  # type: ignore[no-redef]

__all__ = ["make_settings"]

TWILIO_SID = "AC" + "0" * 32
TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/[^/]+/Messages\.json$")


class Receiver:
    """A webhook receiver that records every POST; `statuses` scripts the replies (then 200)."""

    def __init__(self, server: HTTPServer, path: str = "/hook") -> None:
        self.server, self.path = server, path
        self.statuses: list[int] = []
        self.got: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        server.expect_request(path, method="POST").respond_with_handler(self._handle)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.got.append((dict(request.headers), request.get_data()))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok" if status < 400 else "nope", status=status)

    @property
    def url(self) -> str:
        return self.server.url_for(self.path)

    def delivery_ids(self) -> list[str]:
        return [h.get("X-Frontdesk-Delivery", "") for h, _ in self.got]


class FakeTwilio:
    """Enough of Twilio's Messages API for `twilio` 9.x: create (form POST) and list (GET)."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.messages: list[dict[str, Any]] = []
        self.errors: list[tuple[int, int, str]] = []  # (http status, twilio code, message) to reply next
        self.lists = 0
        server.expect_request(TWILIO_PATH, method="POST").respond_with_handler(self._create)
        server.expect_request(TWILIO_PATH, method="GET").respond_with_handler(self._list)

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    def record(self, to: str, from_: str, body: str) -> dict[str, Any]:
        msg = {
            "sid": "SM" + uuid.uuid4().hex, "account_sid": TWILIO_SID, "to": to, "from": from_, "body": body,
            "status": "queued", "date_created": format_datetime(datetime.now(UTC), usegmt=True),
            "date_sent": None, "direction": "outbound-api",
        }
        self.messages.append(msg)
        return msg

    def _create(self, request: Request) -> Response:
        if self.errors:
            status, code, message = self.errors.pop(0)
            body = {"code": code, "message": message, "more_info": "", "status": status}
            return Response(json.dumps(body), status=status, content_type="application/json")
        form = request.form
        msg = self.record(form["To"], form["From"], form["Body"])
        return Response(json.dumps(msg), status=201, content_type="application/json")

    def _list(self, request: Request) -> Response:
        self.lists += 1
        to, from_ = request.args.get("To"), request.args.get("From")
        items = [m for m in self.messages if (not to or m["to"] == to) and (not from_ or m["from"] == from_)]
        page = {"messages": items, "next_page_uri": None, "previous_page_uri": None, "page": 0,
                "page_size": 50, "start": 0, "end": len(items), "uri": request.path, "first_page_uri": request.path}
        return Response(json.dumps(page), status=200, content_type="application/json")


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    """A webhook receiver on a random local port."""
    return Receiver(httpserver)


@pytest.fixture
def twilio(httpserver: HTTPServer) -> FakeTwilio:
    """A fake Twilio API on a random local port."""
    return FakeTwilio(httpserver)


def twilio_settings(fake: FakeTwilio) -> dict[str, Any]:
    """Settings overrides that point the Twilio client at the fake."""
    return dict(twilio_account_sid=TWILIO_SID, twilio_auth_token="t" * 32, twilio_from_number="+15550000000",
                twilio_base_url=fake.base_url)


@pytest.fixture
def make_services(db_url: str, clock: FakeClock) -> Iterator[Any]:
    """Build migrated services on the parametrised database with settings overrides."""
    built: list[Services] = []

    def make(**overrides: Any) -> Services:
        overrides.setdefault("dispatch_concurrency", 1)
        settings: Settings = make_settings(db_url, **overrides)
        svc = build_services(settings, clock=clock)
        if not built:
            upgrade(svc.db)
        built.append(svc)
        return svc

    yield make
    for svc in built:
        svc.stop()


def add_call(svc: Services, phone: str = "+15551234567", name: str = "Dana", status: str = "live") -> str:
    """A call row as the call hub would write it, with a fresh heartbeat."""
    now = svc.clock.now()
    with svc.db.write() as s:
        call = Call(channel="text", status=status, caller_phone=phone, caller_name=name, holder="test-hub",
                    started_at=now, last_seen_at=now, ended_at=None if status == "live" else now)
        s.add(call)
        s.flush()
        return call.id


def end_call(svc: Services, call_id: str) -> None:
    """Hang up a call."""
    with svc.db.write() as s:
        call = s.get_one(Call, call_id)
        call.status, call.ended_at, call.end_reason = "ended", svc.clock.now(), "hangup"


def followups(svc: Services, **where: Any) -> list[Followup]:
    """Follow-up rows, oldest first, filtered by column values."""
    with svc.db.read() as s:
        q = s.query(Followup).order_by(Followup.id)
        for key, value in where.items():
            q = q.filter(getattr(Followup, key) == value)
        return list(q)
