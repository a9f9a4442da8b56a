"""Caller text is hostile: a question carrying HTML is shown escaped on every page that shows it."""

from __future__ import annotations

import html

from flask.testing import FlaskClient

from frontdesk.services import Services
from tests.web.conftest import XSS, escalate

QUESTION = f"Do you do {XSS} treatments?"


def _assert_escaped(body: str, where: str) -> None:
    assert XSS not in body, where
    assert "<script>alert" not in body and "<img src=x" not in body, where
    assert XSS in html.unescape(body), where  # shown to the supervisor as text


def test_caller_html_is_escaped_everywhere(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, QUESTION, caller_name=XSS)
    # A second caller joins, with hostile text in the transcript too.
    pages = {
        "pending": "/pending",
        "sse fragment": f"/pending/cards?ids={rid}",
        "detail": f"/requests/{rid}",
    }
    for where, url in pages.items():
        r = client.get(url)
        assert r.status_code == 200
        _assert_escaped(r.get_data(as_text=True), where)

    r = client.post(f"/requests/{rid}/answer", data={"answer": f"Yes! {XSS}", "add_to_kb": "1"})
    assert r.status_code == 302
    for where, url in {"resolved": "/resolved", "resolved search": "/resolved?q=treatments",
                       "detail after answer": f"/requests/{rid}", "knowledge after learning": "/knowledge",
                       "knowledge search": "/knowledge?q=treatments"}.items():
        body = client.get(url).get_data(as_text=True)
        assert "treatments" in body, where
        _assert_escaped(body, where)


def test_unresolved_history_escapes_questions(client: FlaskClient, web_services: Services) -> None:
    rid = escalate(web_services, QUESTION)
    web_services.clock.advance(seconds=web_services.settings.request_timeout_seconds + 1)  # type: ignore[attr-defined]
    assert web_services.desk.sweep() == 1
    body = client.get("/unresolved").get_data(as_text=True)
    assert f"#{rid}" in body
    _assert_escaped(body, "unresolved")


def test_profile_and_flash_messages_escape_input(client: FlaskClient) -> None:
    r = client.post("/profile", data={"name": XSS, "about": XSS, "service_name": [XSS], "service_price": ["$1"],
                                      "service_duration": ["1h"]}, follow_redirects=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and XSS not in body
    assert "<script>alert" not in client.get("/pending").get_data(as_text=True)  # business name in the layout
