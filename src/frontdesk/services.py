"""Builds every service of the product from settings: the one place things get connected."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frontdesk.accounts import Accounts
from frontdesk.calls import CallStore
from frontdesk.clock import Clock, SystemClock
from frontdesk.db import Database
from frontdesk.handoff import TransferDesk
from frontdesk.knowledge.embedding import set_default_backend
from frontdesk.knowledge.judge import OpenAIJudge
from frontdesk.knowledge.store import KnowledgeBase
from frontdesk.lifecycle import HelpDesk
from frontdesk.notifications import Dispatcher, send_reminders
from frontdesk.outage import engine_options
from frontdesk.settings import Settings
from frontdesk.signals import Signals
from frontdesk.transfers import TransferStore
from frontdesk.workers import PeriodicWorker

if TYPE_CHECKING:
    from frontdesk.agent.hub import CallHub

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The product's parts, wired together. Nothing here starts until `start_workers()`."""

    settings: Settings
    db: Database
    clock: Clock
    signals: Signals
    knowledge: KnowledgeBase
    desk: HelpDesk
    accounts: Accounts
    calls: CallStore
    dispatcher: Dispatcher
    transfers: TransferDesk
    workers: list[PeriodicWorker] = field(default_factory=list)
    #: Where the other `serve` processes reach this one's text-call hub ("": they don't; `server.run` sets it).
    hub_url: str = ""
    _hub: CallHub | None = None
    _hub_lock: threading.Lock = field(default_factory=threading.Lock)
    _warm: threading.Event = field(default_factory=threading.Event)

    @property
    def running_hub(self) -> CallHub | None:
        """The hub if it has been started in this process, else None (never starts it)."""
        return self._hub

    def call_hub(self) -> CallHub:
        """The text-call hub of this process, started on first use (LiveKit is imported only then)."""
        with self._hub_lock:
            if self._hub is None:
                from frontdesk.agent.hub import CallHub

                self._hub = CallHub(self)
                self._hub.start()
            return self._hub

    @property
    def ready(self) -> bool:
        """Whether `serve` has loaded what its first caller needs (the `/readyz` probe): the text-call
        hub, the knowledge search's models and the notification clients. Before that a request is
        still served, only slower."""
        return self._warm.is_set()

    def start_workers(self) -> None:
        """Start the background loops of `serve`: timeout sweeper, outbox dispatcher, supervisor reminders."""
        sweeper = PeriodicWorker("sweeper", self.desk.sweep, self.settings.sweep_interval_seconds)
        dispatcher = PeriodicWorker("dispatcher", self.dispatcher.drain, self.settings.dispatch_interval_seconds)
        # A new follow-up row wakes the dispatcher at once instead of at its next tick.
        self.signals.subscribe("followup", dispatcher.wake)
        reminder = PeriodicWorker(
            "reminder",
            lambda: send_reminders(self.db, self.clock, self.settings, self.signals),
            self.settings.sweep_interval_seconds,
        )
        # Transfer offers expire on time (TRANSFER_TIMEOUT_SECONDS), so their sweep runs often; it is
        # one indexed query when nothing is offered.
        transfers = PeriodicWorker("transfers", self.transfers.sweep, 0.5)
        self.workers.extend([sweeper, dispatcher, reminder, transfers])
        # Text calls whose hub died are not ended here: the caller's next request to any process
        # picks them up, and the hubs' heartbeat ends those nobody comes back to (`abandoned`).
        for worker in self.workers:
            worker.start()
        # Importing LiveKit and loading the search model take seconds: on a thread, so `serve` opens its
        # port at once (a second `make run` serves in ~4 s, not ~10). A text call that arrives meanwhile
        # waits for the hub on `call_hub()`'s lock; a load balancer waits for `/readyz`.
        threading.Thread(target=self._warm_up, name="warm-up", daemon=True).start()
        log.info("background workers started: %s", ", ".join(w.name for w in self.workers))

    def _warm_up(self) -> None:
        try:
            self.dispatcher.warm_up()
            if self.settings.calls_api_enabled:
                self.call_hub().warm_up().result(timeout=120)
        except Exception:  # the first text call retries the start and reports its own error
            log.exception("the text-call hub could not start; the first text call will try again")
        finally:
            self._warm.set()
            log.info("warm: ready for callers")

    def stop(self) -> None:
        """Stop the workers and the call hub, and close database connections."""
        for worker in self.workers:
            worker.stop()
        self.workers.clear()
        with self._hub_lock:
            hub, self._hub = self._hub, None
        if hub is not None:
            hub.stop()
        self.dispatcher.close()
        self.db.dispose()


def build_services(settings: Settings, clock: Clock | None = None, db: Database | None = None) -> Services:
    """Connect the database and build the services; no threads are started."""
    clock = clock or SystemClock()
    db = db or Database(settings.database_url, **engine_options(settings))
    signals = Signals()
    set_default_backend(settings.embedding_backend)
    judge = None
    if settings.openai_api_key and settings.kb_llm_judge:
        judge = OpenAIJudge(settings.openai_api_key, settings.openai_model, settings.openai_base_url)
    knowledge = KnowledgeBase(db, clock, review_required=settings.kb_review_required, llm_judge=judge,
                              judge_from=settings.kb_judge_from)
    desk = HelpDesk(db, clock, settings, signals, same_question=knowledge.same_question, learner=knowledge.learn,
                    prepare_question=knowledge.prepare_question, is_prepared=knowledge.is_prepared)
    dispatcher = Dispatcher(db, clock, settings, signals)
    calls = CallStore(db, clock, settings)
    transfers = TransferDesk(TransferStore(db, clock, settings, signals), desk, calls)
    return Services(settings=settings, db=db, clock=clock, signals=signals, knowledge=knowledge, desk=desk,
                    accounts=Accounts(db, clock), dispatcher=dispatcher, calls=calls, transfers=transfers)
