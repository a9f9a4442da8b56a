"""No caller data in the application log: a whole flow with every logger captured at INFO.

A caller with a phone number and a name starts a text call through the API, asks a question the salon's
knowledge base cannot answer, and hangs up; the supervisor is alerted, logs in and answers on the dashboard;
the dispatcher texts the caller the answer (the Twilio API faked on a local server, and the console channel
the demo uses). Every log record at INFO or above, from any logger, is kept, and none may hold the phone
number (in any format), the question, the answer or the caller's name. The console channel's own outbox
stream (message bodies by design, never the application log) is the one place they may appear.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from frontdesk import outbox
from frontdesk.clock import FakeClock
from frontdesk.migrate import upgrade
from frontdesk.notifications.console_outbox import NAME as OUTBOX_LOGGER
from frontdesk.services import build_services
from frontdesk.web import create_app
from tests.conftest import make_settings
from tests.notifications.conftest import FakeTwilio, followups, twilio_settings
from tests.web.conftest import EMAIL, PASSWORD

PHONE_DIGITS = "5558675309"
PHONE_AS_TYPED = "(555) 867-5309"
NAME = "Dana Whitfield-Oyelaran"
QUESTION = "Could you dye my poodle lavender before the Zanzibar parade on Thursday?"
ANSWER = "Quintessa can do a plum-violet rinse for poodles, 85 dollars, bring the vaccination card."
SECRETS = ["Whitfield", "Oyelaran", "poodle", "lavender", "Zanzibar", "Quintessa", "plum-violet", "vaccination"]
# A digit run with the separators people type: "(555) 867-5309", "+1 555.867.5309", "555 867 5309" ...
DIGIT_RUN = re.compile(r"\d[\d\s().+\-/]{5,}\d")


class Everything(logging.Handler):
    """Every record that any logger handles (Logger.handle is patched to feed it, propagate or not)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Everything]:
    """Every logger at INFO, whatever an earlier test set (`frontdesk call` quiets `frontdesk` to WARNING); every
    record kept. Only the levels `frontdesk serve` runs with stay: SQLAlchemy's own default of WARNING for its
    namespace (its INFO is statement echo) and alembic at WARNING (`cli.setup_logging`)."""
    sink = Everything()
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [lg for lg in manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    levels = {lg: lg.level for lg in loggers + [logging.getLogger("sqlalchemy"), logging.getLogger("alembic")]}
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    handle = logging.Logger.handle

    def tee(self: logging.Logger, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO and self.isEnabledFor(record.levelno):
            sink.handle(record)
        handle(self, record)

    monkeypatch.setattr(logging.Logger, "handle", tee)
    try:
        yield sink
    finally:
        for lg, level in levels.items():
            lg.setLevel(level)


def _leaks(record: logging.LogRecord) -> list[str]:
    """What of the caller's data this record's text (message, exception, stack) holds."""
    text = record.getMessage()
    if record.exc_info:
        text += logging.Formatter().formatException(record.exc_info)
    if record.stack_info:
        text += record.stack_info
    found = [s for s in SECRETS if s.lower() in text.lower()]
    for run in DIGIT_RUN.findall(text):
        digits = re.sub(r"\D", "", run)
        if "8675309" in digits or PHONE_DIGITS in digits:
            found.append(f"phone {run!r}")
    return found


@pytest.mark.parametrize("channel", ["twilio", "console"])
def test_a_whole_flow_logs_no_phone_question_answer_or_name(channel: str, tmp_path: Path, captured: Everything,
                                                           httpserver: Any) -> None:
    clock = FakeClock()
    outbox_file = tmp_path / "outbox.log"
    twilio = FakeTwilio(httpserver) if channel == "twilio" else None
    extra: dict[str, Any] = twilio_settings(twilio) if twilio else {}
    settings = make_settings(f"sqlite:///{tmp_path}/fd.db", log_level="INFO", console_outbox_file=str(outbox_file),
                             dispatch_concurrency=1, **extra)
    svc = build_services(settings, clock=clock)
    try:
        upgrade(svc.db)
        from frontdesk.demo import seed_demo

        seed_demo(svc.db, svc.clock, svc.knowledge)
        svc.accounts.create(EMAIL, PASSWORD, "Sam", phone="+1 555 010 0199")
        app = create_app(services=svc)
        app.config.update(WTF_CSRF_ENABLED=False)
        caller = app.test_client()

        started = caller.post("/api/v1/calls", json={"caller_phone": PHONE_AS_TYPED, "caller_name": NAME})
        assert started.status_code == 201, started.get_data()
        call_id = started.get_json()["id"]
        said = caller.post(f"/api/v1/calls/{call_id}/messages", json={"text": QUESTION}).get_json()
        request_id = said["help_request_id"]
        assert isinstance(request_id, int), said
        assert caller.post(f"/api/v1/calls/{call_id}/end").status_code == 200
        svc.dispatcher.run_once()  # the supervisor's alert

        supervisor = app.test_client()
        assert supervisor.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 302
        answered = supervisor.post(f"/requests/{request_id}/answer", data={"answer": ANSWER})
        assert answered.status_code == 302, answered.get_data()[:300]
        for _ in range(5):  # the hung-up call's in-call answer is rerouted to a text
            clock.advance(10)
            svc.dispatcher.run_once()
        row = followups(svc, help_request_id=request_id, kind=outbox.CALLER_ANSWER)[0]
        assert (row.channel, row.status) == ("sms" if twilio else "console", "sent"), (row.channel, row.status)
        if twilio:
            assert any("Quintessa" in m["body"] and m["to"] == "+1" + PHONE_DIGITS for m in twilio.messages)
        else:  # the console's outbox stream holds the body, by design (its file is the first test's in a run)
            assert any(r.name == OUTBOX_LOGGER and "Quintessa" in r.getMessage() for r in captured.records)
    finally:
        svc.stop()

    records = [r for r in captured.records if r.name != OUTBOX_LOGGER]
    assert len(records) >= 3, "the flow logged almost nothing: is the capture working?"
    leaks = [f"{r.levelname} {r.name}: {r.getMessage()[:200]!r} -> {found}" for r in records if (found := _leaks(r))]
    assert not leaks, "\n".join(leaks)
