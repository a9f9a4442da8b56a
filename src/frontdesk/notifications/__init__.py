"""Notifications: supervisor alerts and caller follow-ups delivered from the outbox table.

`Dispatcher` claims and sends due rows (console, signed webhook, Twilio SMS); `send_reminders`
re-alerts supervisors at half a request's deadline; `signing.verify` is the receiver-side check
of webhook signatures.
"""

from frontdesk.notifications.dispatcher import Dispatcher
from frontdesk.notifications.reminders import send_reminders

__all__ = ["Dispatcher", "send_reminders"]
