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
            return _page(exc.code or 400, exc)
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
        return _page(500, None)


# What an owner reads on an error page: what happened and what to do, never a bare status line.
PAGES = {
    404: ("Page not found", "There is nothing at this address. It may have been a mistyped link, or the "
                            "request or entry was removed."),
    405: ("That didn't work", "This page can't be used that way. Go back and use the buttons on the page."),
    413: ("Too much at once", "That was more than this form accepts. Shorten it and try again."),
    429: ("Slow down a moment", "Too many tries in a short time. Wait a minute, then try again."),
    500: ("Something went wrong", "Sorry, this page failed on our side. The error has been logged; try again "
                                  "in a moment."),
}


def _page(status: int, exc: HTTPException | None):  # type: ignore[no-untyped-def]
    """A styled error page in the dashboard's layout; plain text if even that fails (e.g. database down)."""
    from flask import render_template, url_for

    title, message = PAGES.get(status, ("That didn't work", (exc.description if exc else "") or
                                        "Go back and try again."))
    try:
        back = url_for("pages.pending") if not request.path.startswith("/call") else url_for("call_page.call")
        return render_template("error.html", title=title, message=message, back=back, status=status), status
    except Exception:  # noqa: BLE001 - the error page must never fail
        log.warning("the styled error page failed; answering in plain text", exc_info=True)
        return Response(f"{title}. {message}", status=status, mimetype="text/plain")
