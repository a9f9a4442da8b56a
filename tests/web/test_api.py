"""The JSON API: help requests, knowledge, profile, OpenAPI; hostile input never gets a 5xx."""

from __future__ import annotations

import json
import os
import re

import pytest
from flask import Flask

from frontdesk.demo import seed_demo
from frontdesk.services import Services
from tests.web.conftest import escalate


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_help_request_list_detail_answer_and_conflict(app: Flask, token: str, web_services: Services) -> None:
    c, h = app.test_client(), _auth(token)
    rid = escalate(web_services, "Do you do hair tattoos?", phone="+15550009876")
    items = c.get("/api/v1/help-requests?status=pending", headers=h).get_json()["items"]
    assert [i["id"] for i in items] == [rid]
    item = items[0]
    for key in ("id", "question", "status", "created_at", "expires_at", "answer", "answered_by", "outcome",
                "resolved_at", "callers_waiting", "caller"):
        assert key in item
    assert item["caller"] == "+1••••••9876" and item["callers_waiting"] == 1 and item["status"] == "pending"

    r = c.post(f"/api/v1/help-requests/{rid}/answer", headers=h,
               json={"answer": "Yes, simple designs.", "add_to_kb": True, "kb_question": "Hair tattoos?"})
    assert r.status_code == 200 and r.get_json()["status"] == "resolved"
    assert r.get_json()["answered_by"] == "sup@example.com"
    r = c.post(f"/api/v1/help-requests/{rid}/answer", headers=h, json={"answer": "No."})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "conflict"
    detail = c.get(f"/api/v1/help-requests/{rid}", headers=h).get_json()
    assert [e["action"] for e in detail["events"]][:2] == ["created", "answered"]
    assert detail["followups"] and all("9876" not in f["recipient"] or "•" in f["recipient"]
                                       for f in detail["followups"])
    assert c.get("/api/v1/help-requests?status=resolved&q=tattoo", headers=h).get_json()["total"] == 1
    assert c.get("/api/v1/help-requests/99999", headers=h).status_code == 404
    assert c.post("/api/v1/help-requests/99999/answer", headers=h, json={"answer": "x"}).status_code == 404
    r = c.post(f"/api/v1/help-requests/{rid}/answer", headers=h, json={"answer": 5})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid"
    assert c.get("/api/v1/help-requests?status=weird", headers=h).status_code == 400
    assert c.get("/api/v1/help-requests?page=0", headers=h).status_code == 400


def test_close_via_api(app: Flask, token: str, web_services: Services) -> None:
    c, h = app.test_client(), _auth(token)
    rid = escalate(web_services, "Can you call me back at midnight?")
    r = c.post(f"/api/v1/help-requests/{rid}/close", headers=h, json={"reason": "out of scope"})
    assert r.status_code == 200 and r.get_json()["outcome"] == "closed"
    assert c.post(f"/api/v1/help-requests/{rid}/close", headers=h).status_code == 409


def test_knowledge_api_and_search_is_what_the_agent_uses(app: Flask, token: str, web_services: Services) -> None:
    seed_demo(web_services.db, web_services.clock, web_services.knowledge)
    c, h = app.test_client(), _auth(token)
    r = c.post("/api/v1/knowledge", headers=h, json={"question": "Do you have a loyalty card?",
                                                     "answer": "Yes, every tenth cut is free."})
    assert r.status_code == 201
    entry = r.get_json()
    assert entry["source"] == "manual" and entry["created_by"] == "sup@example.com"
    for q in ("Do you have a loyalty card?", "where is the salon", "is parking available", "helicopter"):
        got = c.get("/api/v1/knowledge/search", query_string={"q": q}, headers=h).get_json()
        agent = web_services.knowledge.search(q)
        assert got["answerable"] == agent.answerable
        assert [(m["id"], m["score"]) for m in got["matches"]] == [(m.id, m.score) for m in agent.matches]
    r = c.patch(f"/api/v1/knowledge/{entry['id']}", headers=h, json={"answer": "Every tenth cut is free."})
    assert r.get_json()["answer"] == "Every tenth cut is free."
    assert c.delete(f"/api/v1/knowledge/{entry['id']}", headers=h).get_json()["status"] == "archived"
    assert not web_services.knowledge.search("Do you have a loyalty card?").answerable
    assert c.patch(f"/api/v1/knowledge/{entry['id']}", headers=h,
                   json={"status": "active"}).get_json()["status"] == "active"
    listed = c.get("/api/v1/knowledge?status=active&q=loyalty", headers=h).get_json()
    assert listed["total"] == 1
    assert c.patch(f"/api/v1/knowledge/{entry['id']}", headers=h, json={"status": "bogus"}).status_code == 400
    assert c.get("/api/v1/knowledge/search", headers=h).status_code == 400
    assert c.delete("/api/v1/knowledge/4242", headers=h).status_code == 404


def test_profile_api(app: Flask, token: str) -> None:
    c, h = app.test_client(), _auth(token)
    assert c.get("/api/v1/profile", headers=h).get_json()["name"] == ""
    r = c.put("/api/v1/profile", headers=h, json={"name": "Glow", "services": [{"name": "Cut", "price": "$40"}]})
    assert r.status_code == 200 and r.get_json()["services"] == [{"name": "Cut", "price": "$40", "duration": ""}]
    assert c.put("/api/v1/profile", headers=h, json={"services": "lots"}).status_code == 400
    assert c.put("/api/v1/profile", headers=h, json={"name": 5}).status_code == 400
    assert c.put("/api/v1/profile", headers=h, json={}).status_code == 400


def test_openapi_documents_the_whole_contract(app: Flask) -> None:
    r = app.test_client().get("/api/v1/openapi.json")
    spec = r.get_json()
    assert r.status_code == 200 and spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    for path, method in [("/auth/token", "post"), ("/calls", "post"), ("/calls/{id}/messages", "post"),
                         ("/calls/{id}", "get"), ("/calls/{id}/end", "post"), ("/help-requests", "get"),
                         ("/help-requests/{id}", "get"), ("/help-requests/{id}/answer", "post"),
                         ("/help-requests/{id}/close", "post"), ("/knowledge", "get"), ("/knowledge", "post"),
                         ("/knowledge/{id}", "patch"), ("/knowledge/{id}", "delete"), ("/knowledge/search", "get"),
                         ("/followups", "get"), ("/profile", "get"), ("/profile", "put"), ("/openapi.json", "get")]:
        assert method in paths.get(path, {}), (path, method)
    # Every route this app serves under /api/v1 is documented.
    served = {re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule.replace("/api/v1", "", 1))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    assert served <= set(paths), served - set(paths)


HOSTILE = [b"", b"{", b"[]", b"null", b'{"text": 5}', b'{"text": "' + b"\\u0000" * 50 + b'"}',
           json.dumps({"text": "'; DROP TABLE help_requests; --", "answer": "<script>", "question": "\u0000x",
                       "caller_phone": "x" * 5000, "status": "\u0000", "name": "\u0000"}).encode(),
           b'{"a":' * 2000 + b"1" + b"}" * 2000, os.urandom(64), b'{"answer": "\\u0000\\u0000", "add_to_kb": "yes"}']


@pytest.mark.parametrize("auth", [False, True])
def test_hostile_bodies_never_get_a_server_error(app: Flask, token: str, web_services: Services, auth: bool) -> None:
    rid = escalate(web_services, "A question to attack")
    entry = web_services.knowledge.create("Q to attack", "A", by="t")
    c = app.test_client()
    headers = {"Content-Type": "application/json", **(_auth(token) if auth else {})}
    spec = c.get("/api/v1/openapi.json").get_json()
    for path, ops in spec["paths"].items():
        for url in ("/api/v1" + path.replace("{id}", str(rid if "help" in path else entry.id)),
                    "/api/v1" + path.replace("{", "").replace("}", ""),
                    "/api/v1" + path.replace("{id}", "99999999999999999999")):
            for method in ops:
                for raw in HOSTILE if method != "get" else [None]:
                    r = c.open(url, method=method.upper(), data=raw, headers=headers,
                               query_string={"q": "\u0000%_", "status": "\u0000", "page": "-1"})
                    assert r.status_code < 500, (method, url, raw[:20] if raw else raw, r.status_code)
                    if r.status_code >= 400:
                        assert r.is_json and "error" in r.get_json(), (method, url)
