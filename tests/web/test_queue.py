"""The pending queue: what a card shows, answering and closing from it, conflicts, and live updates."""

from __future__ import annotations

import json
import threading
import time

from flask.testing import FlaskClient
from sqlalchemy import func, select

from frontdesk.demo import seed_demo
from frontdesk.models import Event, HelpRequest, KnowledgeEntry
from frontdesk.services import Services, build_services
from frontdesk.web.live import read_messages
from tests.web.conftest import EMAIL, escalate, start_call


def test_card_shows_what_a_supervisor_needs(client: FlaskClient, web_services: Services) -> None:
    seed_demo(web_services.db, web_services.clock, web_services.knowledge)
    call = start_call(web_services, "+15551234567", [("agent", "Glow Hair Studio, how can I help?"),
                                                      ("caller", "Do you cut curly hair for kids?")])
    rid = web_services.desk.escalate("Do you cut curly hair for kids?", call_id=call,
                                     caller_phone="+15551234567", caller_name="Ana").request_id
    escalate(web_services, "Do you cut curly hair for kids?", phone="+15559876543")  # a second caller joins
    web_services.clock.advance(seconds=90)  # type: ignore[attr-defined]
    body = client.get("/pending").get_data(as_text=True)
    assert f'id="request-{rid}"' in body and "Do you cut curly hair for kids?" in body
    assert "+1••••••4567" in body and "+15551234567" not in body  # masked phone
    assert "1 min" in body  # waited
    assert "8 min" in body  # 600 s timeout - 90 s = 8 min 30 s left
    assert 'data-field="waiters">2<' in body
    assert "yes (2)" in body  # both callers still on the line
    assert "Glow Hair Studio, how can I help?" in body  # transcript around the question
    assert "specialise in curly and textured hair" in body  # suggested answer from the knowledge base
    assert 'name="add_to_kb" value="1" checked' in body
    assert 'name="kb_question" value="Do you cut curly hair for kids?"' in body


def test_empty_queue_says_so(client: FlaskClient) -> None:
    body = client.get("/pending").get_data(as_text=True)
    assert "All caught up" in body and 'id="queue-empty" hidden' not in body


def test_answer_from_queue_resolves_learns_and_leaves_the_queue(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Can I bring my dog?")
    r = client.post(f"/requests/{rid}/answer", data={"answer": "Yes, well-behaved dogs are welcome.", "add_to_kb": "1",
                                                    "kb_question": "Are dogs allowed in the salon?", "next": "/pending"},
                    follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "sent to the caller and added to the knowledge base" in body
    assert "Can I bring my dog?" not in body  # left the queue
    assert "Can I bring my dog?" in client.get("/resolved").get_data(as_text=True)
    kb = client.get("/knowledge").get_data(as_text=True)
    assert "Are dogs allowed in the salon?" in kb and f"request #{rid}" in kb
    assert web_services.knowledge.search("Are dogs allowed in the salon?").answerable
    with web_services.db.read() as s:
        req = s.get_one(HelpRequest, rid)
    assert (req.status, req.answered_by, req.outcome) == ("resolved", EMAIL, "answered")


def test_answer_without_learning(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Is Maria working today?")
    r = client.post(f"/requests/{rid}/answer", data={"answer": "Yes until 3pm."},
                    headers={"X-Requested-With": "fetch"})
    assert r.status_code == 200 and r.get_json()["ok"] is True
    with web_services.db.read() as s:
        assert s.scalar(select(KnowledgeEntry.id).where(KnowledgeEntry.source_request_id == rid)) is None


def test_second_answer_is_a_clear_conflict(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Do you do wedding hair?")
    web_services.desk.answer(rid, "Yes, book a trial.", by="other@example.com")
    r = client.post(f"/requests/{rid}/answer", data={"answer": "No."}, headers={"X-Requested-With": "fetch"})
    assert r.status_code == 409
    assert "already resolved by other@example.com" in r.get_json()["message"]
    r = client.post(f"/requests/{rid}/answer", data={"answer": "No.", "next": "/pending"}, follow_redirects=True)
    assert "already resolved by other@example.com" in r.get_data(as_text=True)
    with web_services.db.read() as s:
        assert s.get_one(HelpRequest, rid).answer == "Yes, book a trial."


def test_empty_answer_and_unknown_request(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Do you do eyebrows?")
    r = client.post(f"/requests/{rid}/answer", data={"answer": "   "}, headers={"X-Requested-With": "fetch"})
    assert r.status_code == 400 and "empty" in r.get_json()["message"]
    r = client.post("/requests/999/answer", data={"answer": "x"}, headers={"X-Requested-With": "fetch"})
    assert r.status_code == 404
    assert client.post("/requests/99999999999999/answer", data={"answer": "x"}).status_code == 404


def test_close_tells_callers_and_allows_a_late_answer(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Do you sell wigs?")
    r = client.post(f"/requests/{rid}/close", data={"reason": "spam?", "next": "/pending"}, follow_redirects=True)
    assert "closed; the caller will be told" in r.get_data(as_text=True)
    assert "Do you sell wigs?" in client.get("/unresolved").get_data(as_text=True)
    r = client.post(f"/requests/{rid}/close", headers={"X-Requested-With": "fetch"})
    assert r.status_code == 409
    # Late answer from history.
    detail = client.get(f"/requests/{rid}").get_data(as_text=True)
    assert "Answer late" in detail
    client.post(f"/requests/{rid}/answer", data={"answer": "We don't, sorry."})
    with web_services.db.read() as s:
        req = s.get_one(HelpRequest, rid)
    assert (req.status, req.outcome) == ("resolved", "late_answer")


def test_queue_is_capped_with_total(client: FlaskClient, web_services: Services) -> None:
    for i in range(55):
        escalate(web_services, f"Unusual question number {i} about pottery", phone=f"+1555000{i:04d}")
    body = client.get("/pending").get_data(as_text=True)
    assert body.count('class="card"') == 50
    assert '<span id="pending-total">55</span>' in body and "showing the 50 to answer first" in body


def test_fragment_returns_only_pending_cards(client: FlaskClient, web_services: Services) -> None:
    a = escalate(web_services, "Do you do perms?")
    b = escalate(web_services, "Do you do beard trims?")
    web_services.desk.answer(b, "Yes.", by="x@example.com", add_to_kb=False)
    r = client.get(f"/pending/cards?ids={a},{b},abc,-1")
    body = r.get_data(as_text=True)
    assert f'id="request-{a}"' in body and f'id="request-{b}"' not in body
    assert r.headers["X-Pending-Total"] == "1"
    assert "<html" not in body  # a fragment, not a page


def _read_until(it, predicate, timeout: float) -> list[str]:  # type: ignore[no-untyped-def]
    chunks: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for chunk in it:
            chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
            if predicate("".join(chunks)):
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return chunks


def test_events_stream_reports_requests_created_by_another_process(client: FlaskClient,
                                                                   web_services: Services) -> None:
    r = client.get("/events", buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    it = iter(r.response)
    assert next(it).decode().startswith("retry:")
    # Another process: its own services (own signals) on the same database.
    other = build_services(web_services.settings, clock=web_services.clock)
    try:
        started = time.monotonic()
        rid = escalate(other, "Do you do hair tattoos?")
        chunks = _read_until(it, lambda text: f'"id": {rid}' in text, timeout=5)
        elapsed = time.monotonic() - started
    finally:
        other.stop()
        r.close()
    text = "".join(chunks)
    data = json.loads(text.split("data: ", 1)[1].split("\n", 1)[0])
    assert {"type": "help_request", "id": rid, "action": "created"}.items() <= data["messages"][0].items()
    assert "Do you do hair tattoos?" not in text  # events carry ids only, the page fetches the card
    assert elapsed < 2.0


def test_events_stream_resumes_from_last_event_id(client: FlaskClient, web_services: Services) -> None:
    first = escalate(web_services, "Do you do nails?")
    r = client.get("/events", headers={"Last-Event-ID": "0"}, buffered=False)
    it = iter(r.response)
    next(it)
    missed = next(it).decode()
    r.close()
    assert f'"id": {first}' in missed and missed.startswith("id: ")


def test_hang_up_reaches_the_card_through_the_event_feed(client: FlaskClient, web_services: Services) -> None:
    """A caller hanging up is an event of their request, so an open queue page re-fetches the card and
    its "on the line" badge turns into "will get a text"."""
    call = start_call(web_services, "+15551234567")
    rid = web_services.desk.escalate("Do you cut curly hair for kids?", call_id=call,
                                     caller_phone="+15551234567").request_id
    with web_services.db.read() as s:
        last = int(s.scalar(select(func.max(Event.id))) or 0)
    card = client.get(f"/pending/cards?ids={rid}").get_data(as_text=True)
    assert "pill-live" in card
    assert web_services.calls.end(call, "hangup")
    messages = read_messages(web_services.db, last, last + 100)
    assert {"type": "help_request", "id": rid, "action": "caller_left"} in [
        {k: m[k] for k in ("type", "id", "action")} for m in messages]
    card = client.get(f"/pending/cards?ids={rid}").get_data(as_text=True)
    assert "pill-live" not in card and "no, will get a text" in card
    assert not web_services.calls.end(call, "hangup")  # a second hang-up adds nothing
    assert len(read_messages(web_services.db, last, last + 100)) == len(messages)
