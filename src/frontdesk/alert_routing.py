"""Who a supervisor alert goes to, by availability (presence.py).

- Somebody online: the online supervisors' own channels: an SMS to each one's phone (with Twilio),
  an email to each one's address (with SMTP). They also see the request live in the dashboard
  they have open (that is what keeps them online).
- Nobody online: every configured channel, as before availability existed (webhook, the shared
  `SUPERVISOR_PHONE`, `SUPERVISOR_EMAIL`), plus an SMS to every active supervisor's own phone.
- The reminder at half the deadline widens to everybody even when someone is online: the online
  supervisors were asked first and have not answered.

The console log always gets a line. One outbox row per recipient (`dedupe_key` per supervisor), and
a number or address that several routes name is alerted once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from frontdesk import presence
from frontdesk.models import Supervisor
from frontdesk.settings import Settings

REMINDER = "supervisor_reminder"


@dataclass(frozen=True)
class Route:
    """One alert recipient: the channel, the address, and the dedupe suffix of its outbox row."""

    channel: str
    recipient: str
    key: str


def shared_routes(settings: Settings) -> list[Route]:
    """Every configured shared channel (`SUPERVISOR_WEBHOOK_URL`, `SUPERVISOR_PHONE`, `SUPERVISOR_EMAIL`)."""
    routes = []
    if settings.supervisor_webhook_url:
        routes.append(Route("webhook", settings.supervisor_webhook_url, "webhook"))
    if settings.supervisor_phone and settings.twilio_configured:
        routes.append(Route("sms", settings.supervisor_phone, "sms"))
    if settings.supervisor_email and settings.smtp_host:
        routes.append(Route("email", settings.supervisor_email, "email"))
    return routes


def _own_routes(sup: Supervisor, settings: Settings, email: bool) -> list[Route]:
    routes = []
    if sup.phone and settings.twilio_configured:
        routes.append(Route("sms", sup.phone, f"sms:sup{sup.id}"))
    if email and sup.email and settings.smtp_host:
        routes.append(Route("email", sup.email, f"email:sup{sup.id}"))
    return routes


def alert_routes(session: Session, settings: Settings, now: datetime, kind: str = "supervisor_alert") -> list[Route]:
    """The recipients of one alert (or reminder) at `now`: see the module docstring."""
    # One query for both cases (an escalation runs this inside its transaction): every active supervisor,
    # the online ones picked here by the same rule as `presence.online_supervisors`.
    everyone = list(session.scalars(select(Supervisor).where(Supervisor.is_active.is_(True)).order_by(Supervisor.id)))
    online = [sup for sup in everyone if presence.effective_availability(sup, now, settings) == presence.ONLINE]
    routes = [Route("console", "log", "console")]
    if online and kind != REMINDER:
        for sup in online:
            routes += _own_routes(sup, settings, email=True)
    else:
        routes += shared_routes(settings)
        online_ids = {s.id for s in online}
        for sup in everyone:
            # Everyone's phone; an email only to those online (asked first): the shared address covers the rest.
            routes += _own_routes(sup, settings, email=sup.id in online_ids)
    seen: set[tuple[str, str]] = set()
    unique = []
    for route in routes:
        if (route.channel, route.recipient) not in seen:
            seen.add((route.channel, route.recipient))
            unique.append(route)
    return unique
