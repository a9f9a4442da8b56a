"""A real deployment on 127.0.0.1: one database, N `frontdesk serve` processes, Debian's nginx in front.

Used by `scripts/cluster` (start/stop/status by hand), by `bench/load` and by the tests. Everything
lives in a run directory: `state.json` (pids, ports, URLs), the nginx configuration, temp files and
pid file (never the system nginx's), and one log per process. Processes start in their own session,
so they outlive the command that started them until `stop`.

nginx: round-robin (no stickiness: any process may get any request), HTTP/1.1 keep-alive to the
upstreams, `/events` (server-sent events) unbuffered with a long read timeout. A request is passed
to the next upstream only on `error timeout` (connect refused, no answer), and nginx never re-sends a
request it already sent upstream if its method is not idempotent (POST, PATCH: nginx's default without
`non_idempotent`): a caller's message that reached a process killed mid-turn gets a 502 instead of
being replayed on another process, since a replay could say or escalate twice. A POST that could not
even connect (a dead process) is safe to pass on, and is.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cluster_parts import (
    DEFAULT_PG_URL,
    NGINX_CONF,
    PREPARE,
    START_TIMEOUT,
    default_run_dir,
    free_port,
    frontdesk_bin,
    nginx_bin,
    pid_alive,
    reset_postgres,
    wait_http,
    warm_up,
)


@dataclass
class Proc:
    """One process of the cluster."""

    name: str
    cmd: list[str]
    pid: int = 0
    port: int = 0
    log: str = ""


@dataclass
class State:
    """What `start` wrote to `state.json`."""

    run_dir: str
    database_url: str
    front_url: str
    env: dict[str, str]
    procs: dict[str, Proc] = field(default_factory=dict)


class Cluster:
    """Starts, inspects, kills, restarts and stops the processes of one run directory."""

    def __init__(self, run_dir: Path | str | None = None) -> None:
        self.run_dir = Path(run_dir or default_run_dir()).resolve()
        self.state_file = self.run_dir / "state.json"
        self.state: State | None = self._load()
        self._popen: dict[str, subprocess.Popen[bytes]] = {}

    # -- state ------------------------------------------------------------------------------------
    def _load(self) -> State | None:
        if not self.state_file.exists():
            return None
        raw = json.loads(self.state_file.read_text())
        raw["procs"] = {k: Proc(**v) for k, v in raw.get("procs", {}).items()}
        return State(**raw)

    def _save(self) -> None:
        assert self.state is not None
        data = asdict(self.state)
        self.state_file.write_text(json.dumps(data, indent=1))

    @property
    def front_url(self) -> str:
        """The nginx front's base URL."""
        assert self.state is not None, "the cluster is not started"
        return self.state.front_url

    def serve_names(self) -> list[str]:
        """Names of the `serve` processes (serve-1 ...)."""
        assert self.state is not None
        return sorted(n for n in self.state.procs if n.startswith("serve-"))

    # -- start / stop -----------------------------------------------------------------------------
    def start(self, n: int = 3, database_url: str = "", db: str = "postgres",
              env: dict[str, str] | None = None, dispatchers: int = 0) -> State:
        """Reset the database, migrate and seed it, start `n` serve processes and nginx; returns the state."""
        self.stop()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
        if db == "sqlite":
            database_url = database_url or f"sqlite:///{self.run_dir}/frontdesk.db"
            for suffix in ("", "-wal", "-shm"):
                Path(database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            database_url = database_url or os.environ.get("CLUSTER_DATABASE_URL", DEFAULT_PG_URL)
            reset_postgres(database_url)
        front_port = free_port()
        front = f"http://127.0.0.1:{front_port}"
        base_env = {
            "DATABASE_URL": database_url, "SECRET_KEY": secrets.token_urlsafe(36), "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": front,
            # Behind one proxy every caller has nginx's address: a per-address limit would be one
            # limit for everybody. Load runs turn it off; see the README's scaling section.
            "CALLS_RATE_LIMIT_PER_MINUTE": "0",
        }
        base_env.update(env or {})
        self.state = State(str(self.run_dir), database_url, front, base_env)
        fd = frontdesk_bin()
        # `frontdesk init-db`, `seed-demo` and `create-supervisor`, in one process instead of three.
        subprocess.run([str(Path(fd).parent / "python"), "-c", PREPARE], env=self._env(), check=True,
                       capture_output=True, timeout=180)
        for i in range(1, n + 1):
            port = free_port()
            self.state.procs[f"serve-{i}"] = Proc(f"serve-{i}", [fd, "serve", "--host", "127.0.0.1",
                                                                  "--port", str(port)], port=port)
        for i in range(1, dispatchers + 1):
            self.state.procs[f"dispatch-{i}"] = Proc(f"dispatch-{i}", [fd, "dispatch"])
        try:
            for name in list(self.state.procs):
                self._spawn(name)
            for name in self.serve_names():
                self._wait_ready(name)
            self._start_nginx(front_port)
        except BaseException:  # one process failed to start: stop the others rather than leave them running
            self.stop()
            raise
        self._save()
        return self.state

    def _env(self) -> dict[str, str]:
        assert self.state is not None
        return {**os.environ, **self.state.env}

    def _spawn(self, name: str) -> None:
        assert self.state is not None
        proc = self.state.procs[name]
        proc.log = str(self.run_dir / f"{name}.log")
        with open(proc.log, "ab") as log:
            popen = subprocess.Popen(proc.cmd, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.run_dir)
        proc.pid = popen.pid
        self._popen[name] = popen

    def _wait_ready(self, name: str) -> None:
        assert self.state is not None
        proc = self.state.procs[name]
        base = f"http://127.0.0.1:{proc.port}"
        try:
            # /readyz: 200 once the process has loaded its models and its text-call hub.
            wait_http(base + "/readyz", START_TIMEOUT, self._popen.get(name))
        except (RuntimeError, TimeoutError, OSError) as exc:
            tail = Path(proc.log).read_text(errors="replace")[-2000:] if proc.log else ""
            raise RuntimeError(f"{name} did not start: {exc}\n{tail}") from None
        for _ in range(3):  # best effort: on a saturated machine the first turn may time out (503 busy)
            try:
                warm_up(base)
                break
            except OSError:
                time.sleep(1.0)

    def _start_nginx(self, port: int) -> None:
        assert self.state is not None
        servers = "\n".join(
            f"        server 127.0.0.1:{self.state.procs[n].port} max_fails=1 fail_timeout=2s;"
            for n in self.serve_names())
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the run dir
        conf = self.run_dir / "nginx.conf"
        conf.write_text(NGINX_CONF.format(user=user, run=self.run_dir, servers=servers, port=port))
        self.state.procs["nginx"] = Proc("nginx", [nginx_bin(), "-p", str(self.run_dir), "-c", str(conf),
                                                    "-e", str(self.run_dir / "nginx-error.log"),
                                                    "-g", "daemon off;"], port=port)
        self._spawn("nginx")
        try:
            wait_http(self.state.front_url + "/healthz", 20, self._popen.get("nginx"))
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"nginx did not start: {exc}\n"
                               + (self.run_dir / "nginx-error.log").read_text(errors="replace")[-2000:]) from None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every process of the run directory (SIGKILL after `timeout`); forget the state."""
        if self.state is None:
            return
        procs = [p for p in self.state.procs.values() if pid_alive(p.pid)]
        for p in procs:
            self._signal(p.name, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(pid_alive(p.pid) for p in procs):
            self._reap()
            time.sleep(0.1)
        for p in procs:
            if pid_alive(p.pid):
                self._signal(p.name, signal.SIGKILL)
        self._reap()
        self.state_file.unlink(missing_ok=True)
        self.state = None

    # -- faults -----------------------------------------------------------------------------------
    def _signal(self, name: str, sig: int) -> None:
        assert self.state is not None
        pid = self.state.procs[name].pid
        try:
            os.killpg(pid, sig)  # its own session: the process and any children
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _reap(self) -> None:
        for popen in self._popen.values():
            popen.poll()

    def kill(self, name: str) -> int:
        """kill -9 one process; returns its pid."""
        assert self.state is not None
        pid = self.state.procs[name].pid
        self._signal(name, signal.SIGKILL)
        for _ in range(100):
            self._reap()
            if not pid_alive(pid):
                break
            time.sleep(0.05)
        return pid

    def restart(self, name: str, wait: bool = True) -> int:
        """Start a stopped or killed process again, same command and port; returns its new pid."""
        assert self.state is not None
        self._spawn(name)
        if wait and self.state.procs[name].port and name.startswith("serve-"):
            self._wait_ready(name)
        self._save()
        return self.state.procs[name].pid

    def add(self, name: str, cmd: list[str]) -> int:
        """Start an extra process (a dispatcher, a voice job) under the cluster's environment."""
        assert self.state is not None
        self.state.procs[name] = Proc(name, cmd)
        self._spawn(name)
        self._save()
        return self.state.procs[name].pid

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each live process has used so far (nginx: master only, its worker
        is a child and counted when it exits, so nginx's figure is a lower bound)."""
        out: dict[str, float] = {}
        if self.state is None:
            return out
        tick = os.sysconf("SC_CLK_TCK")
        for p in self.state.procs.values():
            try:
                with open(f"/proc/{p.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                out[p.name] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
            except (OSError, IndexError, ValueError):
                continue
        return out

    def status(self) -> list[tuple[str, int, int, bool]]:
        """(name, pid, port, alive) of every process."""
        if self.state is None:
            return []
        self._reap()
        return [(p.name, p.pid, p.port, pid_alive(p.pid)) for p in self.state.procs.values()]
