"""Parsing hostile input of the JSON API: bodies, fields, ids and page numbers.

Every helper raises `ApiError` (a 4xx JSON answer) instead of letting bad input reach the database
or the JSON decoder's recursion limit.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, request

from frontdesk.web.errors import ApiError

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER: a bigger id must be a 404, not a driver error
MAX_PAGE = 100_000
# ASCII digits only, no sign, no leading zero: `str.isdigit()` also accepts '²' and '٣', which `int()`
# then refuses or reads, and '007' would dodge a length cap. Ten digits hold every INTEGER id.
_POSITIVE = re.compile(r"[1-9][0-9]{0,9}", re.ASCII)


def parse_positive(raw: str | None, maximum: int = MAX_ID) -> int | None:
    """`raw` as an int in 1..maximum when it is exactly such a number in ASCII digits, else None."""
    if raw is None or not _POSITIVE.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= maximum else None


def int_arg(name: str, default: int | None, maximum: int = MAX_ID) -> int | None:
    """A positive integer query parameter of the JSON API (`default` when absent); 400 for anything else."""
    raw = request.args.get(name)
    if raw is None or (raw == "" and default is not None):
        return default
    value = parse_positive(raw, maximum)
    if value is None:
        raise ApiError(400, "invalid", f"'{name}' must be an integer from 1 to {maximum}")
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
    if _LONE_SURROGATE.search(value):  # a JSON "\ud800" escape: no UTF-8 exists for it (the database, hashing)
        raise ApiError(400, "invalid", f"'{name}' is not valid Unicode text (a lone surrogate)")
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
    """A 1-based page number from the query string; 400 when not an integer from 1 to MAX_PAGE."""
    return int_arg(name, 1, MAX_PAGE) or 1


def page_number(raw: str | None) -> int:
    """A page number of an HTML page (1 when absent or empty); a 400 page for anything else."""
    if raw is None or raw == "":
        return 1
    value = parse_positive(raw, MAX_PAGE)
    if value is None:
        abort(400, f"the page number must be an integer from 1 to {MAX_PAGE}")
    return value
