"""Hostile input against a real `frontdesk serve`: schemathesis (every operation of the published OpenAPI
document, all checks incl. response conformance, stateful phase) and the count of what it tried.

    .venv/bin/python bench/hostile.py                    # full: 200 examples per operation, all phases
    .venv/bin/python bench/hostile.py --examples 20      # quicker

The short version runs in `make test` (tests/hostile/test_schemathesis.py, same code, fewer examples).
Prints one line of figures; exit status 1 when schemathesis found anything or the server logged a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BIN = Path(sys.executable).parent
HOOKS = Path(__file__).resolve().parents[1] / "tests" / "hostile" / "st_hooks.py"
EMAIL, PASSWORD = "fuzz@example.com", "fuzz-password-123"


@dataclass
class Served:
    """A running `frontdesk serve` with a supervisor and a bearer token."""

    base: str
    token: str
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def new_token(self) -> str:
        """Another bearer token of the supervisor."""
        req = urllib.request.Request(f"{self.base}/api/v1/auth/token", method="POST",
                                     data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return str(json.load(resp)["token"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(**env_extra: str) -> Iterator[Served]:
    """`frontdesk serve` on a fresh SQLite file: demo seeded, one supervisor, limits high enough to fuzz."""
    tmp = Path(tempfile.mkdtemp(prefix="fd-hostile-"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "DEEPGRAM", "LIVEKIT", "TWILIO"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp}/fd.db", SECRET_KEY=secrets.token_urlsafe(48), ENV="development",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}", CALLS_RATE_LIMIT_PER_MINUTE="100000",
               LOGIN_RATE_LIMIT_PER_MINUTE="100000", LOG_LEVEL="INFO", CONSOLE_OUTBOX_FILE=str(tmp / "outbox.log"))
    env.update(env_extra)
    fd = str(BIN / "frontdesk")
    for args in (["init-db"], ["seed-demo"], ["create-supervisor", EMAIL, "--password", PASSWORD]):
        subprocess.run([fd, *args], env=env, check=True, capture_output=True, cwd=tmp)
    log = tmp / "serve.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([fd, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded 2-core machine can take a while to load the models
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("frontdesk serve did not start: " + log.read_text()[-500:]) from None
                time.sleep(0.2)
        served = Served(base, "", log, env)
        served.token = served.new_token()
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Figures:
    """What one schemathesis run tried and found."""

    operations: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    tracebacks: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        """One printable line."""
        return (f"schemathesis: {self.operations} operations, {self.cases} generated requests, "
                f"{len(self.failures)} failures, {self.tracebacks} server tracebacks, {self.seconds:.0f} s")


def run_schemathesis(served: Served, *, examples: int, seed: int, phases: str, workdir: Path,
                     extra: list[str] | None = None, checks: str = "all") -> Figures:
    """Run the schemathesis CLI against `served` (the revoke operation last, on its own token)."""
    figures = Figures()
    started = time.monotonic()
    common = ["--checks", checks, "-n", str(examples), "--seed", str(seed), "--phases", phases, "-w", "1",
              "--no-shrink", "--request-timeout", "30", "--warnings", "off", "--suppress-health-check", "all",
              *(extra or [])]
    # Rules across fields that JSON Schema cannot say: a day opening and closing at the same minute is refused
    # (PUT /profile), and an analytics period is at most 366 days (`from` alone defaults `to` to today). These
    # operations run every check but "valid data is accepted".
    cross_field = ["PUT /profile", "GET /analytics", "GET /analytics/export.csv"]
    runs = [
        (["--exclude-path", "/auth/revoke", *[a for n in cross_field for a in ("--exclude-name", n)]], served.token),
        ([*[a for n in cross_field for a in ("--include-name", n)], "--exclude-checks", "positive_data_acceptance"],
         served.token),
        (["--include-path", "/auth/revoke"], None),  # last, on a token of its own: it ends the token
    ]
    for filters, token in runs:
        cmd = [str(BIN / "schemathesis"), "run", f"{served.base}/api/v1/openapi.json", *common, *filters,
               "-H", f"Authorization: Bearer {token or served.new_token()}"]
        env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
        # In `workdir`: schemathesis keeps a cache of past crashes in `.schemathesis/` under its working directory.
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, env=env, cwd=workdir)
        _count(done.stdout, figures)
        if done.returncode != 0:
            figures.failures.append(_summary(done.stdout))
    figures.tracebacks = served.log.read_text(errors="replace").count("Traceback")
    figures.seconds = time.monotonic() - started
    return figures


def _count(stdout: str, figures: Figures) -> None:
    """Operations tested and cases generated, from schemathesis' summary."""
    import re

    tested = re.search(r"Tested:\s+(\d+)", stdout)
    generated = re.search(r"(\d+) generated", stdout)
    figures.operations += int(tested.group(1)) if tested else 0
    figures.cases += int(generated.group(1)) if generated else 0


def _summary(stdout: str) -> str:
    start = stdout.find("FAILURES")
    return stdout[start if start >= 0 else 0:][-6000:]


def main() -> int:
    """Command line: run, print figures, exit 1 on any finding."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=200, help="generated cases per operation and phase")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="fd-hostile-report-"))
    with serve() as served:
        figures = run_schemathesis(served, examples=args.examples, seed=args.seed, phases=args.phases, workdir=work)
    for failure in figures.failures:
        print(failure)
    print(f"load {os.getloadavg()[0]:.2f}; " + figures.line() + f"; reports in {work}")
    return 1 if figures.failures or figures.tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
