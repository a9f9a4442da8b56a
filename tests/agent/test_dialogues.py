"""The scripted conversations of `evals/dialogues/` through the real hub and offline brain: the figures
may not drop (the issue's targets, and floors at what this session measured)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from livekit.agents import llm

from frontdesk.agent.brain import OfflineBrain
from frontdesk.agent.dialogue_eval import format_tally, load, run_business
from frontdesk.knowledge.embedding import minilm_available

pytestmark = pytest.mark.skipif(not minilm_available(), reason="MiniLM weights not installed")

DIALOGUES = Path(__file__).resolve().parents[2] / "evals" / "dialogues"

# name -> (right answers on in-KB questions at least, read-backs at most); measured 2026-12-01. The yoga
# studio was written before any tuning; its floors are the targets (its single run: 92.5%, 18.0%).
FLOORS = {"salon": (0.90, 0.15), "dental": (0.88, 0.15), "yoga_untouched": (0.90, 0.25)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_dialogue_figures_do_not_drop(name: str) -> None:
    tally = run_business(load(DIALOGUES / f"{name}.json"))
    f = tally.figures()
    report = format_tally(name, tally) + "\n" + "\n".join(tally.failures)
    right, read_backs = FLOORS[name]
    assert f["junk_no_help"] == 1.0, report  # no help request from a short reply, thanks, filler, garbage
    assert f["wrong"] <= 0.01 and f["false"] <= 0.02, report
    assert f["right"] >= right and f["read_backs"] <= read_backs, report


def test_every_dialogue_file_is_well_formed() -> None:
    files = sorted(DIALOGUES.glob("*.json"))
    assert len(files) >= 3
    total = 0
    for path in files:
        data = load(path)
        ids = {str(e["id"]) for e in data["entries"]}
        for dialogue in data["dialogues"]:
            total += 1
            for turn in dialogue["turns"]:
                expects = turn[2] if len(turn) > 2 else "none"
                for e in expects if isinstance(expects, list) else [expects]:
                    assert e in ("none", "escalate", "transfer") or e.startswith(("say:", "answer:")), e
                    assert not e.startswith("answer:") or e[7:] in ids, (path.name, e)
    assert total >= 150


class _ToolOnlyModel(llm.LLM):
    """A stand-in for an LLM with a key: it sees only the chat and the tools (no up-front knowledge check),
    and follows the instructions' rules: classify the turn, one lookup per question, read back, escalate."""

    def __init__(self) -> None:
        super().__init__()
        self._inner = OfflineBrain()

    def chat(self, **kwargs: Any) -> llm.LLMStream:
        return self._inner.chat(**kwargs)


def test_the_same_dialogues_pass_through_the_tools_alone() -> None:
    tally = run_business(load(DIALOGUES / "salon.json"), brain_factory=_ToolOnlyModel)
    f = tally.figures()
    report = format_tally("salon (tools only)", tally) + "\n" + "\n".join(tally.failures)
    assert f["junk_no_help"] == 1.0 and f["wrong"] <= 0.01 and f["false"] <= 0.02, report
    assert f["right"] >= FLOORS["salon"][0] and f["read_backs"] <= FLOORS["salon"][1], report
