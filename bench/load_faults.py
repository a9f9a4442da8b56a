"""Seeded fault injection for `bench/load`: kill -9 a process at a random moment, restart it, log both.

Kinds:
- `serve`: one of the `frontdesk serve` processes behind nginx (chosen by the seed);
- `dispatch`: the cluster's own `frontdesk dispatch` process (the serve processes dispatch too);
- `voice`: the voice job (`bench/load_voicejob.py`, which holds voice calls through the same
  `VoiceCallHolder` a LiveKit job uses: heartbeat, in-call pick-up, speaking takes time);
- `pg`: `pg_ctlcluster <version> main restart` of the local PostgreSQL server. It is shared with
  everything else on this machine, so use it rarely (the bench asks for `--faults pg` explicitly).

Each fault is logged with wall-clock times: killed (pid), restarted (pid), ready. A fault window
(from the kill to ready) is when retried requests are expected; requests failing outside one are errors.
"""

from __future__ import annotations

import asyncio
import glob
import os
import random
import subprocess
import sys
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


def pg_version() -> str:
    """The PostgreSQL cluster version directory under /etc/postgresql (e.g. "15")."""
    found = sorted(os.path.basename(p) for p in glob.glob("/etc/postgresql/*"))
    if not found:
        raise RuntimeError("no PostgreSQL cluster under /etc/postgresql")
    return found[-1]


def restart_postgres() -> tuple[float, float]:
    """Restart the local PostgreSQL server (fast shutdown: sessions are cut); returns (start, end) times."""
    # A checkpoint first, so the shutdown checkpoint has little to write: the outage is the restart
    # itself (1-3 s), not minutes of flushing on a busy disk.
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "template1", "-qc", "CHECKPOINT"],
                   capture_output=True, timeout=120)
    start = time.time()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "restart"],
                   check=True, capture_output=True, timeout=60)
    return start, time.time()


class FaultInjector:
    """Runs the faults of a load run at seeded moments while the callers work."""

    def __init__(self, cluster: Any, options: Any) -> None:
        self.cluster, self.o = cluster, options
        self.rng = random.Random(options.seed * 31 + 7)
        self.log: list[str] = []
        self.windows: list[tuple[float, float]] = []
        self.outages: list[tuple[float, float]] = []
        self.t0 = time.time()

    def _note(self, what: str) -> None:
        line = f"t+{time.time() - self.t0:6.2f}s {time.strftime('%H:%M:%S')} {what}"
        self.log.append(line)

    def prepare(self) -> None:
        """Start the processes the faults need (the voice job)."""
        if "voice" in self.o.faults:
            self.cluster.add("voice-1", self.voice_cmd(1))

    def voice_cmd(self, incarnation: int) -> list[str]:
        return [sys.executable, os.path.join(HERE, "load_voicejob.py"), "--calls", str(self.o.voice_calls),
                "--seed", str(self.o.seed), "--incarnation", str(incarnation), "--run-no", str(self.o.run_no),
                "--duration", str(self.o.ramp + 10)]

    def plan(self) -> list[tuple[float, str]]:
        """(seconds after start, kind) of every fault, seeded."""
        kinds = [k for k in self.o.faults if k in ("serve", "dispatch", "voice", "pg")]
        count = self.o.fault_count or len(kinds)
        chosen = [kinds[i % len(kinds)] for i in range(count)] if kinds else []
        span = (2.0, max(4.0, self.o.ramp + self.o.request_timeout * 0.8))
        return sorted((self.rng.uniform(*span), kind) for kind in chosen)

    async def run(self, stop: asyncio.Event) -> None:
        """Inject the planned faults one after the other (each waits for the previous recovery)."""
        self.t0 = time.time()
        start = time.monotonic()
        for at, kind in self.plan():
            delay = at - (time.monotonic() - start)
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    return
                except TimeoutError:
                    pass
            await asyncio.to_thread(self.inject, kind)

    def inject(self, kind: str) -> None:
        """One fault, blocking until the victim is back."""
        if kind == "pg":
            self._note("PostgreSQL restart begins")
            start, end = restart_postgres()
            self.outages.append((start, end))
            self.windows.append((start, end + 2.0))  # + the pool's reconnect
            self._note(f"PostgreSQL restarted ({end - start:.1f} s)")
            return
        names = {"serve": self.cluster.serve_names(), "dispatch": ["dispatch-1"], "voice": ["voice-1"]}[kind]
        name = self.rng.choice(names)
        killed_at = time.time()
        pid = self.cluster.kill(name)
        self._note(f"kill -9 {name} (pid {pid})")
        time.sleep(self.rng.uniform(0.5, 2.0))
        if kind == "voice":
            assert self.cluster.state is not None
            self.cluster.state.procs[name].cmd = self.voice_cmd(len(self.log) + 1)
        new_pid = self.cluster.restart(name)
        self.windows.append((killed_at, time.time()))
        self._note(f"{name} restarted (pid {new_pid}), ready")
