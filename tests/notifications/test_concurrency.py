"""Several dispatchers at once (threads and processes) never send a follow-up twice; a dispatcher
killed with SIGKILL mid-batch loses nothing once restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from frontdesk.clock import SystemClock
from frontdesk.migrate import upgrade
from frontdesk.models import Followup
from frontdesk.services import build_services

from .conftest import make_settings
from .counting import CountingReceiver, seed_webhook_rows

FRONTDESK = str(Path(sys.executable).with_name("frontdesk"))
SECRET = "webhook-secret-for-tests-0123456789"


def dispatcher_env(db_url: str, **extra: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TWILIO_", "SUPERVISOR_"))}
    env.update(DATABASE_URL=db_url, ENV="test", SECRET_KEY="test-secret-" + "k" * 40, WEBHOOK_SECRET=SECRET,
               LOG_LEVEL="WARNING", DISPATCH_BATCH_SIZE="8", DISPATCH_CONCURRENCY="4")
    env.update({k.upper(): str(v) for k, v in extra.items()})
    return env


def statuses(svc) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with svc.db.read() as s:
        rows = s.query(Followup.status).all()
    out: dict[str, int] = {}
    for (status,) in rows:
        out[status] = out.get(status, 0) + 1
    return out


def test_two_dispatcher_threads_never_double_send(db_url: str) -> None:
    clock = SystemClock()
    with CountingReceiver(delay=0.002) as rx:
        settings = make_settings(db_url, webhook_secret=SECRET, dispatch_batch_size=8, dispatch_concurrency=4)
        a, b = build_services(settings, clock=clock), build_services(settings, clock=clock)
        try:
            upgrade(a.db)
            keys = seed_webhook_rows(a.db, 120, rx.url, clock.now())
            start = threading.Barrier(2)

            def run(svc) -> None:  # type: ignore[no-untyped-def]
                start.wait()
                while svc.dispatcher.drain():
                    pass

            threads = [threading.Thread(target=run, args=(svc,)) for svc in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert rx.processed() == set(keys)
            assert rx.duplicates() == {} and rx.total == len(keys)
            assert statuses(a) == {"sent": len(keys)}
        finally:
            a.stop()
            b.stop()


@pytest.mark.slow
def test_two_dispatcher_processes_never_double_send(db_url: str, tmp_path: Path) -> None:
    clock = SystemClock()
    with CountingReceiver(delay=0.002) as rx:
        svc = build_services(make_settings(db_url), clock=clock)
        try:
            upgrade(svc.db)
            keys = seed_webhook_rows(svc.db, 150, rx.url, clock.now())
            procs = [subprocess.Popen([FRONTDESK, "dispatch", "--once"], cwd=tmp_path, env=dispatcher_env(db_url),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
            outputs = [p.communicate(timeout=90) for p in procs]
            assert all(p.returncode == 0 for p in procs), outputs
            processed = [int(out.split()[0]) for out, _ in outputs]
            assert sum(processed) == len(keys)
            assert rx.processed() == set(keys)
            assert rx.duplicates() == {} and rx.total == len(keys)
            assert statuses(svc) == {"sent": len(keys)}
        finally:
            svc.stop()


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart_delivers_everything_once(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path}/frontdesk.db"
    clock = SystemClock()
    count, concurrency = 60, 4
    # Short lease so the restarted dispatcher may retry the killed one's rows within a second or two.
    env = dispatcher_env(db_url, outbox_lease_seconds=1.5, delivery_timeout_seconds=0.5,
                         dispatch_concurrency=concurrency, dispatch_interval_seconds=0.1)
    with CountingReceiver(delay=0.03) as rx:
        svc = build_services(make_settings(db_url), clock=clock)
        try:
            upgrade(svc.db)
            keys = seed_webhook_rows(svc.db, count, rx.url, clock.now())
            first = subprocess.Popen([FRONTDESK, "dispatch"], cwd=tmp_path, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while rx.total < count // 3 and time.monotonic() < deadline:
                time.sleep(0.005)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            at_kill = statuses(svc)
            assert 0 < rx.total < count and at_kill.get("queued", 0) > 0  # the kill landed mid-way

            second = subprocess.Popen([FRONTDESK, "dispatch"], cwd=tmp_path, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                deadline = time.monotonic() + 30
                while statuses(svc) != {"sent": count} and time.monotonic() < deadline:
                    time.sleep(0.1)
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(10)
            assert second.returncode == 0
            assert statuses(svc) == {"sent": count}
            # Every follow-up reached the receiver, and a receiver de-duplicating on X-Frontdesk-Delivery
            # acted on each exactly once. Raw repeats can only be the sends in flight at the kill.
            assert rx.processed() == set(keys)
            repeats = rx.duplicates()
            assert len(repeats) <= concurrency and all(n == 2 for n in repeats.values()), (at_kill, repeats)
        finally:
            svc.stop()
