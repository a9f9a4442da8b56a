"""The short versions of `bench/load` (the full ones: `.venv/bin/python bench/load`, see bench/RESULTS.md).

A real deployment through Debian's nginx: callers, supervisors, timeouts and hang-ups over HTTP, then
every invariant checked from the database. One SQLite process; several processes on PostgreSQL with a
kill -9 of one serve process mid-load (and, where the machine is ours alone, a PostgreSQL restart:
FRONTDESK_TEST_PG_RESTART=1, which `.ci/run` sets).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from load_report import print_report, report_dict  # noqa: E402
from load_run import Options, run  # noqa: E402

pytestmark = [
    pytest.mark.load,
    pytest.mark.skipif(shutil.which("nginx") is None and not os.path.exists("/usr/sbin/nginx"),
                       reason="nginx is not installed (.ci/run installs it)"),
]


def cluster_pg_url() -> str:
    """A database of its own beside TEST_DATABASE_URL's (`<name>_cluster`): the cluster empties it."""
    base, _, name = PG_URL.rpartition("/")
    return f"{base}/{name.split('?')[0]}_cluster"


def _assert_clean(report) -> None:  # type: ignore[no-untyped-def]
    print_report(report)
    d = report_dict(report)
    assert d["http_500"] == []
    assert d["errors"] == 0, d["error_samples"]
    assert d["violation_count"] == 0, d["violations"]
    assert d["unsettled_pending_queued"] == [0, 0]
    assert d["escalations"] > 0 and d["invariants"]["help_requests"] > 0
    assert report.ok


def test_load_one_sqlite_process(tmp_path: Path) -> None:
    report = run(Options(callers=30, processes=1, db="sqlite", request_timeout=6, ramp=3.0, think=(0.3, 1.5), seed=11,
                         run_dir=str(tmp_path / "run"), told_grace=15.0))
    _assert_clean(report)
    assert report.stats.max_live_calls >= 20
    # nginx timed every turn the callers timed (its log is the "through nginx" figure in bench/RESULTS.md).
    turns = report_dict(report)["nginx_routes"]["POST /calls/{id}/messages"]
    assert turns["n"] == len(report.stats.latency["POST /calls/{id}/messages"]) and turns["p95_ms"] > 0


@pytest.mark.postgres
def test_load_three_postgres_processes_with_kill9(tmp_path: Path) -> None:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    faults = ["serve"] + (["pg"] if os.environ.get("FRONTDESK_TEST_PG_RESTART") == "1" else [])
    report = run(Options(callers=30, processes=3, db="postgres", database_url=cluster_pg_url(),
                         request_timeout=6, ramp=3.0, think=(0.3, 1.5), seed=12, faults=faults, run_dir=str(tmp_path / "run"),
                         told_grace=15.0))
    _assert_clean(report)
    assert len([line for line in report.faults if "kill -9" in line]) == 1
    if "pg" in faults:
        assert any("PostgreSQL restarted" in line for line in report.faults)



def test_nginx_timing_routes() -> None:
    from load_nginx import route_of

    assert route_of("POST", "/api/v1/calls/abcDEF123/messages") == "POST /calls/{id}/messages"
    assert route_of("GET", "/api/v1/help-requests/42") == "GET /help-requests/{id}"
    assert route_of("POST", "/api/v1/calls") == "POST /calls"
    assert route_of("GET", "/events") is None
