"""`/readyz`: a new `serve` process answers 503 until it has loaded what its first caller needs, then 200;
`/healthz` (liveness) answers 200 throughout."""

from __future__ import annotations

import time

from frontdesk.clock import SystemClock
from frontdesk.migrate import upgrade
from frontdesk.services import build_services
from frontdesk.web import create_app

from .conftest import make_settings


def test_ready_only_after_the_hub_and_models_are_loaded(sqlite_url: str) -> None:
    svc = build_services(make_settings(sqlite_url, calls_api_enabled=True), clock=SystemClock())
    upgrade(svc.db)
    client = create_app(services=svc).test_client()
    try:
        cold = client.get("/readyz")
        assert cold.status_code == 503
        assert cold.get_json() == {"status": "warming up"} and cold.headers["Retry-After"] == "1"
        assert client.get("/healthz").status_code == 200
        svc.start_workers()
        deadline = time.monotonic() + 120
        while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get("/readyz").get_json() == {"status": "ready"}
        # Ready means warm: the hub runs and the knowledge search's model is loaded.
        assert svc.running_hub is not None
        assert svc.knowledge._semantic is not None
    finally:
        svc.stop()
