"""Live handoff through the API and the dashboard: auth, 409s, the held caller's answer shape, the offer
card on an online supervisor's page, and the held call's chat view."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from frontdesk import presence
from frontdesk.demo import seed_demo
from frontdesk.models import Supervisor
from frontdesk.services import Services

from .conftest import EMAIL


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def go_online(svc: Services) -> int:
    with svc.db.read() as s:
        sid = s.scalars(select(Supervisor.id).where(Supervisor.email == EMAIL)).one()
    presence.set_availability(svc.db, svc.clock.now(), sid, "online")
    return int(sid)


def test_handoff_api_end_to_end(app: Flask, web_services: Services, token: str) -> None:
    seed_demo(web_services.db, web_services.clock, web_services.knowledge)
    go_online(web_services)
    c = app.test_client()
    cid = c.post("/api/v1/calls", json={"caller_phone": "+15550001111"}).get_json()["id"]
    r = c.post(f"/api/v1/calls/{cid}/messages", json={"text": "Can I speak to someone please?"})
    assert r.status_code == 200 and "connecting" in r.get_json()["reply"] and r.get_json()["held_by"] is None
    assert c.get("/api/v1/transfers").status_code == 401
    items = c.get("/api/v1/transfers?status=offered", headers=bearer(token)).get_json()["items"]
    [offer] = [i for i in items if i["call_id"] == cid]
    assert {"question", "summary", "reason", "offered_at", "expires_at", "taken_by"} <= set(offer)
    assert c.get("/api/v1/transfers?status=nope", headers=bearer(token)).status_code == 400
    r = c.post(f"/api/v1/transfers/{offer['id']}/accept", headers=bearer(token))
    assert r.status_code == 200 and r.get_json()["transport"] == "text" and "token" not in r.get_json()
    assert c.post(f"/api/v1/transfers/{offer['id']}/accept", headers=bearer(token)).status_code == 409
    assert c.post(f"/api/v1/transfers/{offer['id']}/decline", headers=bearer(token)).status_code == 409
    assert c.post("/api/v1/transfers/999999/accept", headers=bearer(token)).status_code == 404
    assert c.post(f"/api/v1/calls/{cid}/supervisor-messages", json={"text": "Hi, Sam here."}).status_code == 401
    r = c.post(f"/api/v1/calls/{cid}/supervisor-messages", json={"text": "Hi, Sam here."}, headers=bearer(token))
    assert r.status_code == 201
    assert c.post(f"/api/v1/calls/{cid}/supervisor-messages", json={"text": 5}, headers=bearer(token)).status_code == 400
    r = c.post(f"/api/v1/calls/{cid}/messages", json={"text": "What are your opening hours?"})
    assert r.get_json() == {"reply": None, "help_request_id": None, "held_by": "Sam"}
    roles = [x["role"] for x in c.get(f"/api/v1/calls/{cid}").get_json()["transcript"]]
    assert roles[-2:] == ["supervisor", "caller"]
    assert c.post(f"/api/v1/calls/{cid}/takeover", headers=bearer(token)).status_code == 409
    assert c.post(f"/api/v1/calls/{cid}/release", headers=bearer(token)).status_code == 200
    assert c.post(f"/api/v1/calls/{cid}/release", headers=bearer(token)).status_code == 409
    r = c.post(f"/api/v1/calls/{cid}/messages", json={"text": "What time do you open?"})
    assert "9am" in r.get_json()["reply"]
    r = c.post(f"/api/v1/calls/{cid}/takeover", headers=bearer(token))
    assert r.status_code == 200 and r.get_json()["call_id"] == cid
    assert c.post("/api/v1/calls/nothere/takeover", headers=bearer(token)).status_code == 404
    paths = c.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/transfers", "/transfers/{id}/accept", "/transfers/{id}/decline", "/calls/{id}/takeover",
            "/calls/{id}/supervisor-messages", "/calls/{id}/release"} <= set(paths)
    web_services.stop()


def test_offer_card_and_held_view_on_the_dashboard(client: FlaskClient, web_services: Services, app: Flask) -> None:
    seed_demo(web_services.db, web_services.clock, web_services.knowledge)
    caller = app.test_client()
    cid = caller.post("/api/v1/calls", json={"caller_phone": "+15550002222"}).get_json()["id"]
    caller.post(f"/api/v1/calls/{cid}/messages", json={"text": "Do you do <b>bridal</b> trials?"})
    # Offline supervisors are not offered anything.
    go_online(web_services)
    caller.post(f"/api/v1/calls/{cid}/messages", json={"text": "Can I talk to the manager?"})
    page = client.get("/transfers/offers").get_data(as_text=True)
    assert "offer-card" in page and "Accept" in page and "<b>bridal</b>" not in page and "&lt;b&gt;" in page
    tid = web_services.transfers.store.recent("offered")[0].id
    r = client.post(f"/transfers/{tid}/accept")
    assert r.status_code == 200 and r.get_json()["url"] == f"/live/{cid}"
    assert "offer-card" not in client.get("/transfers/offers").get_data(as_text=True)
    assert "you hold this call" in client.get(f"/live/{cid}").get_data(as_text=True)
    assert client.post(f"/live/{cid}/say", json={"text": "Hello from Sam"}).status_code == 201
    data = client.get(f"/live/{cid}/lines").get_json()
    assert data["mine"] and data["transcript"][-1] == {**data["transcript"][-1], "role": "supervisor",
                                                       "text": "Hello from Sam"}
    assert client.post(f"/live/{cid}/release").status_code == 200
    assert client.post(f"/live/{cid}/end").status_code == 409  # not holding it any more
    assert app.test_client().get("/transfers/offers").status_code == 302  # anonymous: to the login page
    web_services.stop()
