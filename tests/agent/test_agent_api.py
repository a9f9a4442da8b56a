"""The public text-call API through the Flask test client: the contract's shapes, and hostile bodies
answered with JSON 4xx, never a 5xx."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from agent_helpers import settings_for, wait_until
from flask.testing import FlaskClient
from livekit import api

from frontdesk.clock import FakeClock
from frontdesk.demo import seed_demo
from frontdesk.migrate import upgrade
from frontdesk.models import HelpRequest
from frontdesk.services import Services, build_services
from frontdesk.web import create_app

PHONE = "+15550001111"


def make_client(tmp_path: Any, clock: FakeClock, **overrides: Any) -> tuple[FlaskClient, Services]:
    settings = settings_for(f"sqlite:///{tmp_path}/api.db", **overrides)
    svc = build_services(settings, clock=clock)
    upgrade(svc.db)
    seed_demo(svc.db, svc.clock, svc.knowledge)
    return create_app(services=svc).test_client(), svc


@pytest.fixture
def client(tmp_path: Any, clock: FakeClock) -> Iterator[tuple[FlaskClient, Services]]:
    c, svc = make_client(tmp_path, clock)
    yield c, svc
    svc.stop()


def start(c: FlaskClient, **body: Any) -> str:
    r = c.post("/api/v1/calls", json={"caller_phone": PHONE, **body})
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


def test_call_flow_through_the_api(client: tuple[FlaskClient, Services]) -> None:
    c, svc = client
    r = c.post("/api/v1/calls", json={"caller_phone": PHONE, "caller_name": "Dana"})
    assert r.status_code == 201
    call_id, greeting = r.get_json()["id"], r.get_json()["greeting"]
    assert len(call_id) == 32 and "Glow Hair Studio" in greeting
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "What time do you open?"})
    assert r.status_code == 200 and r.get_json()["help_request_id"] is None and "9am" in r.get_json()["reply"]
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "Can you dye my dog's fur pink?"})
    hr = r.get_json()["help_request_id"]
    assert isinstance(hr, int) and "supervisor" in r.get_json()["reply"].lower()
    svc.desk.answer(hr, "No, sorry, we only do people.", by="sup@x")
    def told() -> bool:
        lines = c.get(f"/api/v1/calls/{call_id}").get_json()["transcript"]
        return any(line["role"] == "agent" and "only do people" in line["text"] for line in lines)

    assert wait_until(told, 2.0)
    body = c.get(f"/api/v1/calls/{call_id}").get_json()
    assert body["status"] == "live" and [line["role"] for line in body["transcript"]][:3] == ["agent", "caller", "agent"]
    assert all(set(line) >= {"role", "text", "at"} for line in body["transcript"])
    assert c.post(f"/api/v1/calls/{call_id}/end").get_json()["status"] == "ended"
    assert c.get(f"/api/v1/calls/{call_id}").get_json()["status"] == "ended"
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "hello?"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    assert c.post(f"/api/v1/calls/{call_id}/end").status_code == 200  # idempotent


def test_a_borderline_question_is_read_back_through_the_api(client: tuple[FlaskClient, Services]) -> None:
    """The hub's brain (with its up-front knowledge check) reads a borderline match back; yes answers."""
    c, svc = client
    call_id = start(c)
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "do you have gift certificates"}).get_json()
    assert r["help_request_id"] is None and "is your question: Do you sell gift cards?" in r["reply"]
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "yes"}).get_json()
    assert r["help_request_id"] is None and "gift card" in r["reply"].lower() and "is your question" not in r["reply"]
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "is there a bus stop nearby"}).get_json()
    assert "is your question" in r["reply"]
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "no"}).get_json()
    assert isinstance(r["help_request_id"], int) and "supervisor" in r["reply"].lower()
    with svc.db.read() as s:
        assert s.get(HelpRequest, r["help_request_id"]).question == "is there a bus stop nearby"  # type: ignore[union-attr]


def test_unknown_call_is_404(client: tuple[FlaskClient, Services]) -> None:
    c, _ = client
    for path in ("/api/v1/calls/0123456789abcdef0123456789abcdef", "/api/v1/calls/" + "a" * 500):
        assert c.get(path).status_code == 404
        assert c.post(path + "/messages", json={"text": "hi"}).status_code == 404
        assert c.post(path + "/end").status_code == 404


HOSTILE_BODIES: list[tuple[str, bytes | None]] = [
    ("empty", b""),
    ("list", b"[]"),
    ("null", b"null"),
    ("number-text", json.dumps({"text": 5}).encode()),
    ("number-phone", json.dumps({"caller_phone": 5}).encode()),
    ("nested", b"[" * 2000 + b"]" * 2000),
    ("nested-obj", b'{"text":' + b"[" * 2000 + b"]" * 2000 + b"}"),
    ("random-bytes", os.urandom(512)),
    ("bad-utf8", b'{"text": "\xff\xfe"}'),
    ("nul", json.dumps({"text": "\u0000\u0000", "caller_phone": "\u0000"}).encode()),
    ("string", b'"hello"'),
    ("huge", json.dumps({"text": "x" * 300_000}).encode()),
]


@pytest.mark.parametrize("name,raw", HOSTILE_BODIES, ids=[n for n, _ in HOSTILE_BODIES])
def test_hostile_bodies_get_json_4xx(client: tuple[FlaskClient, Services], name: str, raw: bytes) -> None:
    c, _ = client
    call_id = start(c)
    for path in ("/api/v1/calls", f"/api/v1/calls/{call_id}/messages"):
        for ctype in ("application/json", "text/plain"):
            r = c.post(path, data=raw, headers={"Content-Type": ctype})
            assert 400 <= r.status_code < 500, (name, path, r.status_code, r.data[:200])
            assert "error" in r.get_json()
    assert c.get(f"/api/v1/calls/{call_id}").status_code == 200


def test_long_and_odd_text_is_bounded_not_rejected(client: tuple[FlaskClient, Services]) -> None:
    c, svc = client
    call_id = start(c)
    r = c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "<script>alert(1)</script>" * 500})
    assert r.status_code == 200
    lines = c.get(f"/api/v1/calls/{call_id}").get_json()["transcript"]
    assert max(len(line["text"]) for line in lines) <= svc.settings.max_message_chars + 100
    assert c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "😀🎉"}).status_code == 200
    assert c.post(f"/api/v1/calls/{call_id}/messages", json={"text": "   "}).status_code == 400


def test_bad_phone_is_rejected(client: tuple[FlaskClient, Services]) -> None:
    c, _ = client
    for phone in ("", "abc", "12", "+1" + "5" * 40, None):
        r = c.post("/api/v1/calls", json={"caller_phone": phone})
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid"


def test_new_calls_are_rate_limited_per_ip(tmp_path: Any, clock: FakeClock) -> None:
    c, svc = make_client(tmp_path, clock, calls_rate_limit_per_minute=3)
    try:
        codes = [c.post("/api/v1/calls", json={"caller_phone": PHONE}).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        other = c.post("/api/v1/calls", json={"caller_phone": PHONE}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other.status_code == 201
        clock.advance(61)
        assert c.post("/api/v1/calls", json={"caller_phone": PHONE}).status_code == 201
    finally:
        svc.stop()


def test_calls_api_can_be_disabled(tmp_path: Any, clock: FakeClock) -> None:
    c, svc = make_client(tmp_path, clock, calls_api_enabled=False)
    try:
        r = c.post("/api/v1/calls", json={"caller_phone": PHONE})
        assert r.status_code == 404 and r.get_json()["error"]["code"] == "disabled"
        assert svc.running_hub is None  # nothing was started
    finally:
        svc.stop()


def test_voice_token_endpoint(tmp_path: Any, clock: FakeClock) -> None:
    c, svc = make_client(tmp_path, clock)
    try:
        assert c.post("/api/v1/calls/voice-token", json={}).status_code == 404  # LiveKit not configured
    finally:
        svc.stop()
    secret = "v" * 40
    c, svc = make_client(tmp_path, clock, livekit_url="wss://lk.example.test", livekit_api_key="key",
                         livekit_api_secret=secret)
    try:
        r = c.post("/api/v1/calls/voice-token", json={"caller_phone": PHONE, "caller_name": "Dana"})
        assert r.status_code == 200
        body = r.get_json()
        claims = api.TokenVerifier("key", secret).verify(body["token"])
        assert body["url"] == "wss://lk.example.test" and claims.video.room == body["room"]
        assert claims.attributes == {"phone": PHONE}
        [dispatch] = claims.room_config.agents
        assert dispatch.agent_name == "salon-receptionist" and json.loads(dispatch.metadata)["caller_phone"] == PHONE
        assert c.post("/api/v1/calls/voice-token", json={"caller_phone": "nope"}).status_code == 400
    finally:
        svc.stop()


def test_call_page_renders_and_escapes_the_business_name(client: tuple[FlaskClient, Services]) -> None:
    c, svc = client
    from frontdesk.models import BusinessProfile

    with svc.db.write() as s:
        s.get_one(BusinessProfile, 1).name = "<b>Glow</b>"
    r = c.get("/call")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "&lt;b&gt;Glow&lt;/b&gt;" in html and "<b>Glow</b>" not in html
    assert "Call the salon" in html and "livekit-client" not in html  # no voice without LiveKit
    js = c.get("/static/call/call.js").get_data(as_text=True)
    assert "innerHTML" not in js and "textContent" in js
