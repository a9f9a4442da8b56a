"""Parts of `scripts/cluster`: the nginx configuration, binaries, database reset, readiness."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/frontdesk_cluster"
SUPERVISOR_EMAIL = "load@example.com"
SUPERVISOR_PASSWORD = "cluster-load-pass-1"
START_TIMEOUT = 90.0
PREPARE = f"""
from frontdesk.cli import services
from frontdesk.demo import seed_demo
svc = services(migrate=True)
seed_demo(svc.db, svc.clock, svc.knowledge)
svc.accounts.create({SUPERVISOR_EMAIL!r}, {SUPERVISOR_PASSWORD!r}, "Load")
svc.stop()
"""
NGINX_CONF = """\
# Written by scripts/cluster; not the system nginx's configuration.
{user}worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    # Timings as the balancer sees them (bench/load reports them beside its own): no URL query, no body.
    log_format timing '$msec $request_method $uri $status $request_time $upstream_response_time';
    access_log {run}/nginx-timing.log timing buffer=256k flush=1s;
    client_body_temp_path {run}/nginx-tmp/body;
    proxy_temp_path {run}/nginx-tmp/proxy;
    fastcgi_temp_path {run}/nginx-tmp/fastcgi;
    uwsgi_temp_path {run}/nginx-tmp/uwsgi;
    scgi_temp_path {run}/nginx-tmp/scgi;
    client_max_body_size 1m;
    upstream frontdesk {{
        # round-robin, no stickiness; a process that refused a connection is skipped for 2 s
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # Only a serve process forwarding a turn to its call's holder sets this; never a caller.
        proxy_set_header X-Frontdesk-Hop "";
        proxy_connect_timeout 2s;
        proxy_read_timeout 60s;
        # Connect errors and timeouts go to the next process; POST/PATCH only if never sent (nginx default).
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 3;
        proxy_next_upstream_timeout 10s;
        location = /events {{
            proxy_pass http://frontdesk;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://frontdesk;
        }}
    }}
}}
"""


def free_port() -> int:
    """A port nothing listens on right now (bind to port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frontdesk_bin() -> str:
    """The `frontdesk` command next to this Python, else on PATH."""
    here = Path(sys.executable).parent / "frontdesk"
    found = str(here) if here.exists() else shutil.which("frontdesk")
    if not found:
        raise SystemExit("cluster: `frontdesk` not found (run `make install` and use .venv/bin/python)")
    return found


def nginx_bin() -> str:
    """Debian's nginx binary."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not found:
        raise SystemExit("cluster: nginx is not installed (apt-get install -y nginx)")
    return found


def default_run_dir() -> Path:
    """Where `scripts/cluster` keeps its files unless `--run-dir` says otherwise."""
    return Path(tempfile.gettempdir()) / "frontdesk-cluster"


def reset_postgres(url: str) -> None:
    """Create the database if missing, else empty it (drop and recreate its `public` schema)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    info = conninfo_to_dict(plain)
    name = str(info.get("dbname") or "")
    if not name:
        raise SystemExit("cluster: the PostgreSQL URL names no database")
    for maintenance in ("postgres", "template1"):
        try:
            with psycopg.connect(make_conninfo(plain, dbname=maintenance), autocommit=True, connect_timeout=5) as c:
                if c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                    c.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            continue
    with psycopg.connect(plain, autocommit=True, connect_timeout=5) as c:
        c.execute("DROP SCHEMA IF EXISTS public CASCADE")
        c.execute("CREATE SCHEMA public")


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers 200 (or raise, with the process's exit status if it died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def warm_up(base: str) -> None:
    """One short text call straight to a new process (not through nginx), as a readiness probe would:
    the first call of a process loads the agent's and the knowledge search's code and model."""
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return dict(json.loads(r.read()))

    call = post("/api/v1/calls", {"caller_phone": "+15550009999", "caller_name": "Warm-up"})
    post(f"/api/v1/calls/{call['id']}/messages", {"text": "What are your opening hours?"})
    post(f"/api/v1/calls/{call['id']}/end", {})


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie of ours counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
