"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by tests/hostile and bench/hostile.py).

`visible-text` is the OpenAPI document's format for text the server cleans and refuses when nothing
visible is left (`text.clean` drops control, format, private-use and unassigned characters): the
pattern `\\S` alone would let a generator pick such a character for a "valid" value.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

VISIBLE = st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1,
                  max_size=300).filter(lambda s: s.strip() != "")
schemathesis.openapi.format("visible-text", VISIBLE)


@schemathesis.hook("filter_body").apply_to(path="/profile", method="PUT")
def _no_empty_opening_spans(ctx: Any, body: Any) -> bool:
    """A day that opens and closes at the same minute is refused; JSON Schema cannot say `open != close`."""
    hours = body.get("opening_hours") if isinstance(body, dict) else None
    if not isinstance(hours, dict):
        return True
    return not any(isinstance(v, dict) and v.get("open") is not None and v.get("open") == v.get("close")
                   for v in hours.values())
