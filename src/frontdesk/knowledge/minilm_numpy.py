"""The MiniLM (6-layer BERT) encoder in NumPy: the fallback when onnxruntime is not installed."""

from __future__ import annotations

import numpy as np


def _erf(x: np.ndarray) -> np.ndarray:
    # NumPy has no erf; Abramowitz & Stegun 7.1.26 is accurate to 1.5e-7, which keeps the
    # exact-GELU BERT output within ~1e-7 of the PyTorch reference after normalisation.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def numpy_forward(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray, dim: int = 384,
                  n_heads: int = 12, layers: list[np.ndarray] | None = None) -> np.ndarray:
    """Last hidden states ``(B, S, dim)`` for token ids and attention mask ``(B, S)``.

    ``w`` holds the safetensors weights with dense weights in torch's (out, in) layout and
    ``attention.self.qkv`` stacked as ``MiniLMEmbedder._load`` prepares them. A ``layers`` list
    receives every layer's hidden states (0 = embeddings), for studies of intermediate layers.
    """
    bsz, seq = ids.shape
    x = w["embeddings.word_embeddings.weight"][ids]
    x = x + w["embeddings.position_embeddings.weight"][:seq][None]
    x = x + w["embeddings.token_type_embeddings.weight"][0][None, None]
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    if layers is not None:
        layers.append(x)
    hd = dim // n_heads
    bias = (1.0 - mask[:, None, None, :].astype(np.float32)) * np.float32(-1e9)
    for i in range(6):
        p = f"encoder.layer.{i}."

        def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
            # One 2-D GEMM with the (out, in) weight on the left: with OpenBLAS, W @ x.T is
            # up to 2x faster than x @ W.T for a few tokens; numpy's batched 3-D matmul
            # is ~5x slower for these shapes.
            wo = w[p + name + ".weight"]
            y = (wo @ t.reshape(-1, t.shape[-1]).T).T + w[p + name + ".bias"]
            return y.reshape(t.shape[0], t.shape[1], wo.shape[0])

        qkv = lin(x, "attention.self.qkv").reshape(bsz, seq, 3, n_heads, hd)
        q = qkv[:, :, 0].transpose(0, 2, 1, 3)
        k = qkv[:, :, 1].transpose(0, 2, 3, 1)
        v = qkv[:, :, 2].transpose(0, 2, 1, 3)
        s = (q @ k) / np.float32(np.sqrt(hd)) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(0, 2, 1, 3).reshape(bsz, seq, dim)
        x = _layer_norm(lin(ctx, "attention.output.dense") + x,
                        w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = lin(x, "intermediate.dense")
        h = 0.5 * h * (1.0 + _erf(h / np.float32(np.sqrt(2.0))))
        x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        if layers is not None:
            layers.append(x)
    return x.astype(np.float32)
