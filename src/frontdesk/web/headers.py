"""Security headers on every response the app sends, pages, API, error pages and redirects alike.

Installed once on the app (not per blueprint), so a page added later cannot be served without them.
A blueprint that needs a wider policy (the caller page's LiveKit connection) sets its own
`Content-Security-Policy` first; these are only defaults (`setdefault`).
"""

from __future__ import annotations

from flask import Flask, Response, request

from frontdesk.settings import Settings

# Pages: no inline script or style, nothing from other hosts, never framed.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
# JSON, text and event streams are never rendered as documents: they may load nothing at all.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DATA_TYPES = {"application/json", "text/plain", "text/event-stream", "application/problem+json"}
HSTS = "max-age=63072000; includeSubDomains"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), payment=(), microphone=(self)",
}


def install(app: Flask, settings: Settings) -> None:
    """Add the headers to every response of `app` (HSTS only when `ENV=production`, served over TLS)."""
    production = settings.env == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in COMMON.items():
            response.headers.setdefault(name, value)
        mimetype = response.mimetype or ""
        data = mimetype in DATA_TYPES
        # Scripts get the page policy too: a service worker runs under its script's policy.
        response.headers.setdefault("Content-Security-Policy", DATA_CSP if data else PAGE_CSP)
        # Pages and API answers carry caller questions and phones: no copy in a browser or proxy cache.
        # Static files (CSS, JS, icons) hold no caller data and may be cached; other non-pages (a service
        # worker, the web manifest) may choose their own caching.
        if mimetype == "text/html" or data:
            response.headers["Cache-Control"] = "no-store"
        elif request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        if production:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
