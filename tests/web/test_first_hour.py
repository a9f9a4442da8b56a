"""Issue 17's rough edges in the dashboard: audit sentences, duplicate knowledge, useful suggestions,
styled error pages, the knowledge page's wording."""

from __future__ import annotations

import html
import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frontdesk.knowledge.duplicates import DuplicateEntry
from frontdesk.knowledge.simple import Match
from frontdesk.services import Services
from frontdesk.web.event_text import sentence
from frontdesk.web.suggest import useful

from .conftest import EMAIL, PASSWORD


@pytest.mark.parametrize(("entity", "action", "actor", "details", "expected"), [
    ("help_request", "created", "agent", {"call_id": "abc"}, "The receptionist couldn't answer and asked a supervisor."),
    ("help_request", "answered", "ana@example.com", {"add_to_kb": True},
     "ana@example.com answered it and added the answer to the knowledge base."),
    ("help_request", "answered", "ana@example.com", {"add_to_kb": False}, "ana@example.com answered it."),
    ("help_request", "closed", "ben@example.com", {"reason": "spam"}, "ben@example.com closed it without an answer (spam)."),
    ("help_request", "timeout", "sweeper", {}, "Nobody answered in time: the request became unresolved and the caller was told."),
    ("followup", "followup_sent", "dispatcher", {"kind": "supervisor_alert", "channel": "sms", "attempts": 1,
                                                  "error": None, "reason": None},
     "The alert to supervisors was sent by text message."),
    ("followup", "followup_sent", "dispatcher", {"kind": "caller_answer", "channel": "sms", "attempts": 3},
     "The answer to the caller was sent by text message (after 3 attempts)."),
    ("followup", "followup_dead", "dispatcher", {"kind": "caller_answer", "channel": "sms", "error": "HTTP 400: bad number"},
     "The answer to the caller could not be delivered by text message: HTTP 400: bad number."),
    ("followup", "followup_cancelled", "dispatcher", {"kind": "supervisor_reminder", "channel": "webhook",
                                                       "reason": "help request already resolved"},
     "The reminder to supervisors to the webhook was not sent: help request already resolved."),
    ("followup", "followup_rerouted", "dispatcher", {"channel": "sms", "reason": "call ended"},
     "The caller was no longer on the line, so the message goes by text message instead (call ended)."),
    ("followup", "followup_resend", "ana@example.com", {}, "ana@example.com asked to send a message again."),
    ("knowledge", "created", "ana@example.com", {"status": "active"}, "The answer became knowledge base entry #7."),
    ("transfer", "offer_expired", "agent", {}, "The receptionist: transfer offer expired."),
])
def test_audit_events_read_as_sentences(entity: str, action: str, actor: str, details: dict,  # type: ignore[type-arg]
                                        expected: str) -> None:
    assert sentence(entity, action, actor, details, "7") == expected


def test_exact_duplicates_are_refused_and_imports_skip_them(web_services: Services) -> None:
    kb = web_services.knowledge
    first = kb.create("Do you have wifi?", "Yes, ask at the desk.", by="ana@example.com")
    with pytest.raises(DuplicateEntry) as err:
        kb.create("  do you have WIFI ", "No.", by="ana@example.com")
    assert err.value.existing_id == first.id and err.value.code == "duplicate"
    text = json.dumps([{"question": "Can I park nearby?", "answer": "Yes, on 20th Street."},
                       {"question": "Do you have wifi?", "answer": "Yes."},
                       {"question": "can I park nearby", "answer": "Same again in the same file."}])
    assert kb.import_entries(text, by="cli") == (1, 2)
    assert kb.import_entries(text, by="cli") == (0, 3)  # the same file twice adds nothing
    kb.update(first.id, by="ana@example.com", status="archived")
    assert kb.create("Do you have wifi?", "Yes, free.", by="ana@example.com").id != first.id  # archived ones don't count


def test_knowledge_form_refuses_duplicates_and_warns_on_near_ones(client: FlaskClient, web_services: Services,
                                                                  token: str, app: Flask) -> None:
    client.post("/knowledge", data={"question": "Do you sell gift cards?", "answer": "Yes, any amount."})
    r = client.post("/knowledge", data={"question": "Do you sell gift cards", "answer": "Yes."}, follow_redirects=True)
    body = html.unescape(r.get_data(as_text=True))
    assert "Not added: " in body and "already has this question" in body and '<a href="/knowledge?entry=' in body
    r = client.post("/knowledge", data={"question": "Do you sell gift certificates?", "answer": "Yes."},
                    follow_redirects=True)
    body = html.unescape(r.get_data(as_text=True))
    assert "It looks a lot like" in body and "(“Do you sell gift cards?”)" in body
    entry_id = web_services.knowledge.list(q="gift cards")[0].id
    one = client.get(f"/knowledge?entry={entry_id}").get_data(as_text=True)
    assert f"Entry #{entry_id}" in one and one.count('class="entry ') == 1
    api = app.test_client().post("/api/v1/knowledge", json={"question": "do you sell gift cards?", "answer": "x"},
                                 headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "duplicate"


def test_knowledge_search_wording_agrees_with_the_list(client: FlaskClient) -> None:
    client.post("/knowledge", data={"question": "Do you sell gift cards?", "answer": "Yes, any amount."})
    body = html.unescape(client.get("/knowledge?q=giftcard+for+my+mum").get_data(as_text=True))
    assert "0 entries contain the words “giftcard for my mum”" in body
    assert "No entry contains these words" in body and "No entry matches" not in body


def test_suggestions_are_only_useful_ones() -> None:
    matches = [Match(1, "Do you do keratin?", "Yes, from $250.", 0.48), Match(2, "Keratin price?", "Yes, from $250.", 0.44),
               Match(3, "Do you colour hair?", "Yes.", 0.40), Match(4, "Where are you?", "Valencia St.", 0.15),
               Match(5, "Opening hours?", "9-7.", 0.12)]
    assert [m.id for m in useful(matches)] == [1, 3]  # #2 repeats #1's answer; 10-15 % matches are dropped
    assert useful([Match(1, "a", "b", 0.9), Match(2, "c", "d", 0.5)]) == [Match(1, "a", "b", 0.9)]  # far from the best
    assert useful([]) == []


def test_styled_404_and_500_pages(client: FlaskClient, app: Flask, web_services: Services) -> None:
    r = client.get("/requests/99999")
    body = r.get_data(as_text=True)
    assert r.status_code == 404 and "Page not found" in body and 'class="topbar"' in body and "app.css" in body
    anon = app.test_client().get("/no-such-page")
    assert anon.status_code == 404 and "Page not found" in anon.get_data(as_text=True)
    assert app.test_client().get("/api/v1/no-such").get_json()["error"]["code"] == "not_found"

    from frontdesk.web import create_app

    fresh = create_app(services=web_services)
    fresh.config.update(WTF_CSRF_ENABLED=False)

    @fresh.get("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    c = fresh.test_client()
    c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    r = c.get("/boom")
    body = r.get_data(as_text=True)
    assert r.status_code == 500 and "Something went wrong" in body and 'class="topbar"' in body
    assert "kaboom" not in body and "Traceback" not in body
