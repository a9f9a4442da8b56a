"""Supervisor alerts by email to a local fake SMTP server."""

from __future__ import annotations

import email
import socketserver
import threading
from collections.abc import Iterator

import pytest

from frontdesk import outbox

from .conftest import followups


class FakeSMTP(socketserver.ThreadingTCPServer):
    """Just enough SMTP: EHLO, MAIL, RCPT (scripted replies), DATA, QUIT."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []
        self.rcpt_replies: list[str] = []  # e.g. "550 no such user"; then "250 OK"
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: FakeSMTP = self.server  # type: ignore[assignment]
        sender, rcpts = "", []
        self.reply("220 fake ESMTP")
        while line := self.rfile.readline():
            cmd = line.decode().strip()
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-fake\r\n250 8BITMIME")
            elif verb == "MAIL":
                sender = cmd
                self.reply("250 OK")
            elif verb == "RCPT":
                answer = server.rcpt_replies.pop(0) if server.rcpt_replies else "250 OK"
                if answer.startswith("250"):
                    rcpts.append(cmd)
                self.reply(answer)
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                server.mails.append((sender, rcpts, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp() -> Iterator[FakeSMTP]:
    server = FakeSMTP()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_alert_emailed_with_stable_message_id(make_services, smtp) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(supervisor_email="boss@example.com", smtp_host="127.0.0.1",
                        smtp_port=smtp.server_address[1], smtp_starttls=False, smtp_from="desk@example.com")
    rid = svc.desk.escalate("Can I bring my parrot?", caller_phone="+15550005555").request_id
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, channel="email")
    assert row.status == "sent" and row.provider_id == f"<supervisor_alert.{rid}.email@frontdesk>"
    [(sender, rcpts, data)] = smtp.mails
    assert "desk@example.com" in sender and "boss@example.com" in rcpts[0]
    mail = email.message_from_bytes(data)
    assert mail["Subject"] == f"Help needed [Q{rid}]: Can I bring my parrot?"
    assert mail["Message-ID"] == row.provider_id
    assert "Hey, I need help answering: Can I bring my parrot?" in mail.get_payload(decode=True).decode()
    assert "+15550005555" not in data.decode()


def test_refused_recipient_550_dead_450_retried(make_services, smtp) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(supervisor_email="boss@example.com", smtp_host="127.0.0.1",
                        smtp_port=smtp.server_address[1], smtp_starttls=False)
    smtp.rcpt_replies = ["450 mailbox busy", "550 no such user"]
    rid = svc.desk.escalate("Do you sell wigs?", caller_phone="+15550005555").request_id
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, kind=outbox.SUPERVISOR_ALERT, channel="email")
    assert row.status == "failed" and "450" in row.last_error
    svc.clock.advance(svc.settings.outbox_backoff_seconds)
    svc.dispatcher.run_once()
    [row] = followups(svc, help_request_id=rid, kind=outbox.SUPERVISOR_ALERT, channel="email")
    assert row.status == "dead" and "550" in row.last_error
    assert smtp.mails == []
