"""Schemathesis against a real `frontdesk serve`: every operation of the published OpenAPI document.

- `test_schemathesis_short` runs in `make test`: a few examples per operation, a fixed seed, the checks that
  matter (no 5xx; status codes, content types, headers and bodies conform to the document; valid data is
  accepted), examples, coverage and fuzzing phases.
- `test_schemathesis_long` is opt-in (`FD_SCHEMATHESIS=1 pytest tests/hostile`): every check, the stateful
  phase too. `bench/hostile.py` runs the full version (200 examples per operation) for bench/RESULTS.md.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import hostile  # noqa: E402

pytestmark = [
    pytest.mark.skipif(shutil.which("schemathesis", path=str(hostile.BIN)) is None,
                       reason="schemathesis is not installed (make install-dev)"),
]

SHORT_CHECKS = ",".join(["not_a_server_error", "status_code_conformance", "content_type_conformance",
                         "response_headers_conformance", "response_schema_conformance", "positive_data_acceptance"])


def test_schemathesis_short(tmp_path: Path) -> None:
    with hostile.serve() as served:
        figures = hostile.run_schemathesis(served, examples=3, seed=7, phases="examples,coverage,fuzzing",
                                           workdir=tmp_path, checks=SHORT_CHECKS)
    print(figures.line())
    assert figures.operations >= 30, figures.line()  # every operation (34 today) of the document
    assert not figures.failures, "\n\n".join(figures.failures)
    assert figures.tracebacks == 0


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("FD_SCHEMATHESIS"), reason="opt-in: FD_SCHEMATHESIS=1")
def test_schemathesis_long(tmp_path: Path) -> None:
    with hostile.serve() as served:
        figures = hostile.run_schemathesis(served, examples=6, seed=7, phases="examples,coverage,fuzzing,stateful",
                                           workdir=tmp_path)
    print(figures.line())
    assert figures.operations >= 25 and figures.cases >= 500, figures.line()
    assert not figures.failures, "\n\n".join(figures.failures)
    assert figures.tracebacks == 0
