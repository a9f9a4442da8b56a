"""Supervisor alerts by email over SMTP (standard library `smtplib`)."""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from frontdesk.notifications.channels import Message, PermanentError, TransientError
from frontdesk.settings import Settings

log = logging.getLogger(__name__)

_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]+")


def build_email(settings: Settings, message: Message) -> EmailMessage:
    """The alert as an email; its Message-ID is derived from the delivery id, so a retry repeats it."""
    request = message.payload.get("help_request", {})
    question = str(request.get("question", "")) or message.text
    prefix = "Reminder: " if message.kind == "supervisor_reminder" else ""
    # "[Q12]" tells a reply by email which request it answers (inbound/parse.py).
    tag = f" [Q{request['id']}]" if request.get("id") else ""
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.recipient
    email["Subject"] = f"{prefix}Help needed{tag}: {' '.join(question.split())[:80]}"
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<{_SAFE_ID.sub('.', message.delivery_id)}@frontdesk>"
    email.set_content(message.text)
    return email


class EmailChannel:
    """Sends one email per alert; one short SMTP session each (alerts are rare)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: Message) -> str | None:
        """Deliver by SMTP; 4xx replies and network errors are retried, 5xx replies are not."""
        email = build_email(self.settings, message)
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.delivery_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = f"SMTP recipient refused: {codes}"
            if all(400 <= c < 500 for c in codes):
                raise TransientError(detail) from exc
            raise PermanentError(detail) from exc
        except smtplib.SMTPResponseException as exc:
            detail = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            if 400 <= exc.smtp_code < 500:
                raise TransientError(detail) from exc
            raise PermanentError(detail) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP connection error: {type(exc).__name__}: {exc}") from exc
        return str(email["Message-ID"])

    def close(self) -> None:
        """Nothing pooled."""
