"""Simulated callers and supervisors for `bench/load`, all through the HTTP API (asyncio + httpx).

Callers start a text call, ask questions the demo salon knows (profile, knowledge base), a share
ask something nobody has answered (unique to the caller, or shared by a small group, who then join
one request), and either stay on the line until they are told (polling the call like the caller page
does) or hang up at a random moment. Supervisors list the pending queue and give each request a
seeded fate: answered soon, answered by two supervisors at once (one wins, one gets a 409), answered
late (after it timed out), closed, or left to time out.

Every HTTP exchange is timed per route; any response other than the expected ones is an error.
Connection errors, 502/503/504 are retried (with the same body) and counted as such.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

KNOWN = ["What are your opening hours?", "When are you open?", "How much is a men's haircut?",
         "How much is a women's haircut?", "How much is balayage?", "Where are you located?",
         "What's your address?", "How long does a blow-dry take?", "How much is a kids haircut?"]
UNKNOWN = ["do you do lash extensions", "do you do eyebrow waxing", "do you do nails", "how much is a manicure",
           "do you sell gift cards for the spa day", "can I bring my dog to the appointment"]
THANKS = ["thanks", "ok thank you", "great, thanks"]
RETRY_STATUSES = {502, 503, 504}
# What the agent says when its turn or a tool failed (its database was down): "say that again".
SORRY_PREFIXES = ("Sorry, I had a problem just now", "Sorry, I couldn't do that just now")
TOLD_MARKERS = ("Good news", "couldn't reach my supervisor", "couldn't get you an answer")


@dataclass
class Stats:
    """Latencies per route, statuses, errors, retries."""

    started: float = field(default_factory=time.monotonic)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    errors: list[tuple[float, str]] = field(default_factory=list)
    retries: list[tuple[float, str]] = field(default_factory=list)
    retry_latency: list[float] = field(default_factory=list)  # how long a 502/503/504 took to come back
    requests: int = 0
    apologies: int = 0  # turns answered "Sorry, I had a problem just now" (said again by the caller)
    live_calls: int = 0
    max_live_calls: int = 0

    def error(self, what: str) -> None:
        self.errors.append((time.time(), what))


@dataclass
class World:
    """What the callers and supervisors did, for the invariant checks."""

    escalations: dict[str, int] = field(default_factory=dict)  # call id -> help request id told to the caller
    not_escalated: list[str] = field(default_factory=list)  # unique questions answered instead (not an error)
    told_in_call: set[str] = field(default_factory=set)
    answers: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))  # accepted answer texts
    late_answers: set[int] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    fates: dict[int, str] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)  # call id -> phone
    dropped_calls: set[str] = field(default_factory=set)  # calls a fault ended (409 on the next message)


class Api:
    """One shared httpx client; every call timed under its route name."""

    def __init__(self, base: str, stats: Stats, timeout: float = 30.0, retry_for: float = 30.0) -> None:
        self.stats, self.retry_for = stats, retry_for
        self.client = httpx.AsyncClient(base_url=base, timeout=timeout,
                                        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=400))

    async def close(self) -> None:
        await self.client.aclose()

    async def call(self, route: str, method: str, url: str, expect: tuple[int, ...], **kw: Any) -> httpx.Response | None:
        """One logical request (retried on connection errors and 502/503/504 for up to `retry_for`
        seconds, as a caller page or a supervisor would); None when it failed."""
        give_up = time.monotonic() + self.retry_for
        attempt = 0
        while time.monotonic() < give_up:
            attempt += 1
            t0 = time.perf_counter()
            try:
                r = await self.client.request(method, url, **kw)
            except httpx.HTTPError as exc:
                self.stats.retries.append((time.time(), f"{route}: {type(exc).__name__}"))
                await asyncio.sleep(min(2.0, 0.3 * attempt))
                continue
            dt = time.perf_counter() - t0
            self.stats.requests += 1
            self.stats.statuses[route][r.status_code] += 1
            if r.status_code in RETRY_STATUSES:
                self.stats.retries.append((time.time(), f"{route}: {r.status_code}"))
                self.stats.retry_latency.append(dt)
                await asyncio.sleep(min(2.0, float(r.headers.get("Retry-After") or 0.3 * attempt)))
                continue
            self.stats.latency[route].append(dt)
            if r.status_code not in expect:
                self.stats.error(f"{route}: HTTP {r.status_code} {r.text[:160]}")
                return None
            return r
        self.stats.error(f"{route}: gave up after {attempt} attempts in {self.retry_for:.0f} s")
        return None


async def caller(api: Api, world: World, i: int, rng: random.Random, tag: str, opts: Any) -> None:
    """One caller from dial to hang-up."""
    await asyncio.sleep(rng.uniform(0, opts.ramp))
    phone = f"+1555{opts.run_no:03d}{i:04d}"
    r = await api.call("POST /calls", "POST", "/api/v1/calls", (201,),
                       json={"caller_phone": phone, "caller_name": f"Caller {i}"})
    if r is None:
        return
    call_id = r.json()["id"]
    world.phones[call_id] = phone
    stats = api.stats
    stats.live_calls += 1
    stats.max_live_calls = max(stats.max_live_calls, stats.live_calls)
    try:
        await _conversation(api, world, call_id, i, rng, tag, opts)
    finally:
        stats.live_calls -= 1


async def _conversation(api: Api, world: World, call_id: str, i: int, rng: random.Random, tag: str,
                        opts: Any) -> None:
    turns = [rng.choice(KNOWN) for _ in range(rng.randint(1, 3))]
    escalating = rng.random() < opts.escalate_share
    if escalating:
        topic = rng.choice(UNKNOWN)
        group = i % opts.shared_groups if opts.shared_groups and rng.random() < opts.shared_share else None
        question = (f"{topic} for the group booking {tag}-g{group}?" if group is not None
                    else f"{topic}, for booking {tag}-{i}?")
        turns.insert(rng.randint(0, len(turns)), question)
    else:
        question = ""
    turns.append(rng.choice(THANKS))
    hang_up_early = rng.random() < opts.hangup_share
    cut = rng.randint(1, len(turns)) if hang_up_early else len(turns)
    msgs = f"/api/v1/calls/{call_id}/messages"
    for text in turns[:cut]:
        await asyncio.sleep(rng.uniform(*opts.think))
        for _ in range(10):
            r = await api.call("POST /calls/{id}/messages", "POST", msgs, (200, 409) if opts.faults else (200,),
                               json={"text": text})
            if r is None or r.status_code != 200 or not r.json()["reply"].startswith(SORRY_PREFIXES):
                break
            api.stats.apologies += 1  # the agent could not work (its database was down): say it again
            await asyncio.sleep(1.0)
        if r is None:
            return
        if r.status_code == 409:
            if "ended" not in r.text:  # e.g. "not served by this server": the call was lost, not ended
                api.stats.error(f"POST /calls/{{id}}/messages: HTTP 409 {r.text[:160]}")
                return
            world.dropped_calls.add(call_id)  # a fault ended the call under the caller: they are texted
            return
        if text == question:
            rid = r.json().get("help_request_id")
            if rid:
                world.escalations[call_id] = int(rid)
            else:
                world.not_escalated.append(call_id)
    if call_id in world.escalations and not hang_up_early:
        await _wait_to_be_told(api, world, call_id, opts)
    await api.call("POST /calls/{id}/end", "POST", f"/api/v1/calls/{call_id}/end", (200,))


async def _wait_to_be_told(api: Api, world: World, call_id: str, opts: Any) -> None:
    """Stay on the line, polling like the caller page, until the answer or a notice is said."""
    deadline = time.monotonic() + opts.request_timeout + opts.told_grace
    while time.monotonic() < deadline:
        await asyncio.sleep(opts.poll)
        r = await api.call("GET /calls/{id}", "GET", f"/api/v1/calls/{call_id}", (200,))
        if r is None:
            return
        body = r.json()
        said = [ln["text"] for ln in body["transcript"] if ln["role"] in ("agent", "supervisor")]
        if any(m in t for t in said for m in TOLD_MARKERS):
            world.told_in_call.add(call_id)
            return
        if body["status"] != "live":
            return


async def supervisors(api: Api, world: World, seed: int, opts: Any, stop: asyncio.Event) -> None:
    """Supervisors working the queue until `stop`; each request gets its seeded fate once."""
    tokens = []
    for _ in range(opts.supervisors):
        r = await api.call("POST /auth/token", "POST", "/api/v1/auth/token", (200,),
                           json={"email": opts.email, "password": opts.password})
        if r is None:
            return
        tokens.append({"Authorization": f"Bearer {r.json()['token']}"})
    tasks: list[asyncio.Task[None]] = []
    while not stop.is_set():
        for status in ("pending", "unresolved"):
            r = await api.call("GET /help-requests", "GET", "/api/v1/help-requests", (200,),
                               params={"status": status, "per_page": "200"}, headers=tokens[0])
            for item in (r.json()["items"] if r is not None else []):
                rid = int(item["id"])
                if rid in world.fates or (status == "unresolved" and item["outcome"] != "timeout"):
                    continue
                rng = random.Random(seed * 7919 + rid)
                fate = rng.choices(["answer", "double", "late", "close", "timeout"], opts.fate_weights)[0]
                if status == "unresolved":
                    fate = "late" if rng.random() < 0.5 else "timeout"  # timed out before we saw it
                world.fates[rid] = fate
                tasks.append(asyncio.create_task(_work(api, world, rid, fate, rng, tokens, opts)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), opts.supervisor_poll)
    await asyncio.gather(*tasks)


async def _work(api: Api, world: World, rid: int, fate: str, rng: random.Random, tokens: list[dict[str, str]],
                opts: Any) -> None:
    url = f"/api/v1/help-requests/{rid}"
    if fate == "timeout":
        return
    if fate == "late":
        await asyncio.sleep(opts.request_timeout + opts.sweep + rng.uniform(0.5, 3.0))
    else:
        await asyncio.sleep(rng.uniform(0.3, opts.request_timeout * 0.5))
    if fate == "close":
        r = await api.call("POST /help-requests/{id}/close", "POST", url + "/close", (200, 409),
                           headers=tokens[0], json={"reason": "load test"})
        if r is not None and r.status_code == 200:
            world.closed.add(rid)
        return
    n = 2 if fate == "double" else 1
    texts = [f"Answer {rid}.{k}: yes, from the load test." for k in range(n)]

    async def one(k: int) -> None:
        r = await api.call("POST /help-requests/{id}/answer", "POST", url + "/answer", (200, 409),
                           headers=tokens[k % len(tokens)], json={"answer": texts[k], "add_to_kb": False})
        if r is not None and r.status_code == 200:
            world.answers[rid].append(texts[k])
            if fate == "late":
                world.late_answers.add(rid)

    await asyncio.gather(*(one(k) for k in range(n)))
