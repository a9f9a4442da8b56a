"""When the database is unreachable: fail fast and cleanly, recover on its own.

A PostgreSQL restart, a failover or a full connection pool must never turn into a 500 or a request
that hangs. Three parts:

- `engine_options(settings)`: connection settings that bound every wait (libpq connect timeout,
  TCP keepalives, a server-side statement timeout, the pool's wait for a free connection); the
  engine's `pool_pre_ping` (set in `db.py`) swaps out connections a restart killed, so the process
  recovers by itself once the database is back.
- `is_outage(exc)`: which exceptions mean "the database is not there right now" (connection
  refused or dropped, server shutting down or starting up, timeouts, a locked SQLite file).
- `register(app)`: an error handler answering those with `503 {"error": {"code": "unavailable"}}`
  and `Retry-After` (a plain page outside the API), logged as a warning without a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import InternalServerError

from frontdesk.settings import Settings

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
MESSAGE = "the service is briefly unavailable (its database cannot be reached); please retry"

#: SQLAlchemy wraps driver errors: OperationalError covers refused/dropped connections, "the database
#: system is shutting down / starting up", statement and lock timeouts; InterfaceError a closed
#: connection; TimeoutError is the pool's wait for a free connection.
OUTAGE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
)


def _driver_errors() -> tuple[type[Exception], ...]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return ()
    return (psycopg.OperationalError, psycopg.InterfaceError)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` means the database is unreachable or overloaded, not that the request was wrong."""
    if isinstance(exc, OUTAGE_ERRORS + _driver_errors()):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def engine_options(settings: Settings) -> dict[str, Any]:
    """Engine keyword arguments bounding every database wait (PostgreSQL; SQLite has its busy timeout)."""
    if settings.is_sqlite:
        return {}
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, int(settings.db_connect_timeout_seconds)),
        # A peer that vanished without closing (a cut network) is noticed in ~25 s, not hours.
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
    }
    if settings.db_statement_timeout_seconds > 0:
        connect_args["options"] = f"-c statement_timeout={int(settings.db_statement_timeout_seconds * 1000)}"
    return {"connect_args": connect_args, "pool_timeout": settings.db_connect_timeout_seconds * 2}


def unavailable_response() -> Response:
    """The 503 answer: JSON under /api (and for JSON clients), a short page elsewhere; both with Retry-After."""
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        response = jsonify({"error": {"code": "unavailable", "message": MESSAGE}})
    else:
        response = Response("Frontdesk is briefly unavailable. Please try again in a moment.\n",
                            mimetype="text/plain")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    """Answer database outages with a 503 instead of the generic 500 handler."""

    def _outage(exc: BaseException) -> Response:
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    type(getattr(exc, "orig", None) or exc).__name__)
        return unavailable_response()

    for kind in OUTAGE_ERRORS + _driver_errors():
        app.register_error_handler(kind, _outage)

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError) -> Any:
        # An outage inside another error handler (a page template that counts the queue) lands here.
        if exc.original_exception is not None and is_outage(exc.original_exception):
            return _outage(exc.original_exception)
        if request.path.startswith("/api/"):
            return jsonify({"error": {"code": "internal", "message": "internal error; it has been logged"}}), 500
        return "Internal error; it has been logged.", 500

