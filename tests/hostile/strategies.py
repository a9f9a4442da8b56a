"""Hypothesis strategies of hostile input, shared by the CLI and caller-page fuzz tests.

A fixed list of the strings that break things in practice (NUL, RTL overrides, 4-byte emoji, lone
surrogates, SQL and HTML injection, format strings, huge strings) mixed with generated text over every
code point, lone surrogates included (Hypothesis leaves category Cs out unless asked).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

HOSTILE: list[str] = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0644\u0627 RTL override \u202c",
    "\u200f\u200e\u2066mark\u2069",
    "\U0001f600\U0001f9d1\u200d\U0001f4bb\U0001f3f3\ufe0f\u200d\U0001f308",
    "\ud800",
    "lone \udfff surrogate",
    "\udcff\udcfe",  # how Python decodes undecodable bytes in argv (surrogateescape)
    "'; DROP TABLE help_requests; --",
    "1' OR '1'='1",
    "\" OR 1=1 --",
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "%s%s%s%n{0}{__class__}",
    "../../../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "\ufeff\ufffe\uffff",
    "\U0010ffff\U000e0001",
    "Z\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a",
    "+1 (555) 000-1234\x00",
    "\uff11\uff15\uff15\uff15\uff10\uff10\uff10\uff11\uff12\uff13\uff14",  # full-width digits
    "-1",
    "1e999",
    "NaN",
    "0" * 5000,
    "A" * 100_000,
    "\U0001f600" * 20_000,
]

ANY_CHAR = st.characters(codec=None, categories=None, exclude_characters=None)
SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
GENERATED = st.text(alphabet=st.one_of(ANY_CHAR, SURROGATE), max_size=60)

hostile_text = st.one_of(st.sampled_from(HOSTILE), GENERATED)
"""Any hostile string: the fixed list and generated text over every code point."""

printable_hostile = hostile_text.map(lambda s: s.replace("\x00", ""))
"""Hostile text without NUL, for argv and environment values (the OS refuses NUL there)."""

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text)
json_values: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12,
)
"""Any JSON value, the wrong types included, with hostile strings in it."""


def bounded(examples: int) -> Any:
    """Hypothesis settings for `make test`: a fixed budget, no deadline (the machine is shared), derandomized
    (the same examples every run, so a failure reproduces) and no database of past failures."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])
