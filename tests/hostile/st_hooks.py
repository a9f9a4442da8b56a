"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by tests/hostile and bench/hostile.py).

`visible-text` is the OpenAPI document's format for text the server cleans and refuses when nothing
visible is left (`text.clean` drops control, format, private-use and unassigned characters): the
pattern `\\S` alone would let a generator pick such a character for a "valid" value.

`phone` (and `phone-or-empty`) is the document's format for a caller's number, which the server validates with
`phonenumbers`: no pattern can say which numbers are real, so valid ones are generated here (the fictional
+1 555 range in the spellings people type, and libphonenumber's example numbers of several countries).
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

VISIBLE = st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1,
                  max_size=300).filter(lambda s: s.strip() != "")
schemathesis.openapi.format("visible-text", VISIBLE)


def _examples() -> list[str]:
    import phonenumbers

    out = []
    for region in ("US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "NG", "MX"):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is not None:
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))
            out.append(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return out


_SPELLINGS = ["+1555{}{}", "(555) {}-{}", "555-{}-{}", "+1 555 {} {}", "555.{}.{}"]
PHONE = st.one_of(
    st.builds(lambda fmt, a, b: fmt.format(f"{a:03d}", f"{b:04d}"), st.sampled_from(_SPELLINGS),
              st.integers(0, 999), st.integers(0, 9999)),
    st.sampled_from(_examples()),
)
schemathesis.openapi.format("phone", PHONE)
schemathesis.openapi.format("phone-or-empty", st.one_of(st.just(""), PHONE))


@schemathesis.hook("filter_body").apply_to(path="/profile", method="PUT")
def _no_empty_opening_spans(ctx: Any, body: Any) -> bool:
    """A day that opens and closes at the same minute is refused; JSON Schema cannot say `open != close`."""
    hours = body.get("opening_hours") if isinstance(body, dict) else None
    if not isinstance(hours, dict):
        return True
    return not any(isinstance(v, dict) and v.get("open") is not None and v.get("open") == v.get("close")
                   for v in hours.values())
