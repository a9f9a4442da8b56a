"""Hypothesis over the caller page `/call` and the text-call API it drives (`/api/v1/calls`, voice token included):
hostile bodies, wrong types, raw bytes, odd content types, hostile ids and query strings. Never a 5xx, never a
logged traceback; under /api every refusal is the contract's JSON error with a message.

The app is the real one (its text-call hub and offline receptionist, the demo salon on SQLite), through
Flask's test client; a handful of calls are started with good numbers so hostile lines reach a live call.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from frontdesk.demo import seed_demo
from frontdesk.migrate import upgrade
from frontdesk.services import build_services
from frontdesk.web import create_app
from tests.conftest import make_settings
from tests.hostile.strategies import HOSTILE, bounded, hostile_text, json_values

GOOD_PHONE = "+1 555 000 1234"
CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "application/json; charset=utf-16", "", "application/json\x00", "*/*"]


class _Tracebacks(logging.Handler):
    """Counts log records that carry an exception (what the 500 handler logs)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def caller(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    """A client of the real app, demo salon seeded; voice configured (tokens are signed locally, no server)."""
    work = tmp_path_factory.mktemp("call-fuzz")
    settings = make_settings(f"sqlite:///{work}/calls.db", livekit_url="ws://127.0.0.1:7880", livekit_api_key="devkey",
                             livekit_api_secret="s" * 32, console_outbox_file=str(work / "outbox.log"))
    svc = build_services(settings)
    upgrade(svc.db)
    seed_demo(svc.db, svc.clock, svc.knowledge)
    handler = _Tracebacks()
    logging.getLogger().addHandler(handler)
    client = create_app(services=svc).test_client()
    client.tracebacks = handler.records  # type: ignore[attr-defined]
    try:
        yield client
    finally:
        logging.getLogger().removeHandler(handler)
        svc.stop()


def answered(client: FlaskClient, response: TestResponse) -> None:
    """No 5xx and no logged traceback; an API refusal is `{"error": {"code", "message"}}`."""
    tracebacks = client.tracebacks  # type: ignore[attr-defined]
    assert not tracebacks, logging.Formatter().format(tracebacks[0])
    assert response.status_code < 500, (response.status_code, response.get_data()[:500])
    if response.request.path.startswith("/api/") and response.status_code >= 400:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        assert error.get("code") and error.get("message"), response.get_data()[:500]


def _bytes(value: Any) -> bytes:
    """A JSON document of `value`, lone surrogates kept as the escapes a hostile client sends."""
    return json.dumps(value).encode()


def _urlencoded(fields: dict[str, str]) -> str:
    """Form or query encoding of any text, lone surrogates sent as the invalid UTF-8 bytes they stand for."""
    def enc(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in fields.items())


def _live_call(client: FlaskClient) -> str:
    r = client.post("/api/v1/calls", json={"caller_phone": GOOD_PHONE, "caller_name": "Dana"})
    assert r.status_code == 201, r.get_data()
    return str(r.get_json()["id"])


body_values = st.one_of(
    json_values,
    st.fixed_dictionaries({"caller_phone": st.one_of(json_values, st.just(GOOD_PHONE)),
                           "caller_name": json_values}),
    st.fixed_dictionaries({"caller_phone": st.just(GOOD_PHONE), "caller_name": hostile_text}),
    st.fixed_dictionaries({"caller_phone": hostile_text}),
)


@bounded(60)
@given(body=body_values, voice=st.booleans())
@example(body={"caller_phone": GOOD_PHONE, "caller_name": "\ud800"}, voice=True)
@example(body={"caller_phone": GOOD_PHONE, "caller_name": "A" * 100_000}, voice=False)
def test_start_a_call_with_hostile_json(caller: FlaskClient, body: Any, voice: bool) -> None:
    path = "/api/v1/calls/voice-token" if voice else "/api/v1/calls"
    r = caller.post(path, data=_bytes(body), content_type="application/json")
    answered(caller, r)
    if r.status_code < 300 and not voice:
        assert caller.post(f"/api/v1/calls/{r.get_json()['id']}/end").status_code == 200


@bounded(40)
@given(raw=st.one_of(st.binary(max_size=300), hostile_text.map(lambda s: s.encode("utf-8", "surrogatepass")),
                     st.just(b"[" * 100_000), st.just(b'{"caller_phone": "+15550001234"' + b" " * 2_000_000 + b"}")),
       content_type=st.sampled_from(CONTENT_TYPES), route=st.sampled_from(["", "/voice-token", "/{id}/messages"]))
def test_raw_bodies(caller: FlaskClient, raw: bytes, content_type: str, route: str) -> None:
    path = "/api/v1/calls" + route.replace("{id}", _live_call(caller) if "{id}" in route else "")
    answered(caller, caller.post(path, data=raw, headers={"Content-Type": content_type}))


@bounded(60)
@given(text=st.one_of(hostile_text, json_values), end=st.booleans())
@example(text="\ud800 can you dye my dog's fur pink? <script>alert(1)</script>", end=False)
@example(text="' OR 1=1; DROP TABLE calls; --", end=False)
def test_hostile_lines_in_a_live_call(caller: FlaskClient, text: Any, end: bool) -> None:
    """Each example talks on a live call; the transcript comes back as JSON, the hang-up works."""
    call_id = _live_call(caller)
    answered(caller, caller.post(f"/api/v1/calls/{call_id}/messages", data=_bytes({"text": text}),
                                 content_type="application/json"))
    got = caller.get(f"/api/v1/calls/{call_id}")
    answered(caller, got)
    assert got.status_code == 200 and got.get_json()["id"] == call_id
    if end:
        answered(caller, caller.post(f"/api/v1/calls/{call_id}/end"))
    answered(caller, caller.post(f"/api/v1/calls/{call_id}/messages", json={"text": "still there?"}))


@bounded(40)
@given(call_id=st.one_of(hostile_text, st.sampled_from(["0" * 32, "f" * 64, "f" * 65, "voice-token", ".", ".."])),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       suffix=st.sampled_from(["", "/messages", "/end", "/../calls"]))
def test_hostile_call_ids(caller: FlaskClient, call_id: str, method: str, suffix: str) -> None:
    path = "/api/v1/calls/" + quote(call_id.encode("utf-8", "surrogatepass"), safe="") + suffix
    answered(caller, caller.open(path, method=method, json={"text": "hello"}))


@bounded(40)
@given(query=st.dictionaries(hostile_text, hostile_text, max_size=3), form=st.dictionaries(
    st.sampled_from(["phone", "name", "text", "csrf_token", "next"]), hostile_text, max_size=4),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
@example(query={"next": "//evil.example"}, form={"phone": "\x00", "text": HOSTILE[10]}, method="POST")
def test_the_caller_page(caller: FlaskClient, query: dict[str, str], form: dict[str, str], method: str) -> None:
    """`/call` renders for any query string; its forms are script-driven, so a posted form is a 405, not a 5xx."""
    r = caller.open("/call?" + _urlencoded(query), method=method, data=_urlencoded(form) if method != "GET" else None,
                    content_type="application/x-www-form-urlencoded")
    answered(caller, r)
    assert r.status_code in ((200,) if method == "GET" else (405,)), r.status_code
    if method == "GET":
        page = r.get_data(as_text=True)
        assert "<script>alert" not in page and 'id="start"' in page
