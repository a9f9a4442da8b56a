"""Parsing hostile input of the JSON API: bodies, fields, ids and page numbers.

Every helper raises `ApiError` (a 4xx JSON answer) instead of letting bad input reach the database
or the JSON decoder's recursion limit.
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from frontdesk.web.errors import ApiError

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: a bigger id must be a 404, not a driver error
MAX_PAGE = 100_000


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 `invalid_json` / `invalid` error."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "invalid_json", "send a JSON object body")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "the body must be a JSON object")
    return data


def str_field(data: dict[str, Any], name: str, *, required: bool = True, limit: int = 10_000) -> str | None:
    """A string field; 400 when missing (if required), of another type, or far too long."""
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(400, "invalid", f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, "invalid", f"'{name}' must be a string")
    if len(value) > limit:
        raise ApiError(400, "invalid", f"'{name}' is longer than {limit} characters")
    return value


def bool_field(data: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean field with a default; 400 for any other type."""
    value = data.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ApiError(400, "invalid", f"'{name}' must be true or false")
    return value


def check_id(value: int, what: str = "resource") -> int:
    """Ids beyond the column range do not exist (and must not reach the driver)."""
    if value < 1 or value > MAX_ID:
        raise ApiError(404, "not_found", f"{what} {value} does not exist")
    return value


def page_arg(name: str = "page") -> int:
    """A 1-based page number from the query string; 400 when not a sane positive integer."""
    raw = request.args.get(name, "1").strip() or "1"
    if not raw.isdigit() or len(raw) > 6:
        raise ApiError(400, "invalid", f"'{name}' must be a positive integer")
    page = int(raw)
    if page < 1 or page > MAX_PAGE:
        raise ApiError(400, "invalid", f"'{name}' must be between 1 and {MAX_PAGE}")
    return page


def page_number(raw: str | None) -> int:
    """A forgiving page number for HTML pages: anything odd becomes page 1."""
    raw = (raw or "").strip()
    if raw.isdigit() and len(raw) <= 6:
        return max(1, min(int(raw), MAX_PAGE))
    return 1
