"""`frontdesk kb eval FILE` prints the evaluation report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from frontdesk.cli import main


def test_kb_eval_prints_figures(tmp_path: Path) -> None:
    small = {
        "business": "Tiny salon",
        "entries": [{"id": "hours", "question": "What are your hours?", "answer": "Tuesday to Saturday, 9 to 5."},
                    {"id": "extensions", "question": "Do you do hair extensions?", "answer": "Yes, from $300."}],
        "paraphrases": {"hours": ["when are you open"], "extensions": ["can i get hair extensions"]},
        "out_of_kb": ["do you do lash extensions"],
    }
    f = tmp_path / "tiny.json"
    f.write_text(json.dumps(small))
    res = CliRunner().invoke(main, ["kb", "eval", str(f)])
    assert res.exit_code == 0, res.output
    assert "Tiny salon" in res.output and "top-1" in res.output and "false answers" in res.output


def test_kb_eval_rejects_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"entries": 3}')
    res = CliRunner().invoke(main, ["kb", "eval", str(bad)])
    assert res.exit_code != 0 and "not a valid eval set" in res.output
    res = CliRunner().invoke(main, ["kb", "eval", str(tmp_path / "missing.json")])
    assert res.exit_code != 0
