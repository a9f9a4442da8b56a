"""Who is asking: supervisors log in to pages with a session cookie (CSRF-protected forms) and call
the JSON API with `Authorization: Bearer <token>` (no cookies, so no CSRF)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, redirect, request, session, url_for

from frontdesk.models import Supervisor
from frontdesk.web.errors import ApiError

F = TypeVar("F", bound=Callable[..., Any])


def _services():  # type: ignore[no-untyped-def]
    return current_app.extensions["frontdesk"]


def current_supervisor() -> Supervisor | None:
    """The supervisor of this request (bearer token, or the session cookie on pages), or None."""
    if "supervisor" in g:
        return g.supervisor  # type: ignore[no-any-return]
    sup = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        # Also accepted on read-only pages (reports, scripts); browsers never send it on their own,
        # and forms still need their CSRF token.
        sup = _services().accounts.verify_token(header[7:].strip())
    elif not request.path.startswith("/api/") and isinstance(session.get("sid"), str):
        # The cookie only names a server-side session: logout, a password reset or deactivation deletes
        # it, so a copy of the cookie stops working at once.
        sup = _services().accounts.verify_token(session["sid"], kind="session")
    g.supervisor = sup
    return sup


def login_required(view: F) -> F:
    """Pages: redirect anonymous users to the login page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_supervisor() is None:
            target = None
            if request.method == "GET":
                target = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=target))
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def token_required(view: F) -> F:
    """JSON API: 401 with a JSON error unless a valid bearer token is presented."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_supervisor() is None:
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token> from POST /api/v1/auth/token")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def log_in(sup: Supervisor) -> None:
    """Start a fresh server-side session for `sup`; the cookie carries its random id (defeats fixation)."""
    session.clear()
    session["sid"] = _services().accounts.issue_token(sup.id, kind="session")
    session.permanent = True


def log_out() -> None:
    """End the session server-side (a saved copy of the cookie no longer works) and clear the cookie."""
    sid = session.get("sid")
    if isinstance(sid, str):
        _services().accounts.revoke(sid)
    session.clear()
