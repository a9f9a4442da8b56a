"""SQLAlchemy models: the whole schema of the store, one module per area, all importable from here.

States are plain strings guarded by CHECK constraints; transitions live in `lifecycle.py`.
Times are naive UTC.
"""

from frontdesk.models.analytics import AnalyticsDay
from frontdesk.models.base import (
    AVAILABILITY,
    CALL_ROLES,
    FOLLOWUP_STATUSES,
    KB_SOURCES,
    KB_STATUSES,
    OUTCOMES,
    PENDING,
    REQUEST_STATUSES,
    RESOLVED,
    UNRESOLVED,
    Base,
    new_call_id,
    table_of,
)
from frontdesk.models.calls import TRANSFER_STATUSES, Call, Caller, HubAddress, TranscriptLine, Transfer
from frontdesk.models.knowledge import KnowledgeEntry, NearMiss
from frontdesk.models.people import TOKEN_KINDS, ApiToken, BusinessProfile, RateLimitWindow, Supervisor
from frontdesk.models.requests import Event, Followup, HelpRequest, HelpRequestCaller, InboundReply

__all__ = [
    "AVAILABILITY", "CALL_ROLES", "FOLLOWUP_STATUSES", "KB_SOURCES", "KB_STATUSES", "OUTCOMES", "PENDING",
    "REQUEST_STATUSES", "RESOLVED", "TOKEN_KINDS", "TRANSFER_STATUSES", "UNRESOLVED", "AnalyticsDay", "ApiToken", "Base",
    "BusinessProfile", "Call", "Caller", "Event", "Followup", "HelpRequest", "HelpRequestCaller", "HubAddress", "InboundReply",
    "KnowledgeEntry", "NearMiss", "RateLimitWindow", "Supervisor", "TranscriptLine", "Transfer", "new_call_id",
    "table_of",
]
