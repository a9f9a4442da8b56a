"""Fitted gate parameters, one configuration per embedder, for every business.

Fitted by ``bench/fit_gate.py`` on the tuning sets ``evals/salon.json``, ``evals/dental.json``
and ``evals/auto.json`` (never on ``evals/holdout_*.json``): logistic weights over
``gate.FEATURES``; ``answer_at`` is the highest-recall cut-off with <= 3% false answers and
<= 1% wrong answers on the tuning sets. The WordLlama fallback ranks worse, so its cut-off is
raised above its fitted 0.79 to 0.85 (no false or wrong answers on the tuning sets).
"""

from __future__ import annotations

from .embedding import MINILM_MODEL_ID
from .gate import GateConfig

MINILM_GATE = GateConfig(
    weights=(0.2992, 0.4709, 0.4389, 0.3608, 0.3746, -0.3761, -0.555, -0.1469), bias=0.8271,
    answer_at=0.75, judge_from=0.35,
    scale_mean=(0.5505, 0.181, 3.1133, 0.5162, 0.696, 0.8379, 0.2888, 1.1152),
    scale_std=(0.1476, 0.1346, 0.8088, 0.424, 0.3065, 0.9781, 0.3162, 1.4057),
)

FALLBACK_GATE = GateConfig(
    weights=(0.3187, 0.5538, 0.411, 0.2446, 0.3065, -0.3746, -0.4109, -0.2063), bias=0.2424,
    answer_at=0.85, judge_from=0.40,
    scale_mean=(0.4938, 0.2108, 3.3529, 0.5079, 0.6975, 0.8494, 0.2922, 1.1183),
    scale_std=(0.1804, 0.1606, 0.903, 0.4165, 0.2906, 0.963, 0.3043, 1.392),
)


def config_for(model_id: str) -> GateConfig:
    """Gate configuration for an embedder; anything but MiniLM gets the stricter fallback."""
    return MINILM_GATE if model_id == MINILM_MODEL_ID else FALLBACK_GATE
