"""The Flask application factory."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.routing import BaseConverter, IntegerConverter

from frontdesk import outage
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.web import errors, headers

log = logging.getLogger(__name__)
csrf = CSRFProtect()


class BoundedInt(IntegerConverter):
    """`<int:id>` that only matches ids a database INTEGER can hold, so a huge id is a 404, not a driver error.

    ASCII digits without a leading zero only: Werkzeug's `\\d+` also matches other scripts' digits ('٣').
    """

    # 1..2147483647 by the pattern itself: a converter that refuses a value after the path matched makes
    # Werkzeug answer 405 (it remembers the other methods of that path), where 404 is right.
    regex = (r"(?:[1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}"
             r"|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7])")

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class CallId(BaseConverter):
    """`<call_id:...>`: ASCII letters and digits only (ids are hex), so `/calls/voice-token` is never a call."""

    regex = r"[0-9A-Za-z]{1,64}"


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the dashboard + API app. Pass `services` to share them (tests, `serve`)."""
    settings = settings or (services.settings if services else Settings())  # type: ignore[call-arg]
    services = services or build_services(settings)
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedInt  # before any route is added
    app.url_map.converters["call_id"] = CallId
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        SESSION_COOKIE_NAME="frontdesk_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        JSON_SORT_KEYS=False,
    )
    app.extensions["frontdesk"] = services
    errors.register(app)
    outage.register(app)  # database unreachable -> 503 + Retry-After, never a 500
    csrf.init_app(app)
    _register_blueprints(app)
    _register_template_helpers(app, services)

    headers.install(app, settings)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        # A stale or missing form token: say so plainly instead of a bare "400 Bad Request".
        from flask import render_template, url_for

        if request.path.startswith("/api/"):
            return errors.error_response(400, "csrf", exc.description or "CSRF token missing")
        back = url_for("auth.login") if request.path == "/login" else url_for("pages.pending")
        return render_template("error.html", title="This form has expired",
                               message="For your safety forms are only valid for a while. Reload the page and "
                                       "try again.", back=back), 400
    # Notifications' blueprints: follow-ups API and re-send, Prometheus metrics.
    from frontdesk.web import api_followups, metrics

    app.register_blueprint(metrics.bp)
    from frontdesk.web import metrics_queue

    metrics_queue.install(app, services)  # queue bands, lags, searches, API latency histograms
    from frontdesk.web import views_analytics

    views_analytics.register(app, csrf)  # the analytics page and /api/v1/analytics
    api_followups.register(app, csrf)
    # The receptionist's public text-call API (CSRF-exempt, no cookies) and the caller page.
    from frontdesk.web import api_calls, call_page

    app.register_blueprint(api_calls.bp)
    csrf.exempt(api_calls.bp)
    app.register_blueprint(call_page.bp)
    # Presence: availability API (bearer), the nav's status control, heartbeat and account page.
    from frontdesk.web import presence as web_presence

    csrf.exempt(web_presence.api)
    app.register_blueprint(web_presence.api)
    app.register_blueprint(web_presence.pages)
    # Answers from anywhere: Twilio's SMS webhook and the inbound-email webhook (signed, not cookie-based).
    from frontdesk.web import webhooks

    app.register_blueprint(webhooks.bp)
    csrf.exempt(webhooks.bp)
    from frontdesk.web import pwa  # manifest, service worker, offline page (installable web app)

    app.register_blueprint(pwa.bp)

    # Live handoff: the supervisors' transfer API (bearer token) and the dashboard's offer card / held call.
    from frontdesk.web import api_transfers, call_events, views_transfers

    csrf.exempt(api_transfers.bp)
    app.register_blueprint(api_transfers.bp)
    app.register_blueprint(views_transfers.bp)
    app.register_blueprint(call_events.bp)  # the caller page's stream while on hold (GET only)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, str], int] | tuple[dict[str, str], int, dict[str, str]]:
        """Readiness probe: 503 until the models and the text-call hub are loaded (a few seconds after
        start), so a load balancer or an orchestrator sends callers only to a warm process."""
        if services.ready:
            return {"status": "ready"}, 200
        return {"status": "warming up"}, 503, {"Retry-After": "1"}

    return app


def _register_blueprints(app: Flask) -> None:
    # API blueprints under /api/v1 authenticate by bearer token (no cookies) and are CSRF-exempt.
    from frontdesk.web import api_kb, api_requests, openapi, views_auth, views_kb, views_requests

    for bp in (views_auth.bp, views_requests.bp, views_kb.bp):
        app.register_blueprint(bp)
    for bp in (views_auth.api, api_requests.bp, api_kb.bp, openapi.bp):
        csrf.exempt(bp)
        app.register_blueprint(bp)


def _register_template_helpers(app: Flask, services: Services) -> None:
    from frontdesk.web import filters
    from frontdesk.web.auth import current_supervisor

    filters.register(app, services.clock)

    def pending_count() -> int:
        from frontdesk.web.queries import count_pending

        with services.db.read() as s:
            return count_pending(s)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        # Callables, so fragments that never show them cost no query.
        from frontdesk.web.event_text import sentence
        from frontdesk.web.presence import my_availability, online_names

        return {"current_supervisor": current_supervisor, "pending_count": pending_count,
                "business_name": lambda: filters.business_name(services),
                "my_availability": my_availability, "online_names": online_names, "event_sentence": sentence}


def services_of(app: Flask) -> Services:
    """The services the app was built with."""
    return app.extensions["frontdesk"]
