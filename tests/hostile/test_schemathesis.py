"""Schemathesis against a real `frontdesk serve`: every operation of the published OpenAPI document, all checks
(no 5xx, status codes, headers and bodies conform, valid data accepted, invalid data refused, Allow headers,
auth not ignored), the stateful phase included. Short here; `bench/hostile.py` runs the long version."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import hostile  # noqa: E402

# Opt-in until the caller-phone field (validated by `phonenumbers`, merged at the last minute) is re-checked:
# FD_SCHEMATHESIS=1 pytest tests/hostile. bench/hostile.py runs the long version.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("schemathesis", path=str(hostile.BIN)) is None,
                       reason="schemathesis is not installed (make install-dev)"),
    pytest.mark.skipif(not os.environ.get("FD_SCHEMATHESIS"), reason="opt-in: FD_SCHEMATHESIS=1"),
]


def test_schemathesis_finds_nothing(tmp_path: Path) -> None:
    with hostile.serve() as served:
        figures = hostile.run_schemathesis(served, examples=6, seed=7, phases="examples,coverage,fuzzing,stateful",
                                           workdir=tmp_path)
    print(figures.line())
    assert figures.operations >= 20 and figures.cases >= 500, figures.line()
    assert not figures.failures, "\n\n".join(figures.failures)
    assert figures.tracebacks == 0
