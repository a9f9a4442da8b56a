"""Scripted conversations against the real receptionist: `frontdesk eval dialogues`.

A dialogue file (`evals/dialogues/*.json`) holds one business (`profile`, `entries` with ids) and its
`dialogues`; each turn is `[kind, caller text, expect]`. `expect` is one string or, for several
questions in one turn, a list (any order):

* `answer:<entry id>`: the entry's answer is told (outright, or after the caller's yes to a read-back);
* `say:<text>`: the reply contains the text (case-insensitive), e.g. a profile fact; no help request;
* `escalate`: a help request is opened and no entry's answer is told (a near miss);
* `none` (the default): no help request is opened (short replies, thanks, filler, garbage ...);
* `transfer`: a request for a person; no help request is opened.

Every business gets its own fresh SQLite database and its own text-call hub (the one `serve` runs);
each dialogue is one call. The simulated caller is truthful: when the receptionist reads an entry back
("is your question ...?") it says "yes" when that is the expected entry and "no" otherwise.

This module only uses what the hub offers (`start_call`, `send`) and the store, so the same runner
measures any revision of the receptionist (`bench/dialogues.py --baseline`).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

#: Kinds whose turns must never open a help request.
JUNK = ("greeting", "short_reply", "thanks", "goodbye", "filler", "garbage", "small_talk")


@dataclass
class Tally:
    """Counts of one business (or the sum of several)."""

    turns: Counter[str] = field(default_factory=Counter)  # kind -> turns
    passed: Counter[str] = field(default_factory=Counter)  # kind -> turns passed
    junk_dialogues: int = 0  # dialogues with a junk turn
    junk_clean: int = 0  # ... of which no junk turn opened a help request
    in_kb: int = 0  # expected entry answers (questions, bookings, corrections, parts of several)
    right: int = 0
    wrong: int = 0  # another entry's answer told instead
    near: int = 0  # expected escalations (near misses)
    false: int = 0  # an entry's answer told to a near miss
    questions: int = 0  # questions of any kind (in-KB, near miss, profile)
    read_backs: int = 0
    failures: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        """Sum another tally into this one."""
        for name in ("junk_dialogues", "junk_clean", "in_kb", "right", "wrong", "near", "false", "questions",
                     "read_backs"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.turns.update(other.turns)
        self.passed.update(other.passed)
        self.failures.extend(other.failures)

    def figures(self) -> dict[str, float]:
        """The issue's figures as fractions."""
        def rate(a: int, b: int) -> float:
            return a / b if b else 1.0

        return {"junk_no_help": rate(self.junk_clean, self.junk_dialogues), "right": rate(self.right, self.in_kb),
                "wrong": rate(self.wrong, self.in_kb) if self.in_kb else 0.0,
                "false": rate(self.false, self.near) if self.near else 0.0,
                "read_backs": rate(self.read_backs, self.questions) if self.questions else 0.0,
                "turns_passed": rate(sum(self.passed.values()), sum(self.turns.values()))}


def load(path: str | Path) -> dict[str, Any]:
    """Read a dialogue file."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _expects(turn: list[Any]) -> list[str]:
    raw = turn[2] if len(turn) > 2 else "none"
    return list(raw) if isinstance(raw, list) else [raw]


class _Business:
    """A fresh database with one business's profile and entries, and a hub on it."""

    def __init__(self, data: dict[str, Any], workdir: str, brain_factory: Callable[[], Any] | None) -> None:
        from frontdesk.agent.hub import CallHub
        from frontdesk.migrate import upgrade
        from frontdesk.models import BusinessProfile
        from frontdesk.services import build_services
        from frontdesk.settings import Settings

        settings = Settings(_env_file=None, database_url=f"sqlite:///{workdir}/dialogues.db",  # type: ignore[call-arg]
                            secret_key="dialogue-eval-" + "k" * 40, env="test", openai_api_key="",
                            livekit_url="", deepgram_api_key="", supervisor_webhook_url="", twilio_account_sid="",
                            calls_rate_limit_per_minute=0)
        self.svc = build_services(settings)
        upgrade(self.svc.db)
        now = self.svc.clock.now()
        with self.svc.db.write() as s:
            s.add(BusinessProfile(id=1, updated_at=now, updated_by="eval", **data["profile"]))
        self.svc.knowledge.import_json(json.dumps([{"question": e["question"], "answer": e["answer"]}
                                                   for e in data["entries"]]), by="eval")
        self.entries = {str(e["id"]): e for e in data["entries"]}
        self.hub = CallHub(self.svc, brain_factory=brain_factory) if brain_factory else CallHub(self.svc)
        self.hub.start()

    def escalations(self, call_id: str) -> int:
        from frontdesk.models import HelpRequestCaller

        with self.svc.db.read() as s:
            return int(s.scalar(select(func.count()).select_from(HelpRequestCaller)
                                .where(HelpRequestCaller.call_id == call_id)) or 0)

    def told(self, reply: str) -> set[str]:
        """Entries whose answer the reply contains."""
        return {k for k, e in self.entries.items() if e["answer"] in reply}

    def read_back(self, reply: str) -> set[str]:
        """Entries whose question the reply reads back (and does not answer)."""
        return {k for k, e in self.entries.items() if e["question"] in reply and e["answer"] not in reply}

    def close(self) -> None:
        self.hub.stop()
        self.svc.stop()


def _run_turn(biz: _Business, call_id: str, turn: list[Any], tally: Tally, where: str) -> bool:
    kind, text = str(turn[0]), str(turn[1])
    expects = _expects(turn)
    before = biz.escalations(call_id)
    reply = biz.hub.send(call_id, text).reply
    answers = {e[7:] for e in expects if e.startswith("answer:")}
    backs = biz.read_back(reply)
    said = [reply]
    if backs and (answers or "escalate" in expects):
        # The truthful caller: yes when the entry read back is the one they meant.
        tally.read_backs += 1
        meant = backs & answers
        if len(backs) > 1 and meant:
            follow = biz.entries[sorted(meant)[0]]["question"]
        else:
            follow = "yes" if meant else "no"
        said.append(biz.hub.send(call_id, follow).reply)
    text_all = " ".join(said)
    escalated = biz.escalations(call_id) > before
    told = biz.told(text_all)
    ok = True
    for e in expects:
        if e.startswith("answer:"):
            key = e[7:]
            tally.in_kb += 1
            tally.questions += 1
            if key in told:
                tally.right += 1
            else:
                ok = False
                if told - answers:
                    tally.wrong += 1
        elif e == "escalate":
            tally.near += 1
            tally.questions += 1
            if told - answers:
                tally.false += 1
                ok = False
            if not escalated:
                ok = False
        elif e.startswith("say:"):
            tally.questions += kind in ("profile", "multi")
            ok = ok and e[4:].casefold() in text_all.casefold()
    if "escalate" not in expects and escalated:
        ok = False
    if not ok:
        tally.failures.append(f"{where} [{kind}] {text!r} -> {' / '.join(said)!r}")
    return ok


def run_business(data: dict[str, Any], brain_factory: Callable[[], Any] | None = None) -> Tally:
    """Play every dialogue of one business; returns its tally."""
    tally = Tally()
    with tempfile.TemporaryDirectory() as workdir:
        biz = _Business(data, workdir, brain_factory)
        try:
            for n, dialogue in enumerate(data["dialogues"]):
                call = biz.hub.start_call(f"+1555010{n:04d}", "Eval")
                junk = dirty = False
                for i, turn in enumerate(dialogue["turns"]):
                    kind = str(turn[0])
                    before = biz.escalations(call.id)
                    ok = _run_turn(biz, call.id, turn, tally, f"{dialogue['id']}#{i + 1}")
                    tally.turns[kind] += 1
                    tally.passed[kind] += ok
                    if kind in JUNK:
                        junk = True
                        dirty = dirty or biz.escalations(call.id) > before
                biz.hub.end_call(call.id)
                if junk:
                    tally.junk_dialogues += 1
                    tally.junk_clean += not dirty
        finally:
            biz.close()
    return tally


def format_tally(name: str, tally: Tally) -> str:
    """Pass rates by kind and the headline figures."""
    f = tally.figures()
    lines = [f"{name}: {sum(tally.turns.values())} turns, {tally.passed.total()} passed ({f['turns_passed']:.1%})"]
    for kind in sorted(tally.turns):
        lines.append(f"  {kind:<12} {tally.passed[kind]:>4}/{tally.turns[kind]:<4} {tally.passed[kind] / tally.turns[kind]:.1%}")
    lines.append(f"  no help request on short replies/thanks/goodbyes/filler/garbage: {f['junk_no_help']:.1%} "
                 f"of {tally.junk_dialogues} dialogues")
    lines.append(f"  in-KB questions: right {f['right']:.1%}, wrong {f['wrong']:.1%} (of {tally.in_kb}); "
                 f"near misses: false {f['false']:.1%} (of {tally.near}); read-backs on {f['read_backs']:.1%} "
                 f"of {tally.questions} questions")
    return "\n".join(lines)


def evaluate_files(paths: list[Path], brain_factory: Callable[[], Any] | None = None,
                   verbose: bool = False) -> tuple[str, dict[str, Tally]]:
    """Run each file; the report groups tuned businesses and untouched ones separately."""
    tallies: dict[str, Tally] = {}
    groups: dict[str, Tally] = defaultdict(Tally)
    out = []
    for path in paths:
        data = load(path)
        tally = run_business(data, brain_factory)
        tallies[Path(path).stem] = tally
        groups["untouched" if data.get("untouched") else "tuned"].add(tally)
        out.append(format_tally(f"{Path(path).stem} ({len(data['dialogues'])} dialogues)", tally))
        if verbose:
            out.extend("    FAIL " + line for line in tally.failures)
    for group in ("tuned", "untouched"):
        if group in groups:
            out.append(format_tally(f"ALL {group.upper()}", groups[group]))
    return "\n".join(out), tallies
