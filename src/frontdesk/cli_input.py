"""What the `frontdesk` command accepts from argv and files, so hostile input is a one-line error, not a traceback.

Python hands undecodable argv bytes over as lone surrogates, which every later `encode` (the database, the
password hash, the terminal) refuses with a traceback; control characters in a name or an email would be
stored and later printed to a terminal as escape sequences. Both are refused at the command line.
"""

from __future__ import annotations

import math
import unicodedata
from pathlib import Path
from typing import Any

import click


def printable(text: str) -> str:
    """`text` safe to print on a terminal: control and format characters (an escape sequence, an RTL override)
    and lone surrogates (undecodable argv bytes) shown as escapes instead of acted on or crashing the write."""
    return "".join(c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode("ascii") for c in text)


class Text(click.ParamType):
    """A string option or argument: valid UTF-8 without control or format characters (`--password` may hold any
    printable character; spaces are kept)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The value, or a usage error naming the first character refused."""
        text = str(value)
        for c in text:
            if "\ud800" <= c <= "\udfff":
                self.fail(f"{printable(text)[:80]!r} is not valid UTF-8 text", param, ctx)
            if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs"):
                self.fail(f"{printable(text)[:80]!r} holds a control or format character "
                          f"({c.encode('unicode_escape').decode('ascii')})", param, ctx)
        return text


TEXT = Text()


class FiniteFloatRange(click.FloatRange):
    """`click.FloatRange` that also refuses nan and inf (a `nan` compares false with both bounds and slips by)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The number, or a usage error for nan, inf and out-of-range values."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def existing_file(file: Path) -> Path:
    """`file` when it is there, else a one-line error (a name too long or otherwise unusable included)."""
    from frontdesk.cli import CliError

    try:
        found = file.is_file()
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot use {printable(str(file))[:200]}: {getattr(exc, 'strerror', None) or exc}") from None
    if not found:
        raise CliError(f"no such file: {printable(str(file))[:200]}")
    return file
