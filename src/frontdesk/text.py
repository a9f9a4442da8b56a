"""Helpers for untrusted caller text: normalising, bounding and masking."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w\s]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_CONTROL = {"Cc", "Cf", "Cs", "Co", "Cn"}


def clean(text: str, limit: int) -> str:
    """Drop control characters, collapse whitespace and cut to `limit` characters."""
    kept = "".join(ch if unicodedata.category(ch) not in _CONTROL else " " for ch in text or "")
    kept = _SPACES.sub(" ", kept).strip()
    return kept[:limit]


def normalize_question(text: str) -> str:
    """The grouping key of a question: lower-case words without punctuation."""
    lowered = unicodedata.normalize("NFKC", text or "").casefold()
    return _SPACES.sub(" ", _NON_WORD.sub(" ", lowered)).strip()[:500]


def mask_phone(phone: str | None) -> str:
    """`+15551234567` -> `+1•••••••4567`: enough to recognise a caller, not to dial them."""
    if not phone:
        return "unknown"
    digits = [c for c in phone if c.isdigit()]
    if len(digits) <= 4:
        return "•" * len(digits)
    keep_head = 2 if phone.startswith("+") else 0
    head = phone[:keep_head]
    return head + "•" * max(len(digits) - 4 - (keep_head - 1 if keep_head else 0), 3) + "".join(digits[-4:])


# The API documents this very pattern (OpenAPI `pattern`), so what the server accepts is what it says.
PHONE_PATTERN = r"^\+?[ ()\-.]*(?:[0-9][ ()\-.]*){7,15}$"
PHONE_MAX = 20
_PHONE = re.compile(PHONE_PATTERN[1:-1], re.ASCII)


def valid_phone(phone: str) -> bool:
    """A loose check for a dialable phone number (E.164 or local formatting): 7 to 15 ASCII digits, an optional
    leading +, spaces ( ) - . between them, at most PHONE_MAX characters."""
    return bool(phone) and len(phone) <= PHONE_MAX and _PHONE.fullmatch(phone) is not None


def short_duration(seconds: float) -> str:
    """`45` -> `45 s`, `75` -> `1 min`, `4000` -> `1 h 6 min`, from 48 h on in days (`3 days`).

    Under a minute in seconds, never `0 min`; never negative. The dashboard's `duration` filter and the
    queue's priority reasons both use it.
    """
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"
