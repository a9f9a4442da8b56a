"""Server-sent events through the cluster's nginx arrive at once (`proxy_buffering off` on `/events`),
whichever serve process holds the stream and whichever one created the request."""

from __future__ import annotations

import re
import shutil
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from cluster_lib import Cluster  # noqa: E402
from cluster_parts import SUPERVISOR_EMAIL, SUPERVISOR_PASSWORD  # noqa: E402

pytestmark = [pytest.mark.load,
              pytest.mark.skipif(shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists(),
                                 reason="nginx is not installed (.ci/run installs it)")]


def test_events_stream_unbuffered_through_nginx(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path / "run")
    try:
        cluster.start(2, db="sqlite")
        front = cluster.front_url
        with httpx.Client(base_url=front, timeout=10) as web:
            page = web.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page)
            assert token is not None
            r = web.post("/login", data={"csrf_token": token.group(1), "email": SUPERVISOR_EMAIL,
                                         "password": SUPERVISOR_PASSWORD, "next": ""})
            assert r.status_code == 302, r.text[:200]
            got: list[tuple[float, str]] = []

            def listen() -> None:
                try:
                    with web.stream("GET", "/events", timeout=httpx.Timeout(10, read=20)) as stream:
                        for line in stream.iter_lines():
                            got.append((time.monotonic(), line))
                            if line.startswith("event: update"):
                                return
                except httpx.HTTPError:
                    return  # the test gave up and closed the client

            reader = threading.Thread(target=listen, daemon=True)
            reader.start()
            deadline = time.monotonic() + 10
            while not any(line.startswith("retry:") for _, line in got) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert any(line.startswith("retry:") for _, line in got), "the stream's first bytes never arrived"
            # A caller escalates through nginx (any process); the dashboard's stream hears it at once.
            call = httpx.post(front + "/api/v1/calls", json={"caller_phone": "+15550001111"}, timeout=30).json()
            asked = time.monotonic()
            reply = httpx.post(f"{front}/api/v1/calls/{call['id']}/messages", timeout=30,
                               json={"text": "do you do eyebrow waxing, for booking sse-1?"}).json()
            assert reply["help_request_id"]
            reader.join(10)
            updates = [t for t, line in got if line.startswith("event: update")]
            assert updates, "no live update came through nginx"
            assert updates[0] - asked < 5.0
    finally:
        cluster.stop()
