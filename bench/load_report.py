"""Printing a `bench/load` run: figures per route, errors, faults, invariants."""

from __future__ import annotations

from collections import Counter
from typing import Any

from load_run import Report, pct

TURN = "POST /calls/{id}/messages"


def report_dict(r: Report) -> dict[str, Any]:
    """The run's figures as plain data (for --json and the tests)."""
    o = r.options
    routes = {
        route: {"n": len(v), "p50_ms": round(pct(v, 50) * 1000, 1), "p95_ms": round(pct(v, 95) * 1000, 1),
                "p99_ms": round(pct(v, 99) * 1000, 1), "statuses": dict(r.stats.statuses[route])}
        for route, v in sorted(r.stats.latency.items())
    }
    at_nginx = {route: {"n": len(v), "p50_ms": round(pct(v, 50) * 1000, 1), "p95_ms": round(pct(v, 95) * 1000, 1),
                        "p99_ms": round(pct(v, 99) * 1000, 1)} for route, v in sorted(r.nginx.items())}
    return {
        "callers": o.callers, "processes": o.processes, "db": o.db, "seed": o.seed, "faults": o.faults,
        "request_timeout_s": o.request_timeout, "wall_s": round(r.wall, 1),
        "requests": r.stats.requests, "rps": round(r.stats.requests / r.wall, 1) if r.wall else 0,
        "max_live_calls": r.stats.max_live_calls, "routes": routes, "nginx_routes": at_nginx,
        "errors": len(r.errors), "error_samples": [e for _, e in r.errors[:10]],
        "fault_window_retries": len(r.fault_window_retries), "refused_in_window": len(r.refused_in_window),
        "apologies": r.stats.apologies,
        "retried_response_max_ms": round(max(r.stats.retry_latency, default=0.0) * 1000, 1), "dropped_calls": len(r.world.dropped_calls),
        "fault_window_samples": dict(Counter(e for _, e in r.fault_window_retries)),
        "http_500": r.server_errors_500, "fault_log": r.faults,
        "escalations": len(r.world.escalations), "unique_not_escalated": len(r.world.not_escalated),
        "fates": dict(Counter(r.world.fates.values())),
        "serve_cpu_ms_per_request": round(r.phases.get("serve_cpu_s", 0.0) * 1000 / max(1, r.stats.requests), 1),
        "invariants": r.check.counts, "violations": r.check.violations[:20],
        "violation_count": len(r.check.violations), "notes": r.check.notes[:10],
        "unsettled_pending_queued": list(r.unsettled), "loadavg": r.load, "phases": r.phases, "ok": r.ok,
    }


def print_report(r: Report) -> None:
    """Human-readable figures on stdout."""
    d = report_dict(r)
    print(f"bench/load: {d['callers']} callers, {d['processes']} serve process(es) on {d['db']} behind nginx, "
          f"seed {d['seed']}, faults {','.join(d['faults']) or 'none'}, REQUEST_TIMEOUT_SECONDS={d['request_timeout_s']}")
    print(f"wall {d['wall_s']} s, {d['requests']} requests, {d['rps']} req/s, "
          f"callers on the line at once: {d['max_live_calls']}, load average {d['loadavg']}, {d['phases']}")
    print(f"serve processes' CPU: {r.phases.get('serve_cpu_s', 0.0):.1f} s, "
          f"{d['serve_cpu_ms_per_request']} ms per request (all routes)")
    print(f"{'route':34} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for route, v in d["routes"].items():
        print(f"{route:34} {v['n']:>6} {v['p50_ms']:>8} {v['p95_ms']:>8} {v['p99_ms']:>8}  {v['statuses']}")
    if d["nginx_routes"]:
        print("the same routes as nginx timed them ($request_time: from the request's first byte to the reply sent):")
        for route, v in d["nginx_routes"].items():
            print(f"  {route:32} {v['n']:>6} {v['p50_ms']:>8} {v['p95_ms']:>8} {v['p99_ms']:>8}")
    print(f"escalations {d['escalations']} (unique questions answered instead: {d['unique_not_escalated']}), "
          f"supervisor fates {d['fates']}")
    print(f"errors: {d['errors']}" + "".join(f"\n  {e}" for e in d["error_samples"]))
    if d["fault_log"]:
        print("faults:" + "".join(f"\n  {line}" for line in d["fault_log"]))
        print(f"retried inside fault windows: {d['fault_window_retries']} {d['fault_window_samples']} "
              f"(slowest 502/503/504 came back in {d['retried_response_max_ms']} ms); "
              f"calls a fault ended (409 on the next message): {d['dropped_calls']}; requests refused until the "
              f"client gave up: {d['refused_in_window']}; turns the agent apologised for: {d['apologies']}")
    print(f"HTTP 500: {d['http_500'] or 'none'}")
    print(f"invariants: {d['invariants']}")
    if d["unsettled_pending_queued"] != [0, 0]:
        print(f"NOT SETTLED: pending, queued = {d['unsettled_pending_queued']}")
    print(f"violations: {d['violation_count']}" + "".join(f"\n  {v}" for v in d["violations"]))
    for n in d["notes"]:
        print(f"  note: {n}")
    print("OK" if d["ok"] else "FAILED")
