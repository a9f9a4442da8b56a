"""Installable web app: the manifest, the service worker and the offline page.

The service worker caches the shell only (stylesheet, scripts, icons, the offline page). It never
caches API data or pages, since those carry caller data: pages are always fetched from the network and
only fall back to the offline page when there is none. It is served from `/sw.js` (not `/static/`) so its
scope covers the whole dashboard, with a version derived from the shell's bytes, so any change to the
shell installs a new worker and drops the old cache.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, url_for

bp = Blueprint("pwa", __name__)
STATIC = Path(__file__).parent / "static"
# What the worker may cache: files without caller data, the same for every supervisor.
SHELL_FILES = ("css/app.css", "js/app.js", "js/pending.js", "js/alerts.js", "icons/icon-192.png",
               "icons/icon-512.png", "icons/favicon-32.png")
OFFLINE_PATH = "/offline"


@lru_cache(maxsize=1)
def shell_version() -> str:
    """A short hash of the shell's files and the worker itself: changes whenever any of them does."""
    digest = hashlib.sha256()
    for name in (*SHELL_FILES, "js/sw.js"):
        path = STATIC / name
        digest.update(name.encode() + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def manifest() -> Any:
    """The web app manifest (installable from the browser's menu; opens on the queue)."""
    services = current_app.extensions["frontdesk"]
    from frontdesk.web.filters import business_name

    name = business_name(services)
    body = {
        "name": f"Frontdesk · {name}",
        "short_name": "Frontdesk",
        "description": "Answer your receptionist's questions from anywhere.",
        "start_url": url_for("pages.pending"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f6f8",
        "theme_color": "#13233f",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    return Response(json.dumps(body), mimetype="application/manifest+json",
                     headers={"Cache-Control": "no-cache"})


@bp.get("/sw.js")
def service_worker() -> Any:
    """The service worker, with its version and shell list filled in; never cached by HTTP."""
    shell = [url_for("static", filename=f) for f in SHELL_FILES] + [OFFLINE_PATH]
    source = (STATIC / "js" / "sw.js").read_text(encoding="utf-8")
    source = source.replace('"__VERSION__"', json.dumps(shell_version())).replace(
        '["__SHELL__"]', json.dumps(shell)).replace('"__OFFLINE__"', json.dumps(OFFLINE_PATH))
    return Response(source, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@bp.get(OFFLINE_PATH)
def offline() -> Any:
    """Shown by the service worker when a page can't be fetched: no caller data, no login needed."""
    return render_template("offline.html")
