"""The transfer state machine on SQLite and PostgreSQL: two supervisors accepting at once, exactly one
wins (100 trials, threads); an offer can't be taken after it expired or was cancelled."""

from __future__ import annotations

import threading

import pytest

from frontdesk import presence
from frontdesk.errors import Conflict
from frontdesk.models import Supervisor
from frontdesk.services import Services

TRIALS = 100


def two_online(svc: Services) -> tuple[Supervisor, Supervisor]:
    a = svc.accounts.create("ann@example.com", "password-123456", name="Ann")
    b = svc.accounts.create("bob@example.com", "password-123456", name="Bob")
    for sup in (a, b):
        presence.set_availability(svc.db, svc.clock.now(), sup.id, "online")
    return a, b


def offer(svc: Services, n: int) -> int:
    call = svc.calls.start(channel="text", holder="hub:test:1", caller_phone=f"+1555010{n:04d}")
    return svc.transfers.store.create_offer(call, reason="asked_for_person", question="q", summary="s",
                                            caller="c", offered_to=[]).id


def test_two_simultaneous_accepts_exactly_one_wins(services: Services) -> None:
    a, b = two_online(services)
    winners: list[str] = []
    for n in range(TRIALS):
        tid = offer(services, n)
        barrier = threading.Barrier(2)
        results: dict[str, str] = {}

        def accept(sup: Supervisor, tid: int = tid, barrier: threading.Barrier = barrier,
                   results: dict[str, str] = results) -> None:
            barrier.wait()
            try:
                services.transfers.accept(tid, sup)
                results[sup.name] = "won"
            except Conflict:
                results[sup.name] = "409"

        threads = [threading.Thread(target=accept, args=(sup,)) for sup in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results.values()) == ["409", "won"], results
        taken = services.transfers.store.get(tid)
        winner = [name for name, r in results.items() if r == "won"][0]
        assert taken.status == "taken" and taken.taken_by == winner
        assert services.calls.get(taken.call_id).held_by == winner
        winners.append(winner)
    assert len(winners) == TRIALS


def test_expired_or_cancelled_offers_cannot_be_taken(services: Services) -> None:
    a, _b = two_online(services)
    tid = offer(services, 1)
    services.clock.advance(services.settings.transfer_timeout_seconds + 1)  # type: ignore[attr-defined]
    with pytest.raises(Conflict):
        services.transfers.accept(tid, a)
    tid2 = offer(services, 2)
    services.calls.end(services.transfers.store.get(tid2).call_id, "hangup")
    assert services.transfers.store.get(tid2).status == "cancelled"
    with pytest.raises(Conflict):
        services.transfers.accept(tid2, a)
