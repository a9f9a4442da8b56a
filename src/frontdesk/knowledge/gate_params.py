"""Fitted gate parameters, one configuration per embedder, for every business.

Fitted by ``bench/fit_gate.py --max-false 0.02`` on the tuning sets ``evals/salon.json``,
``dental.json``, ``auto.json`` and ``restaurant.json`` (never on ``evals/holdout_*.json``):
logistic weights over ``gate.FEATURES``; ``answer_at`` is the highest-recall cut-off with
<= 2% false and <= 1% wrong answers on the tuning sets. Between ``judge_from`` and
``answer_at`` an LLM judge may decide; offline that band escalates. The WordLlama fallback
ranks worse, so its cut-off is raised from its fitted 0.79 to 0.90.
"""

from __future__ import annotations

from .embedding import MINILM_MODEL_ID
from .gate import GateConfig

MINILM_GATE = GateConfig(
    weights=(0.1327, 0.4014, 0.3796, 0.4263, 0.2577, -0.4406, -0.4922, -0.2053), bias=0.6438,
    answer_at=0.88, judge_from=0.48,
    scale_mean=(0.5496, 0.1799, 3.1006, 0.4971, 0.6855, 0.8254, 0.2972, 1.1018),
    scale_std=(0.1469, 0.1317, 0.7842, 0.422, 0.3082, 0.945, 0.316, 1.3421),
)

FALLBACK_GATE = GateConfig(
    weights=(0.2491, 0.5047, 0.4822, 0.2719, 0.22, -0.4176, -0.3358, -0.2641), bias=0.1646,
    answer_at=0.90, judge_from=0.45,
    scale_mean=(0.4878, 0.2092, 3.339, 0.4864, 0.6874, 0.8417, 0.2995, 1.1024),
    scale_std=(0.1801, 0.1589, 0.8646, 0.415, 0.2907, 0.9321, 0.3025, 1.327),
)


def config_for(model_id: str) -> GateConfig:
    """Gate configuration for an embedder; anything but MiniLM gets the stricter fallback."""
    return MINILM_GATE if model_id == MINILM_MODEL_ID else FALLBACK_GATE
