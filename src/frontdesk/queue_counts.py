"""Per-request caller counts for the queue's priority, kept by the database.

`help_requests.callers_waiting` (callers waiting on the request) and `help_requests.callers_live` (how
many of their calls are live) are priority inputs (priority.py). Counting them per request at read time
meant joining every pending request's callers and calls on each queue view (10,000 pending: most of
the page's time); stored, the order is one scan of the partial index `ix_help_queue`. Triggers recount
a request whenever one of its callers is added, removed or moved, and whenever a call's status
changes, so every writer (and raw SQL) keeps them right.
"""

from __future__ import annotations

from typing import Any

_RECOUNT = (
    "UPDATE help_requests SET "
    "callers_waiting = (SELECT count(*) FROM help_request_callers w WHERE w.help_request_id = help_requests.id), "
    "callers_live = (SELECT count(*) FROM help_request_callers w JOIN calls c ON c.id = w.call_id "
    "WHERE w.help_request_id = help_requests.id AND c.status = 'live') "
)


def recount_sql(where: str) -> str:
    """The UPDATE that recounts the requests matching `where` (SQL over `help_requests`)."""
    return _RECOUNT + f"WHERE {where}"


_BY_WAITER = "help_requests.id = {row}.help_request_id"
_BY_CALL = "help_requests.id IN (SELECT help_request_id FROM help_request_callers WHERE call_id = {row}.id)"
# trigger suffix -> (table, event, rows to recount for, WHEN condition or "")
_TRIGGERS: dict[str, tuple[str, str, tuple[tuple[str, str], ...], str]] = {
    "waiter_insert": ("help_request_callers", "INSERT", ((_BY_WAITER, "NEW"),), ""),
    "waiter_delete": ("help_request_callers", "DELETE", ((_BY_WAITER, "OLD"),), ""),
    "waiter_update": ("help_request_callers", "UPDATE OF help_request_id, call_id",
                      ((_BY_WAITER, "OLD"), (_BY_WAITER, "NEW")), ""),
    "call_status": ("calls", "UPDATE OF status", ((_BY_CALL, "NEW"),), "OLD.status IS DISTINCT FROM NEW.status"),
}


def trigger_ddl(dialect: str) -> list[str]:
    """CREATE statements of the counting triggers (idempotent)."""
    out: list[str] = []
    for suffix, (table, event, targets, when) in _TRIGGERS.items():
        name = f"queue_counts_{suffix}"
        body = " ".join(recount_sql(where.format(row=row)) + ";" for where, row in targets)
        if dialect == "sqlite":
            cond = f" WHEN {when.replace('IS DISTINCT FROM', 'IS NOT')}" if when else ""
            out.append(f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} FOR EACH ROW{cond} "
                       f"BEGIN {body} END")
        else:
            out.append(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body} RETURN NULL; END $$")
            cond = f" WHEN ({when})" if when else ""
            out.append(f"CREATE OR REPLACE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{cond} "
                       f"EXECUTE FUNCTION {name}()")
    return out


def drop_trigger_ddl(dialect: str) -> list[str]:
    """DROP statements of the counting triggers."""
    out: list[str] = []
    for suffix, (table, *_) in _TRIGGERS.items():
        name = f"queue_counts_{suffix}"
        if dialect == "sqlite":
            out.append(f"DROP TRIGGER IF EXISTS {name}")
        else:
            out += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    return out


def install_triggers(connection: Any) -> None:
    """(Re)create the triggers (`migrate.upgrade()` runs this after every upgrade: see analytics_rollup)."""
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
