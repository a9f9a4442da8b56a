"""`bench/load`'s engine: start a cluster, run callers and supervisors against its nginx front, inject
faults, wait for everything to settle, check the invariants, report. Importable (the tests run a short
version through `run(Options(...))`)."""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _p in (os.path.join(ROOT, "scripts"), os.path.join(ROOT, "src"), HERE):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from cluster_lib import Cluster  # noqa: E402
from cluster_parts import SUPERVISOR_EMAIL, SUPERVISOR_PASSWORD  # noqa: E402
from load_check import Check, check, wait_settled  # noqa: E402
from load_fakes import FakeTwilio, WebhookReceiver  # noqa: E402
from load_faults import FaultInjector  # noqa: E402
from load_nginx import read_timings  # noqa: E402
from load_sim import Api, Stats, World, caller, supervisors  # noqa: E402

from frontdesk.db import Database  # noqa: E402


@dataclass
class Options:
    """Everything a run depends on (the CLI's flags)."""

    callers: int = 200
    processes: int = 3
    db: str = "postgres"
    database_url: str = ""
    seed: int = 1
    faults: list[str] = field(default_factory=list)  # serve, dispatch, voice, pg
    fault_count: int = 0  # 0: one of each kind named
    request_timeout: int = 12
    sweep: float = 1.0
    ramp: float = 10.0
    think: tuple[float, float] = (2.0, 6.0)  # seconds between a caller's turns, as bench/calls
    poll: float = 1.0
    escalate_share: float = 0.4
    shared_share: float = 0.2
    shared_groups: int = 5
    hangup_share: float = 0.2
    supervisors: int = 3
    supervisor_poll: float = 0.5
    fate_weights: tuple[float, ...] = (0.55, 0.1, 0.15, 0.05, 0.15)  # answer, double, late, close, timeout
    told_grace: float = 25.0
    send_delay: float = 0.02
    voice_calls: int = 30
    run_dir: str | None = None
    keep: bool = False
    run_no: int = 0
    email: str = SUPERVISOR_EMAIL
    password: str = SUPERVISOR_PASSWORD
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Report:
    """The figures of one run."""

    options: Options
    wall: float
    stats: Stats
    world: World
    check: Check
    faults: list[str]
    fault_windows: list[tuple[float, float]]
    unsettled: tuple[int, int]
    load: str
    phases: dict[str, float] = field(default_factory=dict)
    nginx: dict[str, list[float]] = field(default_factory=dict)  # seconds per route, nginx's $request_time

    @property
    def errors(self) -> list[tuple[float, str]]:
        """Failed or retried requests outside every fault window (a window: from a kill to the restarted
        process being ready, or the database's restart, + 3 s), and any unexpected answer."""
        return [e for e in self.stats.errors + self.stats.retries
                if not (self._in_window(e[0]) and ("gave up" in e[1] or e in self.stats.retries))]

    @property
    def refused_in_window(self) -> list[tuple[float, str]]:
        """Requests that kept getting 502/503 until the client gave up, while a fault lasted: refused
        cleanly (the caller could not start a call while the database was down), not lost."""
        return [e for e in self.stats.errors if self._in_window(e[0]) and "gave up" in e[1]]

    @property
    def fault_window_retries(self) -> list[tuple[float, str]]:
        """Requests retried while a process or the database was down (nginx 502 for a request in
        flight on a killed process, 503 while the database restarts)."""
        return [e for e in self.stats.retries if self._in_window(e[0])]

    @property
    def server_errors_500(self) -> list[str]:
        """Any 500 anywhere (never allowed, faults or not)."""
        return [f"{route}: {n}x 500" for route, st in self.stats.statuses.items() for s, n in st.items()
                if s == 500 and n]

    def _in_window(self, t: float) -> bool:
        return any(a <= t <= b + 3.0 for a, b in self.fault_windows)

    @property
    def ok(self) -> bool:
        """0 errors, 0 violations, no 500, nothing left pending or queued."""
        return (not self.errors and not self.check.violations and not self.server_errors_500
                and self.unsettled == (0, 0))


def cluster_env(o: Options, twilio: FakeTwilio, hooks: WebhookReceiver) -> dict[str, str]:
    """Settings of every process of the run: short deadlines and leases, fakes for texts and webhooks."""
    env = {
        "REQUEST_TIMEOUT_SECONDS": str(o.request_timeout), "SWEEP_INTERVAL_SECONDS": str(o.sweep),
        "DISPATCH_INTERVAL_SECONDS": "0.5", "OUTBOX_BACKOFF_SECONDS": "0.5", "OUTBOX_MAX_ATTEMPTS": "20",
        "OUTBOX_LEASE_SECONDS": "6", "DELIVERY_TIMEOUT_SECONDS": "3", "SUPERVISOR_WEBHOOK_URL": hooks.url,
        "WEBHOOK_SECRET": secrets.token_hex(16), "WEB_THREADS": "64", "LOG_LEVEL": "WARNING",
        "DB_CONNECT_TIMEOUT_SECONDS": "3",
    }
    env.update(twilio.env())
    env.update(o.extra_env)
    return env


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of `values`, 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run(o: Options) -> Report:
    """One complete run; the cluster is stopped at the end unless `o.keep`."""
    random.seed(o.seed)
    twilio, hooks = FakeTwilio(o.send_delay), WebhookReceiver(o.send_delay)
    cluster = Cluster(o.run_dir)
    phases: dict[str, float] = {}
    t_start = time.monotonic()
    try:
        cluster.start(o.processes, o.database_url, o.db, cluster_env(o, twilio, hooks),
                      dispatchers=1 if "dispatch" in o.faults else 0)
        assert cluster.state is not None
        injector = FaultInjector(cluster, o)
        injector.prepare()
        stats, world = Stats(), World()
        t0 = time.monotonic()
        phases["cluster_start_s"] = t0 - t_start
        cpu0 = cluster.cpu_seconds()
        epoch0 = time.time()
        asyncio.run(_drive(cluster.front_url, o, stats, world, injector))
        wall = time.monotonic() - t0
        epoch1 = time.time()
        cpu1 = cluster.cpu_seconds()
        # CPU the serve processes spent on the load (a restarted process counts from its restart):
        # the machine-independent cost of the load, whatever else runs on the cores.
        phases["serve_cpu_s"] = sum(max(0.0, v - cpu0.get(k, 0.0) if k in cpu0 else v)
                                    for k, v in cpu1.items() if k.startswith("serve-"))
        db = Database(cluster.state.database_url)
        try:
            unsettled = wait_settled(db, time.monotonic() + o.request_timeout + 40)
            if "voice" in o.faults:
                time.sleep(3.0)  # a notice the voice job claimed is still being spoken (1.5 s)
            phases["settle_s"] = time.monotonic() - t0 - wall
            result = check(db, world, twilio, hooks, o.sweep, injector.outages)
        finally:
            db.dispose()
        with open("/proc/loadavg") as f:
            load = f.read().split()[:3]
        time.sleep(1.2)  # nginx writes its timing log at most 1 s late
        nginx = read_timings(cluster.run_dir / "nginx-timing.log", epoch0, epoch1)
        return Report(o, wall, stats, world, result, injector.log, injector.windows, unsettled, " ".join(load),
                      {k: round(v, 1) for k, v in phases.items()}, dict(nginx))
    finally:
        if not o.keep:
            cluster.stop()
        twilio.close()
        hooks.close()


async def _drive(front: str, o: Options, stats: Stats, world: World, injector: Any) -> None:
    api = Api(front, stats)
    stop = asyncio.Event()
    tag = f"{o.seed}x{secrets.token_hex(2)}"
    try:
        sups = asyncio.create_task(supervisors(api, world, o.seed, o, stop))
        faults = asyncio.create_task(injector.run(stop))
        await asyncio.gather(*(caller(api, world, i, random.Random(o.seed * 100_003 + i), tag, o)
                               for i in range(o.callers)))
        # Supervisors stop looking; the answers they planned (late ones too) still go out.
        stop.set()
        await asyncio.gather(sups, faults)
    finally:
        await api.close()
