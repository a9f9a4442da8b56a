"""The `frontdesk` command: every command works, and bad input gives one line and exit status 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from frontdesk.cli import main


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("SECRET_KEY", "cli-test-" + "x" * 40)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def _one_line_error(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    out = result.output.strip()
    assert "Traceback" not in out
    assert all(w.lower() in out.lower() for w in words), out


def test_happy_path(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("init-db").exit_code == 0
    assert run("init-db").exit_code == 0
    seeded = run("seed-demo")
    assert seeded.exit_code == 0 and "entries added" in seeded.output
    assert "0 knowledge entries added" in run("seed-demo").output  # idempotent
    assert run("create-supervisor", "boss@example.com", "--password", "long-enough-1").exit_code == 0
    made = run("create-supervisor", "ana@example.com", "--password", "long-enough-1", "--phone", "(415) 555-0101",
               "--name", "Ana")
    assert made.exit_code == 0, made.output
    kb = tmp_path / "kb.json"
    kb.write_text(json.dumps([{"question": "Do you sell unicorn shampoo?", "answer": "Yes, $12."}]))
    assert "imported 1" in run("kb", "import", str(kb)).output
    exported = json.loads(run("kb", "export").output)
    assert {"question": "Do you sell unicorn shampoo?", "answer": "Yes, $12."} in exported
    assert "0 help request(s) timed out" in run("sweep").output


def test_kb_import_bad_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init-db")
    _one_line_error(run("kb", "import", str(tmp_path / "missing.json")), "no such file")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    _one_line_error(run("kb", "import", str(bad)), "not valid json")
    bad.write_text(json.dumps({"question": "q", "answer": "a"}))
    _one_line_error(run("kb", "import", str(bad)), "expected a json list")
    bad.write_text(json.dumps([{"question": "ok?", "answer": "yes"}, {"question": "  ", "answer": "x"}]))
    _one_line_error(run("kb", "import", str(bad)), "item 1", "question is empty")
    bad.write_text(json.dumps([{"question": "ok?"}]))
    _one_line_error(run("kb", "import", str(bad)), "item 0")
    bad.write_bytes(b"\xff\xfe\x00garbage")
    _one_line_error(run("kb", "import", str(bad)), "cannot read")
    assert json.loads(run("kb", "export").output) == []  # all or nothing: nothing half-imported


def test_supervisor_bad_input(run) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(run("create-supervisor", "not-an-email", "--password", "long-enough-1"), "not a valid email")
    _one_line_error(run("create-supervisor", "a@example.com", "--password", "short"), "at least 8")
    run("create-supervisor", "a@example.com", "--password", "long-enough-1")
    _one_line_error(run("create-supervisor", "A@example.com", "--password", "long-enough-2"), "already exists")
    _one_line_error(run("create-supervisor", "b@example.com", "--password", "long-enough-1", "--phone", "555-0100"),
                    "not a phone number")
    _one_line_error(run("reset-password", "nobody@example.com", "--password", "long-enough-3"), "no supervisor")
    assert run("reset-password", "a@example.com", "--password", "long-enough-3").exit_code == 0


def test_unknown_command_and_bad_options(run) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(run("no-such-command"), "no such command")
    _one_line_error(run("serve", "--port", "99999"), "port")


def test_bad_configuration_is_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/x.db", REQUEST_TIMEOUT_SECONDS="soon")
    r = subprocess.run([sys.executable, "-m", "frontdesk.cli", "sweep"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "REQUEST_TIMEOUT_SECONDS" in r.stderr and "Traceback" not in r.stderr
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path}/x.db", ENV="production", SECRET_KEY="")
    r = subprocess.run([sys.executable, "-m", "frontdesk.cli", "init-db"], env=env, capture_output=True, text=True)
    assert r.returncode == 2 and "SECRET_KEY" in r.stderr and "Traceback" not in r.stderr


def test_deactivate_and_reactivate_supervisor(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from frontdesk.accounts import Accounts
    from frontdesk.clock import SystemClock
    from frontdesk.db import Database

    run("init-db")
    assert run("create-supervisor", "boss@example.com", "--password", "long-enough-1").exit_code == 0
    accounts = Accounts(Database(f"sqlite:///{tmp_path}/cli.db"), SystemClock())
    sup = accounts.authenticate("boss@example.com", "long-enough-1")
    assert sup is not None
    token = accounts.issue_token(sup.id)
    out = run("deactivate-supervisor", "Boss@Example.com")
    assert out.exit_code == 0 and "deactivated" in out.output
    assert accounts.authenticate("boss@example.com", "long-enough-1") is None
    assert accounts.verify_token(token) is None
    assert run("reactivate-supervisor", "boss@example.com").exit_code == 0
    assert accounts.authenticate("boss@example.com", "long-enough-1") is not None
    assert accounts.verify_token(token) is None  # ended tokens stay ended
    _one_line_error(run("deactivate-supervisor", "nobody@example.com"), "no supervisor")
    _one_line_error(run("reactivate-supervisor", "nobody@example.com"), "no supervisor")
