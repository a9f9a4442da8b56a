"""Where a form or the login page may send the browser next: same-site relative paths only.

Browsers drop tabs and newlines from a URL and read a backslash as a slash, so `/\t/evil.example` or
`/\\evil.example` become `//evil.example`, another host. The check therefore refuses every control
character and backslash outright and looks at the value as the browser will, not as sent.
"""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 500


def is_safe_path(target: str | None, prefix: str = "/") -> bool:
    """True when `target` is a path on this site (starting with `prefix`), with nothing a browser rewrites."""
    if not target or len(target) > MAX_LENGTH or not target.startswith(prefix):
        return False
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target) or "\\" in target:
        return False  # control characters, spaces and backslashes: browsers rewrite them
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str, prefix: str = "/") -> str:
    """`target` when it is a safe same-site path (see `is_safe_path`), else `default`."""
    return target if target is not None and is_safe_path(target, prefix) else default
