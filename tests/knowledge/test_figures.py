"""Evaluation figures must not fall below what the committed gate reached (bench/RESULTS.md)."""

from __future__ import annotations

import pytest

from frontdesk.knowledge.evaluation import evaluate
from frontdesk.knowledge.retrieval import KnowledgeIndex

from .conftest import EVALS, load_set

# (top1, answered correctly, wrong answers, false answers) as reached at commit time.
REACHED = {
    "minilm": {
        "salon": (0.943, 0.724, 0.011, 0.000),
        "dental": (0.972, 0.592, 0.000, 0.000),
        "auto": (0.914, 0.543, 0.014, 0.000),
        "restaurant": (0.897, 0.500, 0.000, 0.000),
        "holdout_vet": (0.870, 0.449, 0.014, 0.100),
        "holdout_plumber": (0.856, 0.378, 0.000, 0.000),
        "holdout_gym": (0.833, 0.322, 0.000, 0.033),  # its single run, 2026-11-25 (not tuned on)
        "holdout_hotel": (0.800, 0.189, 0.000, 0.000),  # single runs, 2026-11-25 session 3 (not tuned on)
        "holdout_physio": (0.844, 0.356, 0.011, 0.000),
        # Single runs at the end of session 3; optometry after the same-question fix it prompted (0.022 before).
        "holdout_optometry": (0.778, 0.200, 0.011, 0.000),
        "holdout_bikeshop": (0.789, 0.256, 0.011, 0.067),
    },
    "wordllama": {
        "salon": (0.908, 0.609, 0.011, 0.000),
        "dental": (0.831, 0.493, 0.000, 0.000),
        "auto": (0.843, 0.457, 0.000, 0.000),
        "restaurant": (0.828, 0.379, 0.017, 0.000),
        "holdout_vet": (0.884, 0.391, 0.000, 0.033),
        "holdout_plumber": (0.878, 0.300, 0.000, 0.000),
        "holdout_gym": (0.744, 0.256, 0.000, 0.067),
        "holdout_hotel": (0.678, 0.156, 0.000, 0.000),
        "holdout_physio": (0.722, 0.244, 0.011, 0.000),
        "holdout_optometry": (0.744, 0.122, 0.011, 0.000),
        "holdout_bikeshop": (0.622, 0.189, 0.000, 0.067),
    },
}
# Answered correctly with the agent's read-back and a truthful caller (EvalReport.confirmed), as reached.
# 2026-12-01 (issue 14): an entry that drops the caller's qualifier (kids, dog, Sunday, ten) is no longer read
# back; that cost one question each on dental, hotel and restaurant (WordLlama) and two on optometry, and
# removed 15 read-backs of the wrong entry (bench/RESULTS.md, "Conversation").
READ_BACK = {
    "minilm": {"salon": 0.920, "dental": 0.817, "auto": 0.843, "restaurant": 0.828, "holdout_vet": 0.826,
               "holdout_plumber": 0.689, "holdout_gym": 0.622, "holdout_hotel": 0.556, "holdout_physio": 0.678,
               "holdout_optometry": 0.589, "holdout_bikeshop": 0.522},
    "wordllama": {"salon": 0.828, "dental": 0.718, "auto": 0.729, "restaurant": 0.759, "holdout_vet": 0.797,
                  "holdout_plumber": 0.656, "holdout_gym": 0.533, "holdout_hotel": 0.444, "holdout_physio": 0.500,
                  "holdout_optometry": 0.456, "holdout_bikeshop": 0.444},
}
# One question of slack: numeric noise across BLAS builds can flip a borderline item.
SLACK = 0.02


@pytest.mark.parametrize("name", ["salon", "dental", "auto", "restaurant", "holdout_vet", "holdout_plumber",
                                  "holdout_gym", "holdout_hotel", "holdout_physio", "holdout_optometry",
                                  "holdout_bikeshop"])
def test_figures_do_not_regress(embedder, name: str) -> None:  # type: ignore[no-untyped-def]
    kind = "minilm" if embedder.model_id.startswith("all-MiniLM") else "wordllama"
    top1, correct, wrong, false = REACHED[kind][name]
    rep = evaluate(EVALS / f"{name}.json", index_factory=lambda es: KnowledgeIndex(es, embedder=embedder))
    assert rep.top1 >= top1 - SLACK
    assert rep.gate.answered_correctly >= correct - SLACK
    assert rep.gate.wrong_answers <= wrong + SLACK
    assert rep.gate.false_answers <= false + 0.034  # one out-of-KB question of 30
    # The gate is never worse than the single-threshold baseline on false answers.
    assert rep.gate.false_answers <= rep.baseline.false_answers + 1e-9
    # Reading borderline matches back recovers in-KB questions and adds no wrong or false answer.
    assert rep.confirmed.answered_correctly >= READ_BACK[kind][name] - SLACK
    assert (rep.confirmed.wrong_answers, rep.confirmed.false_answers) == (rep.gate.wrong_answers,
                                                                         rep.gate.false_answers)


@pytest.mark.parametrize(("name", "reached"), [("salon", 0.954), ("restaurant", 0.948), ("holdout_hotel", 0.867),
                                               ("holdout_physio", 0.911)])
def test_the_wide_judge_band_offers_what_a_good_llm_needs(minilm, name: str, reached: float) -> None:  # type: ignore[no-untyped-def]
    """With a key (KB_JUDGE_FROM=0.05), matches the gate does not answer go to the LLM with the top entries.

    A judge that always picks the right entry when it is offered (and escalates otherwise) shows the
    band's ceiling: it must stay where it was measured (bench/judge_ceiling.py), or a real LLM could
    not reach the recall target however good it is. The oracle never answers an out-of-KB question.
    """
    data = load_set(name)
    key_to_id = {str(e["id"]): i + 1 for i, e in enumerate(data["entries"])}
    gold = {q: key_to_id[str(k)] for k, qs in data["paraphrases"].items() for q in qs}

    def oracle(question: str, candidates):  # type: ignore[no-untyped-def]
        return gold[question] if gold.get(question) in {c.id for c in candidates} else "escalate"

    rep = evaluate(data, index_factory=lambda es: KnowledgeIndex(es, embedder=minilm, llm_judge=oracle,
                                                               judge_from=0.05))
    # Picks for weak matches (p < 0.41) are read back, which a truthful caller confirms.
    assert rep.confirmed.answered_correctly >= reached - SLACK
    assert rep.gate.false_answers <= REACHED["minilm"][name][3] + 1e-9  # the judge adds no false answer
