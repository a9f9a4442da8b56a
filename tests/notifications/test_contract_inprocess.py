"""The outside check `contract/notify.py`, in process: `serve`'s workers, a real local receiver, the Flask
test client. (The contract itself also needs the calls and answer API routes of other branches.)"""

from __future__ import annotations

import hashlib
import hmac
import time

from frontdesk.clock import SystemClock
from frontdesk.migrate import upgrade
from frontdesk.services import build_services
from frontdesk.web import create_app

from .conftest import add_call, end_call, make_settings

SECRET = "contract-webhook-secret-0123456789"


def wait_for(predicate, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    """Poll for something the background workers do (not a timeout of ours)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def test_alert_signed_within_5s_and_hung_up_caller_followup_sent(sqlite_url: str, receiver) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, supervisor_webhook_url=receiver.url, webhook_secret=SECRET,
                             dispatch_interval_seconds=30)  # long tick: only the wake-up signal can be this fast
    svc = build_services(settings, clock=SystemClock())
    upgrade(svc.db)
    sup = svc.accounts.create("boss@example.com", "correct horse battery")
    auth = {"Authorization": f"Bearer {svc.accounts.issue_token(sup.id)}"}
    client = create_app(services=svc).test_client()
    svc.start_workers()
    try:
        call = add_call(svc, phone="+15550005555")
        started = time.monotonic()
        hr = svc.desk.escalate("Can I bring my parrot to my appointment?", call_id=call,
                               caller_phone="+15550005555").request_id
        assert wait_for(lambda: receiver.got), "webhook not received within 5 s"
        assert time.monotonic() - started < 5
        headers, body = receiver.got[0]
        assert b"parrot" in body
        sigs = [v for k, v in headers.items() if "signature" in k.lower()]
        [stamp] = [v for k, v in headers.items() if "timestamp" in k.lower()]
        mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        assert sigs == ["sha256=" + mac]

        end_call(svc, call)
        svc.desk.answer(hr, "Only service animals, sorry.", by="boss@example.com")

        def caller_sent():  # type: ignore[no-untyped-def]
            items = client.get(f"/api/v1/followups?help_request_id={hr}", headers=auth).get_json()["items"]
            return [i for i in items if i["kind"].startswith("caller") and i["status"] == "sent"]

        [done] = wait_for(caller_sent)
        assert done["channel"] == "console" and done["recipient"].endswith("5555")
    finally:
        svc.stop()
