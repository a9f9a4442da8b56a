"""Availability and accounts over HTTP: the JSON API, the nav's one-click status, the tab's heartbeat,
the account page (own phone), and the profile's structured opening hours."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from frontdesk.clock import FakeClock
from frontdesk.services import Services

from .conftest import EMAIL


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _me(app: Flask, token: str) -> dict:  # type: ignore[type-arg]
    items = app.test_client().get("/api/v1/supervisors", headers=_auth(token)).get_json()["items"]
    return next(i for i in items if i["email"] == EMAIL)


def test_api_availability_heartbeat_and_lapse(app: Flask, token: str, clock: FakeClock) -> None:
    c = app.test_client()
    me = _me(app, token)
    assert set(me) >= {"id", "email", "name", "availability", "last_seen_at"} and me["availability"] == "offline"
    r = c.put("/api/v1/me/availability", json={"status": "online"}, headers=_auth(token))
    assert r.status_code == 200 and r.get_json() == {"status": "online"}
    assert _me(app, token)["availability"] == "online"
    clock.advance(80)
    assert c.post("/api/v1/me/heartbeat", headers=_auth(token)).get_json() == {"status": "online"}
    clock.advance(80)
    assert _me(app, token)["availability"] == "online"
    clock.advance(11)
    me = _me(app, token)
    assert me["availability"] == "offline" and me["last_seen_at"].endswith("Z")


def test_api_refuses_bad_status_and_anonymous(app: Flask, token: str) -> None:
    c = app.test_client()
    for body in ({"status": "sleeping"}, {}, {"status": 3}):
        r = c.put("/api/v1/me/availability", json=body, headers=_auth(token))
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid"
    r = c.put("/api/v1/me/availability", data="nope", headers=_auth(token))
    assert r.status_code == 400
    assert c.get("/api/v1/supervisors").status_code == 401
    assert c.put("/api/v1/me/availability", json={"status": "online"}).status_code == 401
    assert c.post("/api/v1/me/heartbeat").status_code == 401


def test_nav_control_on_every_page_and_one_click(client: FlaskClient, app: Flask, token: str) -> None:
    for page in ("/pending", "/resolved", "/knowledge", "/profile", "/analytics", "/account"):
        html = client.get(page).get_data(as_text=True)
        assert 'id="presence-form"' in html and "js/presence.js" in html, page
        assert 'value="offline" class="presence-btn presence-offline" aria-pressed="true"' in html
    r = client.post("/presence/availability", data={"status": "online", "next": "/knowledge?q=x"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/knowledge?q=x")
    assert _me(app, token)["availability"] == "online"
    html = client.get("/pending").get_data(as_text=True)
    assert 'value="online" class="presence-btn presence-online" aria-pressed="true"' in html
    assert '<ul class="online-list" id="online-list" aria-label="Supervisors online"><li>Sam</li></ul>' in html
    # No open redirect through `next`.
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = client.post("/presence/availability", data={"status": "away", "next": evil})
        assert r.headers["Location"].endswith("/pending"), evil


def test_dashboard_heartbeat_and_json_status(client: FlaskClient, clock: FakeClock) -> None:
    r = client.post("/presence/availability", data={"status": "online"}, headers={"Accept": "application/json"})
    assert r.get_json() == {"status": "online", "online": ["Sam"]}
    clock.advance(200)
    r = client.post("/presence/heartbeat")
    assert r.status_code == 200 and r.get_json() == {"status": "online", "online": ["Sam"]}
    assert r.headers["Cache-Control"] == "no-store"
    assert client.post("/presence/availability", data={"status": "bogus"}).status_code == 400


def test_dashboard_presence_needs_login_and_csrf(app: Flask, web_services: Services) -> None:
    anon = app.test_client()
    assert anon.post("/presence/heartbeat").status_code == 302
    app.config["WTF_CSRF_ENABLED"] = True
    c = app.test_client()
    from .conftest import PASSWORD

    c.get("/login")
    # Log in with CSRF off for brevity, then check the heartbeat refuses a missing token.
    app.config["WTF_CSRF_ENABLED"] = False
    c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    app.config["WTF_CSRF_ENABLED"] = True
    assert c.post("/presence/heartbeat").status_code == 400


def test_account_page_sets_an_e164_phone(client: FlaskClient, app: Flask, token: str) -> None:
    assert "My account" in client.get("/account").get_data(as_text=True)
    r = client.post("/account", data={"name": "Sam Stylist", "phone": "(415) 555-0142"})
    assert r.status_code == 302
    me = _me(app, token)
    assert me["phone"] == "+14155550142" and me["name"] == "Sam Stylist"
    r = client.post("/account", data={"name": "Sam", "phone": "555-0100"})
    assert r.status_code == 400 and "not a phone number" in r.get_data(as_text=True)
    assert _me(app, token)["phone"] == "+14155550142"
    client.post("/account", data={"name": "Sam", "phone": ""})
    assert _me(app, token)["phone"] == ""


def test_profile_opening_hours_api_and_form(client: FlaskClient, app: Flask, token: str) -> None:
    c = app.test_client()
    hours = {"monday": {"open": "09:00", "close": "17:00"}, "saturday": {"open": "10:00", "close": "24:00"}}
    r = c.put("/api/v1/profile", json={"name": "Glow", "opening_hours": hours, "timezone": "Europe/Paris"},
              headers=_auth(token))
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["opening_hours"] == hours and body["timezone"] == "Europe/Paris"
    for bad in ({"timezone": "Mars/Olympus"}, {"opening_hours": {"monday": {"open": "9", "close": "5"}}},
                {"opening_hours": "9-5"}, {"timezone": 5}):
        r = c.put("/api/v1/profile", json=bad, headers=_auth(token))
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "invalid", bad
    html = client.get("/profile").get_data(as_text=True)
    assert 'id="open_monday" name="open_monday" value="09:00"' in html
    assert 'id="close_saturday" name="close_saturday" value="00:00"' in html  # 24:00 shown as midnight
    form = {"name": "Glow", "timezone": "America/New_York", "open_tuesday": "08:30", "close_tuesday": "18:00",
            "open_wednesday": "09:00", "close_wednesday": "17:00", "closed_wednesday": "1"}
    assert client.post("/profile", data=form).status_code == 302
    body = c.get("/api/v1/profile", headers=_auth(token)).get_json()
    assert body["opening_hours"] == {"tuesday": {"open": "08:30", "close": "18:00"}}
    assert body["timezone"] == "America/New_York"


def test_openapi_documents_presence(app: Flask) -> None:
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    for path in ("/supervisors", "/me/availability", "/me/heartbeat"):
        assert path in doc["paths"]
    assert "opening_hours" in doc["components"]["schemas"]["Profile"]["properties"]
    assert doc["components"]["schemas"]["Availability"]["properties"]["status"]["enum"] == ["online", "away", "offline"]
