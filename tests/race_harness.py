"""Answer-versus-timeout race trials, run from threads or from separate processes.

Request i expires at BASE + i seconds. In trial i both racers wait on a barrier, then one answers
request i while the other sweeps with its clock at BASE + i, so exactly request i is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from frontdesk.clock import FakeClock
from frontdesk.lifecycle import HelpDesk
from frontdesk.services import build_services
from frontdesk.settings import Settings

BASE = datetime(2026, 3, 1, 12, 0, 0)


def make_settings(url: str) -> Settings:
    """Settings for the racers: one-second deadlines."""
    return Settings(_env_file=None, database_url=url, secret_key="race-" + "s" * 40,  # type: ignore[call-arg]
                    request_timeout_seconds=1, env="test")


def create_requests(url: str, n: int) -> list[int]:
    """N pending requests, request i due at BASE + i seconds."""
    clock = FakeClock(BASE - timedelta(seconds=1))
    svc = build_services(make_settings(url), clock=clock)
    ids = []
    for i in range(n):
        ids.append(svc.desk.escalate(f"race question number {i}", caller_phone="+15550009999").request_id)
        clock.advance(1)
    svc.db.dispose()
    return ids


def run_racer(role: str, url: str, ids: list[int], barrier: Any, desk: HelpDesk | None = None) -> list[Any]:
    """Play `role` ('answer' or 'sweep') in every trial; returns the per-trial results."""
    own = desk is None
    clock = FakeClock(BASE)
    if desk is None:
        svc = build_services(make_settings(url), clock=clock)
        desk = svc.desk
    else:
        desk.clock = clock
    results: list[Any] = []
    for i, rid in enumerate(ids):
        clock._now = BASE + timedelta(seconds=i)  # noqa: SLF001 - the racer owns its clock
        barrier.wait(timeout=60)
        if role == "answer":
            results.append(desk.answer(rid, f"answer {i}", by="racer@example.com", add_to_kb=False).outcome)
        else:
            results.append(desk.sweep())
    if own:
        desk.db.dispose()
    return results


def process_main(role: str, url: str, ids: list[int], barrier: Any, out: Any) -> None:
    """Entry point of a racing process: sends its results back through `out`."""
    out.put((role, run_racer(role, url, ids, barrier)))
