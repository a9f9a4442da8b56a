"""Follow-up delivery status and re-sending over the JSON API and the dashboard form."""

from __future__ import annotations

import pytest
from flask_wtf.csrf import generate_csrf

from frontdesk.models import Event
from frontdesk.web import create_app

from .conftest import followups

SECRET = "webhook-secret-for-tests-0123456789"


@pytest.fixture
def svc(make_services, receiver):  # type: ignore[no-untyped-def]
    return make_services(supervisor_webhook_url=receiver.url, webhook_secret=SECRET)


@pytest.fixture
def app(svc):  # type: ignore[no-untyped-def]
    app = create_app(services=svc)
    app.add_url_rule("/_test/csrf", "test_csrf", lambda: generate_csrf())
    return app


@pytest.fixture
def auth(svc) -> dict[str, str]:  # type: ignore[no-untyped-def]
    sup = svc.accounts.create("boss@example.com", "correct horse battery", "Boss")
    return {"Authorization": f"Bearer {svc.accounts.issue_token(sup.id)}"}


def test_list_followups_with_status_and_masked_recipients(svc, app, auth, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone="+15550005555").request_id
    other = svc.desk.escalate("Do you do perms?", caller_phone="+15550006666").request_id
    receiver.statuses = [410]
    svc.dispatcher.run_once()
    svc.desk.answer(rid, "Only service animals.", by="boss@example.com")
    svc.dispatcher.run_once()
    client = app.test_client()
    assert client.get("/api/v1/followups").status_code == 401
    items = client.get(f"/api/v1/followups?help_request_id={rid}", headers=auth).get_json()["items"]
    assert {i["help_request_id"] for i in items} == {rid}
    by_kind = {(i["kind"], i["channel"]): i for i in items}
    caller = by_kind[("caller_answer", "console")]
    assert caller["status"] == "sent" and caller["sent_at"] and caller["attempts"] == 1
    assert caller["recipient"].endswith("5555") and "+15550005555" not in str(items)
    hook = by_kind[("supervisor_alert", "webhook")]
    assert hook["status"] == "dead" and hook["last_error"].startswith("HTTP 410")
    assert hook["recipient"] == "webhook 127.0.0.1"
    dead = client.get("/api/v1/followups?status=dead", headers=auth).get_json()["items"]
    assert [i["id"] for i in dead] == [hook["id"]]
    assert other not in {i["help_request_id"] for i in dead}
    bad = client.get("/api/v1/followups?status=lost", headers=auth)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid"
    assert client.get("/api/v1/followups?help_request_id=abc", headers=auth).status_code == 400


def test_resend_dead_webhook_gets_new_delivery_id_and_event(svc, app, auth, receiver) -> None:  # type: ignore[no-untyped-def]
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone="+15550005555").request_id
    receiver.statuses = [404]
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, channel="webhook")
    client = app.test_client()
    r = client.post(f"/api/v1/followups/{row.id}/resend", headers=auth)
    assert r.status_code == 200
    assert (r.get_json()["status"], r.get_json()["attempts"], r.get_json()["resends"]) == ("queued", 0, 1)
    again = client.post(f"/api/v1/followups/{row.id}/resend", headers=auth)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"
    assert client.post("/api/v1/followups/999999/resend", headers=auth).status_code == 404
    assert client.post(f"/api/v1/followups/{row.id}/resend").status_code == 401
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, channel="webhook")
    assert row.status == "sent"
    ids = receiver.delivery_ids()
    assert ids == [row.dedupe_key, row.dedupe_key + "/resend-1"]  # receivers must not drop a deliberate re-send
    with svc.db.read() as s:
        event = s.query(Event).filter_by(entity_id=str(row.id), action="followup_resend").one()
        assert event.actor == "boss@example.com" and event.details["status"] == "dead"


def test_dashboard_resend_form_needs_login_and_csrf(svc, app, auth) -> None:  # type: ignore[no-untyped-def]
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone="+15550005555").request_id
    svc.dispatcher.run_once()
    row = followups(svc, help_request_id=rid, channel="console")[0]
    client = app.test_client()
    anonymous = client.post(f"/followups/{row.id}/resend")
    assert anonymous.status_code in (302, 400) and "/requests/" not in anonymous.headers.get("Location", "")
    sup = svc.accounts.authenticate("boss@example.com", "correct horse battery")
    with client.session_transaction() as sess:
        sess["sid"] = svc.accounts.issue_token(sup.id, kind="session")
    assert client.post(f"/followups/{row.id}/resend").status_code == 400  # no CSRF token
    token = client.get("/_test/csrf").get_data(as_text=True)
    r = client.post(f"/followups/{row.id}/resend", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/requests/{rid}")
    assert followups(svc, id=row.id)[0].status == "queued"
    conflict = client.post(f"/followups/{row.id}/resend", data={"csrf_token": token})
    assert conflict.status_code == 302 and conflict.headers["Location"].endswith(f"/requests/{rid}")
