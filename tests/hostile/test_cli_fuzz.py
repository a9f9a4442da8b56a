"""Hypothesis over every `frontdesk` command: hostile arguments, options, files and standard input never end in a
Python traceback; bad input gives a message and a non-zero exit status (2, the CLI's usage-error status).

The commands run in-process through Click's runner on one migrated SQLite file (fast enough for a few hundred
examples); `test_real_argv_bytes` runs the installed command for what only a real argv has (undecodable bytes).
`test_every_command_is_fuzzed` fails when a command is added without a fuzz test here.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from hypothesis import example, given
from hypothesis import strategies as st

from frontdesk.cli import main
from tests.hostile.strategies import bounded, hostile_text, json_values

EMAIL = "sup@example.com"
FUZZED: set[str] = set()


def _argv_safe(text: str) -> str:
    """What a real argv or environment can hold: no NUL, and lone surrogates only as surrogateescape makes them."""
    return "".join(c for c in text if c != "\x00" and not ("\ud800" <= c <= "\udc7f" or "\udd00" <= c <= "\udfff"))


arg_text = hostile_text.map(_argv_safe)


def fuzzes(*commands: str) -> Any:
    """Record that the decorated test fuzzes these command paths (`kb import`)."""
    FUZZED.update(commands)
    return lambda fn: fn


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`invoke(*args, input=None)` on one migrated, seeded database with one supervisor."""
    work = tmp_path_factory.mktemp("cli-fuzz")
    env = {"DATABASE_URL": f"sqlite:///{work}/cli.db", "SECRET_KEY": "cli-fuzz-" + "k" * 40, "LOG_LEVEL": "WARNING",
           "OPENAI_API_KEY": "", "DEEPGRAM_API_KEY": "", "LIVEKIT_URL": "", "LIVEKIT_API_KEY": "",
           "LIVEKIT_API_SECRET": "", "TWILIO_ACCOUNT_SID": "", "CONSOLE_OUTBOX_FILE": str(work / "outbox.log")}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.chdir(work)
        runner = CliRunner()

        def invoke(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
            return runner.invoke(main, list(args), input=input, env=env, catch_exceptions=True)

        assert invoke("seed-demo").exit_code == 0
        assert invoke("create-supervisor", EMAIL, "--password", "long-enough-1").exit_code == 0
        invoke.work = work  # type: ignore[attr-defined]
        yield invoke


def clean_exit(result: Result, *, ok: tuple[int, ...] = (0,)) -> None:
    """No exception escaped (a traceback for a real user); a failure says why and exits non-zero."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"traceback instead of a message:\n{trace}\noutput: {result.output[-500:]!r}")
    assert "Traceback" not in result.output, result.output[-2000:]
    assert result.exit_code in (*ok, 2), (result.exit_code, result.output[-500:])
    if result.exit_code == 2:
        assert result.output.strip(), "a refusal must say why"


def _write(cli: Any, name: str, content: str | bytes) -> Path:
    path = Path(cli.work) / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8", errors="surrogatepass")
    return path


@fuzzes("init-db", "seed-demo", "sweep", "kb export", "dispatch", "kb", "eval")
@bounded(40)
@given(command=st.sampled_from([["init-db"], ["seed-demo"], ["sweep"], ["kb", "export"], ["dispatch", "--once"],
                                ["kb"], ["eval"]]),
       extra=st.lists(arg_text, min_size=1, max_size=3))
def test_commands_without_arguments_refuse_extra_ones(cli: Any, command: list[str], extra: list[str]) -> None:
    result = cli(*command, *extra)
    clean_exit(result, ok=(0,) if command in (["kb"], ["eval"]) else ())


@fuzzes("init-db")
@bounded(25)
@given(var=st.sampled_from(["DATABASE_URL", "LOG_LEVEL", "PHONE_REGION", "SECRET_KEY", "ENV", "REQUEST_TIMEOUT_SECONDS",
                            "WEB_THREADS", "PUBLIC_BASE_URL"]), value=arg_text)
@example(var="LOG_LEVEL", value="basic_format")  # a name in `logging` that is not a level
@example(var="DATABASE_URL", value="nosuch://x")  # a URL of no installed dialect
def test_hostile_settings_are_one_line_errors(cli: Any, var: str, value: str) -> None:
    db = Path(cli.work) / "other.db"
    env = {var: value} if var == "DATABASE_URL" else {var: value, "DATABASE_URL": f"sqlite:///{db}"}
    clean_exit(cli("init-db", env=env))


@fuzzes("create-supervisor", "reset-password", "deactivate-supervisor", "reactivate-supervisor")
@bounded(60)
@given(command=st.sampled_from(["create-supervisor", "reset-password", "deactivate-supervisor",
                                "reactivate-supervisor"]),
       email=arg_text, password=arg_text, name=arg_text, phone=arg_text)
def test_supervisor_commands(cli: Any, command: str, email: str, password: str, name: str, phone: str) -> None:
    args = [command, "--", email]
    if command in ("create-supervisor", "reset-password"):
        args[1:1] = ["--password", password]
    if command == "create-supervisor":
        args[1:1] = ["--name", name, "--phone", phone]
    result = cli(*args)
    clean_exit(result)
    if command == "reset-password" and email == EMAIL and result.exit_code == 0:  # keep the known password
        cli("reset-password", EMAIL, "--password", "long-enough-1")


@fuzzes("create-supervisor")
@bounded(15)
@given(password=arg_text, confirm=arg_text)
def test_password_prompt(cli: Any, password: str, confirm: str) -> None:
    """Typed at the prompt (bytes, as a terminal sends them); Click's "Aborted!" (status 1) when input runs out."""
    typed = f"{password}\n{confirm}\n".encode("utf-8", "surrogateescape")
    clean_exit(cli("create-supervisor", "prompted@example.com", input=typed), ok=(0, 1))


@fuzzes("setup-demo")
@bounded(25)
@given(email=arg_text, password=arg_text, host=arg_text, port=arg_text)
def test_setup_demo(cli: Any, email: str, password: str, host: str, port: str) -> None:
    clean_exit(cli("setup-demo", "--email", email, "--password", password, "--host", host, "--port", port))


@fuzzes("serve")
@bounded(20)
@given(host=st.one_of(arg_text, st.sampled_from(["256.1.1.1", "no-such-host.invalid", "::1::", "127.0.0.1"])),
       port=st.one_of(arg_text, st.integers(-5, 70000).map(str)))
def test_serve_addresses(cli: Any, host: str, port: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A host or port `serve` cannot listen on is a one-line error; one it can is served (and closed at once)."""
    from waitress.server import create_server

    def listen_once(app: Any, host: str, port: int, **_: Any) -> None:
        create_server(app, host=host, port=port).close()

    monkeypatch.setattr("frontdesk.server.waitress_serve", listen_once)
    monkeypatch.setattr("frontdesk.server.signal.signal", lambda *a: None)  # not the test runner's handlers
    clean_exit(cli("serve", "--host", host, "--port", port))


@fuzzes("kb import")
@bounded(40)
@given(content=st.one_of(
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.lists(st.fixed_dictionaries({"question": hostile_text, "answer": hostile_text}), max_size=3).map(json.dumps),
    hostile_text,
    st.binary(max_size=200),
))
def test_kb_import_files(cli: Any, content: str | bytes) -> None:
    clean_exit(cli("kb", "import", str(_write(cli, "kb.json", content))))


@fuzzes("kb import", "kb eval", "eval dialogues")
@bounded(20)
@given(command=st.sampled_from([["kb", "import"], ["kb", "eval"], ["eval", "dialogues"]]), path=arg_text)
def test_file_arguments(cli: Any, command: list[str], path: str) -> None:
    clean_exit(cli(*command, "--", path))


@fuzzes("kb eval")
@bounded(25)
@given(content=st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries({"business": hostile_text, "entries": json_values, "paraphrases": json_values,
                           "out_of_kb": json_values}).map(json.dumps),
    st.fixed_dictionaries({"entries": st.lists(st.fixed_dictionaries(
        {"id": hostile_text, "question": hostile_text, "answer": hostile_text}), max_size=2),
        "paraphrases": st.dictionaries(hostile_text, st.lists(hostile_text, max_size=2), max_size=2),
        "out_of_kb": st.lists(hostile_text, max_size=2)}).map(json.dumps),
    hostile_text,
))
def test_kb_eval_files(cli: Any, content: str) -> None:
    clean_exit(cli("kb", "eval", str(_write(cli, "eval.json", content))))


@fuzzes("eval dialogues")
@bounded(8)  # each example migrates a scratch database for the file's business (~1 s)
@given(content=st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries({"profile": json_values, "entries": json_values, "dialogues": json_values}).map(json.dumps),
    st.fixed_dictionaries({"dialogues": st.lists(st.fixed_dictionaries(
        {"name": hostile_text, "turns": st.lists(st.lists(hostile_text, max_size=3), max_size=2)}), max_size=2)},
    ).map(json.dumps),
    hostile_text,
))
def test_dialogue_files(cli: Any, content: str) -> None:
    clean_exit(cli("eval", "dialogues", str(_write(cli, "dialogues.json", content))))


@fuzzes("agent")
@bounded(15)
@given(mode=st.one_of(arg_text, st.sampled_from(["dev", "start"])))
def test_agent_modes(cli: Any, mode: str) -> None:
    """Without LiveKit settings every mode is refused with the setting to set; nothing starts."""
    clean_exit(cli("agent", "--", mode), ok=())


@fuzzes("token")
@bounded(40)
@given(room=arg_text, identity=arg_text, name=arg_text, ttl=st.one_of(arg_text, st.integers(-10, 10**6).map(str)),
       dispatch=st.booleans())
def test_token(cli: Any, room: str, identity: str, name: str, ttl: str, dispatch: bool) -> None:
    env = {"LIVEKIT_URL": "ws://127.0.0.1:7880", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "s" * 32}
    args = ["token", "--room", room, "--identity", identity, "--name", name, "--ttl", ttl]
    clean_exit(cli(*args, *(["--dispatch"] if dispatch else []), env=env))


@fuzzes("call")
@bounded(20)
@given(phone=st.one_of(arg_text, st.just("+1 555 000 1234")), name=arg_text,
       lines=st.lists(hostile_text.map(lambda s: s.replace("\n", " ").replace("\r", " ")), max_size=3))
def test_text_call(cli: Any, phone: str, name: str, lines: list[str]) -> None:
    """A caller at the terminal with a hostile number, name and lines: a call, or a one-line refusal."""
    stdin = "".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    clean_exit(cli("call", "--phone", phone, "--name", name, input=stdin))


@fuzzes("call")
@bounded(20)
@given(hold=st.one_of(arg_text, st.sampled_from(["nan", "inf", "-inf", "1e308", "-0"])), wav=st.binary(max_size=300))
def test_voice_call_options(cli: Any, hold: str, wav: bytes) -> None:
    """Odd --hold values and files that are not WAV are refused before any speech stack loads."""
    path = _write(cli, "in.wav", wav)
    result = cli("call", "--audio-in", str(path), "--audio-out", str(Path(cli.work) / "out.wav"), "--hold", hold)
    clean_exit(result, ok=())
    try:
        finite = math.isfinite(float(hold)) and 0 <= float(hold) <= 600
    except ValueError:
        finite = False
    if not finite:
        assert "--hold" in result.output or "hold" in result.output.lower(), result.output


def _commands(group: click.Group, prefix: str = "") -> Iterator[str]:
    for name, command in group.commands.items():
        yield f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix}{name} ")


def test_every_command_is_fuzzed() -> None:
    missing = set(_commands(main)) - FUZZED
    assert not missing, f"commands without a fuzz test in {__file__}: {sorted(missing)}"


REAL_ARGV = [
    ["create-supervisor", b"\xff\xfe@example.com", "--password", "long-enough-1"],
    ["reset-password", b"sup\xc3@example.com", "--password", b"\xff" * 9],
    ["setup-demo", "--host", b"\xff\xfe", "--email", b"\xe2\x80@example.com"],
    ["kb", "import", b"/tmp/\xff\xfe.json"],
    ["token", "--room", b"\xff", "--identity", b"\xc3"],
]


@pytest.mark.parametrize("argv", REAL_ARGV, ids=[" ".join(str(a[0]) for a in [argv]) for argv in REAL_ARGV])
def test_real_argv_bytes(argv: list[str | bytes], tmp_path: Path) -> None:
    """The installed command with undecodable bytes in argv (Python hands them over as lone surrogates)."""
    exe = Path(sys.executable).parent / "frontdesk"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/argv.db", "SECRET_KEY": "argv-" + "k" * 40,
           "LIVEKIT_URL": "ws://127.0.0.1:7880", "LIVEKIT_API_KEY": "devkey", "LIVEKIT_API_SECRET": "s" * 32,
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    args = [a if isinstance(a, bytes) else a.encode() for a in argv]
    done = subprocess.run([str(exe).encode(), *args], env=env, capture_output=True, timeout=120, cwd=tmp_path)
    out = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert "Traceback" not in out, out[-3000:]
    assert done.returncode in (0, 2), out[-1000:]
