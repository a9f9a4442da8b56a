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


def test_setup_demo_prints_the_login_line_every_time_without_resetting(run) -> None:  # type: ignore[no-untyped-def]
    first = run("setup-demo", "--port", "5101")
    assert first.exit_code == 0 and "Log in at http://127.0.0.1:5101/login as demo@example.com / frontdesk-demo" in first.output
    second = run("setup-demo", "--port", "5101")
    assert second.exit_code == 0 and "0 knowledge entries added" in second.output
    assert "Log in at http://127.0.0.1:5101/login as demo@example.com / frontdesk-demo" in second.output
    assert run("reset-password", "demo@example.com", "--password", "a-new-password-1").exit_code == 0
    third = run("setup-demo", "--host", "0.0.0.0", "--port", "5101")
    assert "Log in at http://127.0.0.1:5101/login as demo@example.com (its password was changed" in third.output


def test_serve_derives_public_base_url_from_its_address(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from frontdesk.server import served_url, with_served_base_url
    from frontdesk.settings import Settings

    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    derived = with_served_base_url(Settings(_env_file=None), "127.0.0.1", 5101)  # type: ignore[call-arg]
    assert derived.public_base_url == "http://127.0.0.1:5101"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://desk.example.com")
    kept = with_served_base_url(Settings(_env_file=None), "127.0.0.1", 5101)  # type: ignore[call-arg]
    assert kept.public_base_url == "https://desk.example.com"
    assert served_url("::1", 80) == "http://[::1]:80" and served_url("0.0.0.0", 8) == "http://127.0.0.1:8"


def test_voice_worker_names_the_extra_to_install(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    from frontdesk.agent.cli import missing_voice_extra

    assert missing_voice_extra() is None  # the dev install has the voice extra
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "livekit.plugins.deepgram" else real(name, *a))
    assert "make install-voice" in (missing_voice_extra() or "")


def test_terminal_call_is_quiet_and_says_one_moment(tmp_path: Path) -> None:
    """`frontdesk call`: no INFO log lines in the conversation, and a notice while the first reply is made."""
    env = {k: v for k, v in os.environ.items() if k != "LOG_LEVEL"}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path}/call.db", SECRET_KEY="cli-test-" + "x" * 40)
    cmd = [sys.executable, "-m", "frontdesk.cli"]
    subprocess.run([*cmd, "seed-demo"], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    r = subprocess.run([*cmd, "call", "--phone", "+15550001111"], env=env, input="Do you sell gift cards?\n",
                       capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    both = r.stdout + r.stderr
    assert " INFO " not in both and "Traceback" not in both
    assert "(calling… one moment)" in r.stderr
    assert "gift cards are available" in r.stdout and "(call ended)" in r.stdout


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
