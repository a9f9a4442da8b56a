"""The outside audit's findings on main, each pinned by a test that failed before its fix:
open redirects, sessions and tokens that outlived logout / password reset, 500s on odd numbers,
missing headers, JSON 405 without `Allow`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from frontdesk.services import Services
from tests.web.conftest import EMAIL, PASSWORD, escalate

# What a browser does to a Location before following it: drops tabs and newlines, reads `\` as `/`.
BROWSER_STRIPS = re.compile(r"[\t\n\r]")
HOSTILE_NEXT = [
    "//evil.example/x", "/\t/evil.example/x", "/\\evil.example/x", "\\\\evil.example", "/\\/evil.example",
    "/\n/evil.example", "/\r\n/evil.example", "https://evil.example/", "javascript:alert(1)", " //evil.example",
    "/%0a/evil", "\t//evil.example", "/\x00/evil.example", "http:/evil.example", "/" + "a" * 600,
]


def _lands_on_this_site(location: str) -> bool:
    seen = BROWSER_STRIPS.sub("", location).replace("\\", "/").strip()
    parts = urlsplit(seen)
    return seen.startswith("/") and not seen.startswith("//") and not parts.scheme and not parts.netloc


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_next_never_leaves_the_site(app: Flask, target: str) -> None:
    c = app.test_client()
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD, "next": target})
    assert r.status_code == 302 and _lands_on_this_site(r.headers["Location"]), r.headers["Location"]
    r = c.get("/login", query_string={"next": target})  # already logged in: straight to `next`
    assert r.status_code == 302 and _lands_on_this_site(r.headers["Location"]), r.headers["Location"]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_form_next_fields_never_leave_the_site(client: FlaskClient, web_services: Services, target: str) -> None:
    rid = escalate(web_services, "Is there parking nearby?")
    r = client.post(f"/requests/{rid}/close", data={"next": target})
    assert r.status_code == 302 and _lands_on_this_site(r.headers["Location"]), r.headers["Location"]
    r = client.post("/knowledge", data={"question": "q?", "answer": "a.", "next": "/knowledge" + target})
    assert r.status_code == 302 and _lands_on_this_site(r.headers["Location"]), r.headers["Location"]


def test_safe_next_keeps_ordinary_paths(app: Flask) -> None:
    r = app.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD,
                                                "next": "/resolved?q=hair%20cut&page=2"})
    assert r.headers["Location"] == "/resolved?q=hair%20cut&page=2"


def _cookie(c: FlaskClient) -> str:
    cookie = c.get_cookie("frontdesk_session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    c = app.test_client()
    c.set_cookie("frontdesk_session", value)
    return c


def test_a_saved_session_cookie_stops_working_after_logout(app: Flask, client: FlaskClient) -> None:
    saved = _cookie(client)
    assert _with_cookie(app, saved).get("/pending").status_code == 200
    assert client.post("/logout").status_code == 302
    r = _with_cookie(app, saved).get("/pending")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_reset_ends_sessions_and_api_tokens(app: Flask, client: FlaskClient, token: str,
                                                     web_services: Services) -> None:
    api = app.test_client()
    assert api.get("/api/v1/help-requests", headers=_bearer(token)).status_code == 200
    web_services.accounts.set_password(EMAIL, "a-brand-new-password")
    assert api.get("/api/v1/help-requests", headers=_bearer(token)).status_code == 401
    assert client.get("/pending").status_code == 302
    r = app.test_client().post("/api/v1/auth/token", json={"email": EMAIL, "password": "a-brand-new-password"})
    assert r.status_code == 200


def test_a_token_can_be_revoked(app: Flask, token: str) -> None:
    c = app.test_client()
    other = c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).get_json()["token"]
    r = c.post("/api/v1/auth/revoke", headers=_bearer(token))
    assert r.status_code == 200 and r.get_json() == {"revoked": 1}
    assert c.get("/api/v1/help-requests", headers=_bearer(token)).status_code == 401
    assert c.post("/api/v1/auth/revoke", headers=_bearer(token)).status_code == 401
    assert c.get("/api/v1/help-requests", headers=_bearer(other)).status_code == 200  # only that one


def test_revoke_everywhere_ends_every_token_and_session(app: Flask, client: FlaskClient, token: str) -> None:
    c = app.test_client()
    other = c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).get_json()["token"]
    r = c.post("/api/v1/auth/revoke", headers=_bearer(token), json={"everywhere": True})
    assert r.status_code == 200 and r.get_json()["revoked"] >= 3  # two tokens and the dashboard session
    assert c.get("/api/v1/help-requests", headers=_bearer(other)).status_code == 401
    assert client.get("/pending").status_code == 302


def test_deactivated_supervisor_cannot_log_in_or_use_tokens(app: Flask, client: FlaskClient, token: str,
                                                            web_services: Services) -> None:
    web_services.accounts.set_active(EMAIL, False)
    c = app.test_client()
    assert c.get("/api/v1/help-requests", headers=_bearer(token)).status_code == 401
    assert client.get("/pending").status_code == 302
    assert c.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 401
    assert c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).status_code == 401
    web_services.accounts.set_active(EMAIL, True)
    assert c.get("/api/v1/help-requests", headers=_bearer(token)).status_code == 401  # old tokens stay ended
    assert c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD}).status_code == 200


def test_a_session_id_is_no_bearer_token(app: Flask, client: FlaskClient) -> None:
    with client.session_transaction() as sess:
        sid = sess["sid"]
    assert app.test_client().get("/api/v1/help-requests", headers=_bearer(sid)).status_code == 401


ODD_NUMBERS = ["²", "٣", "１", "-1", "0", "00", "007", "+5", " 5", "5 ", "1e3", "99999999999999999999", "0x10",
               "5\n", "", "NaN"]


@pytest.mark.parametrize("raw", ODD_NUMBERS)
def test_numeric_query_parameters_are_strict(app: Flask, client: FlaskClient, token: str, raw: str) -> None:
    api = app.test_client()
    for url, name in [("/api/v1/help-requests", "page"), ("/api/v1/help-requests", "per_page"),
                      ("/api/v1/knowledge", "page"), ("/api/v1/followups", "help_request_id"),
                      ("/api/v1/followups", "limit")]:
        r = api.get(url, query_string={name: raw}, headers=_bearer(token))
        if raw == "":
            assert r.status_code in (200, 400), (url, name, r.status_code)
        else:
            assert r.status_code == 400, (url, name, raw, r.status_code)
            assert r.get_json()["error"]["code"] == "invalid"
    for url in ("/resolved", "/unresolved", "/knowledge"):
        r = client.get(url, query_string={"page": raw})
        assert r.status_code == (200 if raw == "" else 400), (url, raw, r.status_code)
    assert client.get("/pending/cards", query_string={"ids": f"{raw},1"}).status_code == 200  # odd ids skipped
    assert client.get("/analytics", query_string={"days": raw}).status_code < 500


def test_per_page_cap_cannot_be_dodged_with_leading_zeros(app: Flask, token: str) -> None:
    r = app.test_client().get("/api/v1/help-requests?per_page=0000000500", headers=_bearer(token))
    assert r.status_code == 400
    assert app.test_client().get("/api/v1/help-requests?per_page=200", headers=_bearer(token)).status_code == 200


@pytest.mark.parametrize("raw", ["²", "١", "01", "001", "0", "99999999999", "-1"])
def test_numeric_path_parameters_are_strict(client: FlaskClient, token: str, web_services: Services,
                                            raw: str) -> None:
    escalate(web_services, "Do you do perms?")  # request 1 exists: '١' (Arabic-Indic 1) and '01' must not reach it
    assert client.get(f"/requests/{raw}").status_code == 404
    r = client.get(f"/api/v1/help-requests/{raw}", headers=_bearer(token))
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_last_event_id_of_odd_digits_is_no_error(client: FlaskClient) -> None:
    r = client.get("/events", headers={"Last-Event-ID": "²"}, buffered=False)
    assert r.status_code == 200
    r.close()


def test_json_405_keeps_the_allow_header(app: Flask, token: str) -> None:
    r = app.test_client().put("/api/v1/help-requests", headers=_bearer(token))
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}


def _pages(app: Flask, web_services: Services) -> list[str]:
    rid = escalate(web_services, "Can I bring my dog?")
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in ("static", "pages.events"):
            continue
        out.append(re.sub(r"<[^>]+>", str(rid), rule.rule))
    return out


def test_every_response_has_the_security_headers(app: Flask, client: FlaskClient, web_services: Services) -> None:
    anon = app.test_client()
    for url in _pages(app, web_services) + ["/no-such-page", "/api/v1/no-such-thing", "/requests/99999"]:
        for c in (client, anon):
            r = c.get(url)
            # `/readyz` answers 503 "warming up" by design: this app's services start no workers.
            assert r.status_code < 500 or (url == "/readyz" and r.status_code == 503), url
            h = r.headers
            assert "frame-ancestors 'none'" in h.get("Content-Security-Policy", ""), url
            assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY", url
            assert h.get("Referrer-Policy"), url
            if r.mimetype in ("text/html", "application/json", "text/plain", "text/event-stream"):
                assert h.get("Cache-Control") == "no-store", (url, h.get("Cache-Control"))
            if r.mimetype == "text/html":
                assert "script-src 'self'" in h["Content-Security-Policy"], url
                assert "unsafe-inline" not in h["Content-Security-Policy"], url
            assert "Strict-Transport-Security" not in h  # only in production
    assert client.get("/analytics").headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_production_adds_hsts(web_services: Services) -> None:
    from frontdesk.web import create_app
    from tests.conftest import make_settings

    prod = create_app(make_settings(web_services.settings.database_url, env="production",
                                    secret_key="Vq3-JtZ8rXw0_pLk2NfYb7HsCd9GmEa4Ru6T"), services=web_services)
    for url in ("/login", "/call", "/api/v1/openapi.json", "/healthz"):
        assert "max-age=" in prod.test_client().get(url).headers["Strict-Transport-Security"], url
