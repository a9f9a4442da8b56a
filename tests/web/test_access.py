"""Who gets in: anonymous users are refused everywhere but the public routes; forms need CSRF;
login is rate-limited and sessions end on logout."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.web.conftest import EMAIL, PASSWORD

# The only routes meant for people who are not logged in supervisors.
PUBLIC_ENDPOINTS = {"auth.login", "static", "healthz", "readyz", "openapi.openapi", "auth_api.issue_token",
                    "pwa.manifest", "pwa.service_worker", "pwa.offline"}  # the web-app shell: no data
# /webhooks: signed by the provider instead (tests/notifications/test_reply_*.py refuse unsigned ones).
PUBLIC_PREFIXES = ("/call", "/api/v1/calls", "/metrics", "/webhooks")


def _guarded_routes(app: Flask) -> list[tuple[str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.rule.startswith(PUBLIC_PREFIXES):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{arg}>", "1", url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, url))
    return out


def test_every_supervisor_route_refuses_anonymous_users(app: Flask) -> None:
    routes = _guarded_routes(app)
    assert len(routes) >= 25, routes  # the walk really covers the dashboard and the API
    anon = app.test_client()
    for method, url in routes:
        r = anon.open(url, method=method, json={} if url.startswith("/api/") else None)
        if url.startswith("/api/"):
            assert r.status_code == 401, (method, url, r.status_code)
            assert r.get_json()["error"]["code"] == "unauthorized"
        else:
            assert r.status_code == 302, (method, url, r.status_code)
            assert r.headers["Location"].startswith("/login"), (method, url)


def test_anonymous_page_visit_comes_back_after_login(app: Flask) -> None:
    c = app.test_client()
    r = c.get("/resolved?q=parking")
    assert r.status_code == 302 and "next=" in r.headers["Location"]
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD, "next": "/resolved?q=parking"})
    assert r.headers["Location"] == "/resolved?q=parking"


def test_login_refuses_redirects_to_other_sites(app: Flask) -> None:
    r = app.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD, "next": "//evil.example/x"})
    assert r.headers["Location"] == "/pending"


def test_forms_without_csrf_token_are_refused(app: Flask) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    c = app.test_client()
    page = c.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 400 and b"This form has expired" in r.data
    assert c.get("/pending").status_code == 302  # still anonymous
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code == 302 and c.get("/pending").status_code == 200
    # Logged in, every state-changing form still needs the token.
    for url, data in [("/requests/1/answer", {"answer": "x"}), ("/requests/1/close", {}), ("/logout", {}),
                      ("/knowledge", {"question": "q", "answer": "a"}), ("/profile", {"name": "X"}),
                      ("/knowledge/1/status", {"action": "archive"})]:
        assert c.post(url, data=data).status_code == 400, url
    assert c.get("/pending").status_code == 200  # the refused logout did not log us out
    # The JSON API is token-authenticated, so it needs no CSRF token.
    r = c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200


def test_wrong_password_is_refused_and_login_is_rate_limited(app: Flask) -> None:
    c = app.test_client()
    r = c.post("/login", data={"email": EMAIL, "password": "wrong-password"})
    assert r.status_code == 401 and b"Wrong email or password" in r.data
    limit = app.extensions["frontdesk"].settings.login_rate_limit_per_minute
    for _ in range(limit - 1):
        c.post("/login", data={"email": EMAIL, "password": "wrong-password"})
    r = c.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert c.get("/pending").status_code == 302
    r = c.post("/api/v1/auth/token", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 429 and r.get_json()["error"]["code"] == "rate_limited"
    # Another address is not affected.
    r = app.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert r.status_code == 302


def test_logout_ends_the_session(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/pending").status_code == 200
    r = client.post("/logout")
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/pending").status_code == 302


def test_session_cookie_flags(web_services) -> None:  # type: ignore[no-untyped-def]
    from frontdesk.web import create_app
    from tests.conftest import make_settings

    prod = create_app(make_settings(web_services.settings.database_url, env="production",
                                    secret_key="Vq3-JtZ8rXw0_pLk2NfYb7HsCd9GmEa4Ru6T"), services=web_services)
    prod.config["WTF_CSRF_ENABLED"] = False
    r = prod.test_client().post("/login", data={"email": EMAIL, "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


@pytest.mark.parametrize("path", ["/pending", "/knowledge", "/login"])
def test_pages_send_security_headers(client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
