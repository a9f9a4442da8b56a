"""Fitted gate parameters, one configuration per embedder, for every business.

Fitted by ``bench/fit_gate.py --max-false 0.034 --max-wrong 0.01`` on the tuning sets
``evals/salon.json``, ``dental.json``, ``auto.json`` and ``restaurant.json`` (never on
``evals/holdout_*.json``): logistic weights over ``gate.FEATURES``; ``answer_at`` is the
lowest cut-off with at most one false answer in 30 on EVERY tuning business (not pooled, so
a business full of near misses is not averaged away) and <= 1% wrong answers pooled.
Between ``judge_from`` and ``answer_at`` an LLM judge's pick is told; below, read back to the caller.
"""

from __future__ import annotations

from .embedding import MINILM_MODEL_ID
from .gate import GateConfig

#: From this gate probability up, an LLM judge's pick is told to the caller outright; below it (down to
#: ``KB_JUDGE_FROM``, 0.05 by default) the pick is read back first. Measured on the tuning sets with
#: ``bench/judge_ceiling.py`` (bench/RESULTS.md): a judge that always says yes would have 3-33% of near
#: misses told outright from 0.41, 57-87% from 0.05; a perfect judge plus the read-back reaches 94-97%.
#: No real LLM's verdicts are measured yet, so only the narrow band trusts the LLM alone.
JUDGE_FROM = 0.41
#: Without a judge verdict, a borderline match from this probability up is read back to the caller
#: ("are you asking ...?") and answered only if they say yes. Chosen on the tuning sets with a truthful
#: simulated caller (``frontdesk kb eval``): 0.41 / 0.30 / 0.20 answered 78-87% / 83-92% / 86-93% of
#: in-KB questions (50-72% without asking), asking back on 15-30% / 20-34% / 26-41% of all questions.
#: 0.30 keeps plainly unrelated questions (the demo salon's "dye my dog's fur", p <= 0.17) out.
CONFIRM_FROM = 0.30

MINILM_GATE = GateConfig(
    weights=(0.2019, 0.3593, 0.4075, 0.4468, 0.2506, -0.4616, -0.4767, -0.2101), bias=0.7176,
    answer_at=0.81, judge_from=JUDGE_FROM, confirm_from=CONFIRM_FROM,
    scale_mean=(0.5491, 0.1806, 3.1022, 0.4968, 0.6863, 0.8254, 0.2962, 1.1003),
    scale_std=(0.147, 0.1317, 0.7841, 0.4231, 0.3085, 0.9476, 0.3164, 1.3457),
)

FALLBACK_GATE = GateConfig(
    weights=(0.2806, 0.4716, 0.4888, 0.2793, 0.2255, -0.4142, -0.3342, -0.2657), bias=0.1874,
    answer_at=0.80, judge_from=JUDGE_FROM, confirm_from=CONFIRM_FROM,
    scale_mean=(0.4877, 0.2103, 3.3419, 0.4846, 0.6871, 0.8409, 0.2995, 1.1016),
    scale_std=(0.1801, 0.1591, 0.8658, 0.4155, 0.2906, 0.9324, 0.3025, 1.3274),
)


def config_for(model_id: str) -> GateConfig:
    """Gate configuration for an embedder; anything but MiniLM gets the fallback's own fit."""
    return MINILM_GATE if model_id == MINILM_MODEL_ID else FALLBACK_GATE
