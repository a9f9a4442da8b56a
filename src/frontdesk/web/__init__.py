"""The Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.web import errors

log = logging.getLogger(__name__)
csrf = CSRFProtect()


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the dashboard + API app. Pass `services` to share them (tests, `serve`)."""
    settings = settings or (services.settings if services else Settings())
    services = services or build_services(settings)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        JSON_SORT_KEYS=False,
    )
    app.extensions["frontdesk"] = services
    errors.register(app)
    csrf.init_app(app)
    # Blueprints. API blueprints under /api/v1 authenticate by bearer token and are CSRF-exempt.
    from frontdesk.web import api_calls, call_page

    app.register_blueprint(api_calls.bp)
    csrf.exempt(api_calls.bp)
    app.register_blueprint(call_page.bp)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness probe."""
        return {"status": "ok"}

    return app


def services_of(app: Flask) -> Services:
    """The services the app was built with."""
    return app.extensions["frontdesk"]
