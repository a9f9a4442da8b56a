"""An SMS reply end to end in one process, as `serve` runs it: the text-call hub holds a live call, the
workers run, and a signed reply from the supervisor's phone is heard in the call; a caller who hung up
gets a text instead."""

from __future__ import annotations

import time
from typing import Any

from twilio.request_validator import RequestValidator

from frontdesk.clock import SystemClock
from frontdesk.migrate import upgrade
from frontdesk.services import build_services
from frontdesk.web import create_app

from .conftest import make_settings, twilio_settings

PUBLIC = "https://desk.example.com"
SUP = "+15557770001"


def wait_for(predicate, timeout: float = 8.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


def reply(client: Any, body: str, sid: str) -> Any:
    params = {"From": SUP, "To": "+15550000000", "Body": body, "MessageSid": sid, "AccountSid": "AC" + "0" * 32}
    sig = RequestValidator("t" * 32).compute_signature(PUBLIC + "/webhooks/twilio/sms", params)
    return client.post("/webhooks/twilio/sms", data=params, headers={"X-Twilio-Signature": sig})


def test_sms_reply_heard_in_call_and_texted_to_a_caller_who_hung_up(sqlite_url: str, twilio) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, public_base_url=PUBLIC, **twilio_settings(twilio))
    svc = build_services(settings, clock=SystemClock())
    upgrade(svc.db)
    svc.accounts.create("ana@example.com", "correct-horse-battery-9", "Ana", phone=SUP)
    client = create_app(services=svc).test_client()
    svc.start_workers()
    try:
        on_line = client.post("/api/v1/calls", json={"caller_phone": "+15550106001"}).get_json()["id"]
        turn = client.post(f"/api/v1/calls/{on_line}/messages", json={"text": "Do you rent the salon for film shoots?"})
        rid = turn.get_json()["help_request_id"]
        assert rid and wait_for(lambda: any(m["to"] == SUP for m in twilio.messages)), "no SMS alert"
        r = reply(client, "Yes, on Mondays, $300 an hour.", "SM" + "1" * 32)
        assert r.status_code == 200 and f"(Q{rid})" in r.get_data(as_text=True)

        def heard() -> bool:
            lines = client.get(f"/api/v1/calls/{on_line}").get_json()["transcript"]
            return any("$300" in line["text"] for line in lines)

        assert wait_for(heard), "the caller on the line did not hear the answer"

        gone = client.post("/api/v1/calls", json={"caller_phone": "+15550106002"}).get_json()["id"]
        rid2 = client.post(f"/api/v1/calls/{gone}/messages",
                           json={"text": "Can I bring my parrot to my appointment?"}).get_json()["help_request_id"]
        assert rid2
        client.post(f"/api/v1/calls/{gone}/end")
        reply(client, "Parrots are welcome if they stay in their cage.", "SM" + "2" * 32)
        texted = wait_for(lambda: [m for m in twilio.messages if m["to"] == "+15550106002"])
        assert texted and "cage" in texted[0]["body"]
    finally:
        svc.stop()
