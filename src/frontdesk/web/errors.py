"""Errors: JSON `{"error": {"code", "message"}}` under /api, plain pages elsewhere; never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from frontdesk.errors import Conflict, InvalidInput, LifecycleError, NotFound

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raise from a route to answer with a JSON error and a 4xx status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    """The JSON error body of the contract."""
    return jsonify({"error": {"code": code, "message": message}}), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register(app: Flask) -> None:
    """Install the error handlers on `app`."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(LifecycleError)
    def _lifecycle_error(exc: LifecycleError):  # type: ignore[no-untyped-def]
        status = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 400
        if not _wants_json():
            return str(exc), status
        code = exc.code if not isinstance(exc, InvalidInput) else "invalid"
        return error_response(status, code, str(exc))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        if not _wants_json():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        response, status = error_response(exc.code or 400, code, exc.description or exc.name)
        # Keep what the exception says besides its HTML body: `Allow` on a 405, `Retry-After`, ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _wants_json():
            return error_response(500, "internal", "internal error; it has been logged")
        return "Internal error; it has been logged.", 500
