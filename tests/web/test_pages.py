"""History, request detail, knowledge base and business profile pages."""

from __future__ import annotations

import html

from flask.testing import FlaskClient
from sqlalchemy import select

from frontdesk.migrate import upgrade
from frontdesk.models import BusinessProfile, Event, KnowledgeEntry
from frontdesk.services import Services, build_services
from frontdesk.web import create_app
from tests.conftest import make_settings
from tests.web.conftest import EMAIL, PASSWORD, escalate


def test_history_filters_search_and_pages(client: FlaskClient, web_services: Services) -> None:
    ids = [escalate(web_services, f"Question {i} about {'colour' if i % 2 else 'parking'}", phone=f"+1555123{i:04d}")
           for i in range(30)]
    for rid in ids[:28]:
        web_services.desk.answer(rid, f"Answer for {rid}", by="sup@example.com", add_to_kb=False)
    web_services.desk.close(ids[28], by="sup@example.com")
    web_services.clock.advance(seconds=web_services.settings.request_timeout_seconds + 1)  # type: ignore[attr-defined]
    web_services.desk.sweep()

    page1 = client.get("/resolved").get_data(as_text=True)
    assert "28 requests" in page1 and "Page 1 of 2" in page1
    assert "Question 27 about colour" in page1 and "Question 0 about parking" not in page1  # newest first
    page2 = client.get("/resolved?page=2").get_data(as_text=True)
    assert "Question 0 about parking" in page2
    found = client.get("/resolved?q=colour").get_data(as_text=True)
    assert "14 requests" in found and "about parking" not in found
    assert "0 requests" in client.get("/resolved?q=%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert client.get("/resolved?page=abc").status_code == 400  # strict: a 400 page, never a 500

    unresolved = client.get("/unresolved").get_data(as_text=True)
    assert "2 requests" in unresolved and "Answer late" in unresolved
    timeouts = client.get("/unresolved?outcome=timeout").get_data(as_text=True)
    assert "1 request" in timeouts and "Question 29" in timeouts and "Question 28" not in timeouts
    assert "Nothing here for this search" in client.get("/unresolved?q=nothing-like-this").get_data(as_text=True)


def test_detail_shows_audit_trail_and_followups(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, "Do you do balayage on short hair?", phone="+15557654321")
    body = client.get(f"/requests/{rid}").get_data(as_text=True)
    assert "caller answer" not in body and "Re-send" not in body  # the alert is still queued: nothing to re-send
    web_services.dispatcher.run_once()  # the alert goes out
    web_services.desk.answer(rid, "Yes, from $180.", by="boss@example.com")
    body = html.unescape(client.get(f"/requests/{rid}").get_data(as_text=True))
    # The audit trail reads as sentences (issue 17), not as developer text.
    for text in ("The receptionist couldn't answer and asked a supervisor.",
                 "boss@example.com answered it and added the answer to the knowledge base.",
                 "The answer became knowledge base entry #", "The alert to supervisors was sent to the log.",
                 "caller answer", "Yes, from $180.", "Knowledge entry #"):
        assert text in body, text
    assert "kind=" not in body and "error=None" not in body
    assert "+1••••••4321" in body and "+15557654321" not in body
    # Re-send only for the sent alert, not for the still queued answer to the caller.
    assert body.count("Re-send") == 1 and 'action="/followups/' in body
    assert client.get("/requests/424242").status_code == 404


def test_knowledge_page_add_edit_archive_restore(client: FlaskClient, web_services: Services) -> None:
    r = client.post("/knowledge", data={"question": "Do you have wifi?", "answer": "Yes, ask at the desk."},
                    follow_redirects=True)
    assert "added; the agent uses it" in r.get_data(as_text=True)
    entry = web_services.knowledge.list(q="wifi")[0]
    body = client.get("/knowledge").get_data(as_text=True)
    assert "Do you have wifi?" in body and "manual" in body and f"by {EMAIL}" in body and "used 0 times" in body
    client.post(f"/knowledge/{entry.id}/edit", data={"question": "Is there wifi?", "answer": "Yes, free wifi."})
    assert web_services.knowledge.get(entry.id).answer == "Yes, free wifi."
    client.post(f"/knowledge/{entry.id}/status", data={"action": "archive"})
    assert not web_services.knowledge.search("Is there wifi?").answerable
    assert "Is there wifi?" in client.get("/knowledge?status=archived").get_data(as_text=True)
    client.post(f"/knowledge/{entry.id}/status", data={"action": "restore"})
    assert web_services.knowledge.search("Is there wifi?").answerable
    r = client.post("/knowledge", data={"question": "", "answer": "x"}, follow_redirects=True)
    assert "Not added: the question is empty" in r.get_data(as_text=True)
    agent = client.get("/knowledge?q=Is+there+wifi").get_data(as_text=True)
    assert "would be answered</strong> from <a href=\"/knowledge?entry=" in agent
    assert "would be put through to a supervisor" in client.get("/knowledge?q=helicopter+landing").get_data(as_text=True)


def test_review_step_for_learned_answers(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(db_url, kb_review_required=True), clock=clock)
    upgrade(svc.db)
    svc.accounts.create(EMAIL, PASSWORD)
    app = create_app(services=svc)
    app.config.update(WTF_CSRF_ENABLED=False)
    c = app.test_client()
    c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    rid = escalate(svc, "Do you do hair extensions?")
    c.post(f"/requests/{rid}/answer", data={"answer": "Yes, tape-in extensions.", "add_to_kb": "1"})
    body = c.get("/knowledge").get_data(as_text=True)
    assert "1 awaiting review" in body and "Approve" in body and "Reject" in body
    assert not svc.knowledge.search("Do you do hair extensions?").answerable  # not used before approval
    with svc.db.read() as s:
        entry_id = s.scalar(select(KnowledgeEntry.id).where(KnowledgeEntry.source_request_id == rid))
    c.post(f"/knowledge/{entry_id}/status", data={"action": "approve"})
    assert svc.knowledge.search("Do you do hair extensions?").answerable
    c.post(f"/knowledge/{entry_id}/status", data={"action": "reject"})
    assert svc.knowledge.get(entry_id).status == "archived"
    svc.stop()


def test_profile_is_saved_with_an_event(client: FlaskClient, web_services: Services) -> None:
    form = {"name": "Glow Hair Studio", "phone": "+1 415 555 0142", "address": "1 Main St",
            "hours": "Tue-Sat 9-7\nSun closed", "about": "Five stylists.",
            "service_name": ["Cut", "Colour", ""], "service_price": ["$40", "from $95", ""],
            "service_duration": ["30 min", "90 min", ""]}
    r = client.post("/profile", data=form, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert "Profile saved" in body and 'value="from $95"' in body
    with web_services.db.read() as s:
        p = s.get_one(BusinessProfile, 1)
        event = s.scalars(select(Event).where(Event.entity == "profile")).one()
    assert p.name == "Glow Hair Studio" and p.hours == "Tue-Sat 9-7\nSun closed"
    assert p.services == [{"name": "Cut", "price": "$40", "duration": "30 min"},
                          {"name": "Colour", "price": "from $95", "duration": "90 min"}]
    assert event.actor == EMAIL and "services" in event.details["fields"]
    assert "Glow Hair Studio" in client.get("/pending").get_data(as_text=True)  # shown in the layout
    r = client.post("/profile", data={**form, "name": " "})
    assert r.status_code == 400 and "needs a name" in r.get_data(as_text=True)


def test_knowledge_page_flags_profile_duplicates_and_possible_conflicts(client: FlaskClient,
                                                                         web_services: Services) -> None:
    """An entry the profile answers first is marked as unused; a supervisor's answer that says something
    about the same question as an older entry is shown as a possible conflict with it."""
    from frontdesk.lifecycle import Answered
    from frontdesk.web.profile import save

    save(web_services, {"name": "Glow", "hours": "Monday to Friday 9am to 5pm"}, by=EMAIL)
    web_services.knowledge.create("What are your opening hours?", "We're open every day 8 to 8.", by=EMAIL)
    old = web_services.knowledge.create("Can I bring my dog?", "No pets, sorry, except guide dogs.", by=EMAIL)
    rid = escalate(web_services, "Can I bring my dog to my appointment?")
    with web_services.db.write() as s:
        new_id = web_services.knowledge.learn(s, Answered(id=rid, question="Can I bring my dog to my appointment?",
                                                          answer="Small dogs are welcome in the salon."),
                                              "Can I bring my dog to my appointment?", EMAIL, web_services.clock.now())
    body = client.get("/knowledge").get_data(as_text=True)
    assert "Answered by the business profile" in body
    assert f'id="entry-{new_id}"' in body and f'Possible conflict</strong> with <a href="#entry-{old.id}">' in body
    assert body.count("Possible conflict") == 1
