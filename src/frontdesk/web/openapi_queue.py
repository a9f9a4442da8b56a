"""The queue's and analytics' part of the OpenAPI document (merged into `openapi.document()`)."""

from __future__ import annotations

from typing import Any

NUM_OR_NULL = {"type": ["number", "null"]}
INT = {"type": "integer"}

# Fields the queue adds to every help request in the API.
HELP_REQUEST_FIELDS: dict[str, Any] = {
    "priority": {"type": ["integer", "null"],
                 "description": "pending only: higher is answered first (weights in priority.py); null otherwise"},
    "priority_reasons": {"type": "array", "items": {"type": "string"},
                         "description": "why it sits where it does, e.g. '2 callers on the line', '4 min left'"},
    "urgent": {"type": "boolean", "description": "urgency words or a supervisor's mark (the mark wins)"},
}

ANALYTICS: dict[str, Any] = {
    "type": "object",
    "description": "Every figure is defined in the README (Analytics). Rates are 0-1, durations seconds, null "
                   "where undefined (nothing to divide by).",
    "required": ["from", "to", "calls", "escalated_calls", "deflection_rate", "requests", "answered",
                 "late_answers", "unresolved", "closed", "timeout_rate", "time_to_answer_p50_seconds",
                 "time_to_answer_p90_seconds", "knowledge_reuse", "followup_delivery_rate", "calls_by_day",
                 "busiest_hours", "top_unanswered"],
    "properties": {
        "from": {"type": "string", "format": "date"}, "to": {"type": "string", "format": "date"},
        "calls": INT, "silent_calls": INT, "calls_with_question": INT, "escalated_calls": INT,
        "deflected_calls": INT, "deflection_rate": NUM_OR_NULL, "escalation_rate": NUM_OR_NULL,
        "requests": INT, "ended": INT, "answered": INT, "late_answers": INT, "unresolved": INT, "closed": INT,
        "timeout_rate": NUM_OR_NULL, "pending_now": INT,
        "time_to_answer_p50_seconds": NUM_OR_NULL, "time_to_answer_p90_seconds": NUM_OR_NULL,
        "knowledge_reuse": {"type": "object"}, "read_back": {"type": "object"}, "transfers": {"type": "object"},
        "followup_delivery_rate": NUM_OR_NULL, "followups_by_channel": {"type": "object"},
        "calls_by_day": {"type": "array", "items": {"type": "object"}},
        "busiest_hours": {"type": "array", "items": {"type": "array", "items": INT},
                          "description": "7 rows (Monday first) of 24 hourly call counts, UTC"},
        "top_unanswered": {"type": "array", "items": {"type": "object"}},
    },
}


def paths(op: Any, json: Any, q: Any, path_id: Any, conflict: dict[str, Any]) -> dict[str, Any]:
    """The paths, built with `openapi.py`'s helpers."""
    # Empty is the default (the dashboard's filter form sends empty fields).
    day = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]}
    period = [q("from", "first day (ISO date, UTC); empty or missing: 6 days before `to`", day),
              q("to", "last day (ISO date, UTC), inclusive; empty or missing: today; `from` after `to` or a period "
                      "longer than 366 days is a 400", day)]
    return {
        "/help-requests/{id}/urgent": {"post": op(
            "Mark a pending request urgent (or not urgent, overriding the urgency words)",
            json({"$ref": "#/components/schemas/HelpRequest"}), params=[path_id()], extra=conflict,
            body={"type": "object", "required": ["urgent"], "properties": {"urgent": {"type": "boolean"}}})},
        "/analytics": {"get": op("Figures for a period (default the last 7 days)", json(ANALYTICS),
                                 params=period)},
        "/analytics/export.csv": {"get": op(
            "The period's help requests as CSV (phones masked)",
            {"description": "OK", "content": {"text/csv": {"schema": {"type": "string"}}}}, params=period)},
    }
