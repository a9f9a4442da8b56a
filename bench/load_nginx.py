"""Turn and route latencies as nginx saw them (`$request_time`, from the cluster's timing log), so a
`bench/load` run reports the balancer's figures beside the client's own (which also include the
load generator's scheduling delays on the same cores)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

_ID = re.compile(r"^/api/v1/(calls|help-requests)/[^/]+")


def route_of(method: str, uri: str) -> str | None:
    """The bench's route name for an API request ("POST /calls/{id}/messages"), None for others."""
    if not uri.startswith("/api/v1/"):
        return None
    path = _ID.sub(lambda m: f"/api/v1/{m.group(1)}/{{id}}", uri)
    return f"{method} {path[len('/api/v1'):]}"


def read_timings(log: Path, t_from: float, t_to: float) -> dict[str, list[float]]:
    """Seconds per route for the requests nginx finished between `t_from` and `t_to` (epoch seconds)."""
    out: dict[str, list[float]] = defaultdict(list)
    if not log.exists():
        return out
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) < 5:
            continue
        try:
            at, took = float(parts[0]), float(parts[4])
        except ValueError:
            continue
        route = route_of(parts[1], parts[2])
        if route is not None and t_from <= at <= t_to:
            out[route].append(took)
    return out
