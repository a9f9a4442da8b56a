"""The MiniLM encoder as an ONNX graph run by onnxruntime, built in memory from the same weights.

A caller's question is 6-15 tokens. For such inputs the NumPy forward pass spends most of its
time in small-matrix BLAS calls and Python between ~150 operations (holding the GIL, which the
call hub's event loop needs). onnxruntime runs the whole encoder in one native call that
releases the GIL, on its own (MLAS) kernels, ~2-3x faster here. The graph is generated here with
``onnx.helper`` (no torch, no exported file to keep in sync), from the hash-checked weights.

Same inputs and output as ``MiniLMEmbedder._forward``: token ids and attention mask ``(B, S)``
int64 -> last hidden states ``(B, S, 384)`` float32. Pooling stays in NumPy.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

N_LAYERS = 6
N_HEADS = 12
DIM = 384
EPS = 1e-12


def onnx_available() -> bool:
    """True when both onnx (to build the graph) and onnxruntime (to run it) are importable."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _graph(w: dict[str, np.ndarray]) -> Any:
    """The encoder graph; ``w`` holds the weights as ``MiniLMEmbedder._load`` keeps them."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.array(value, order="C"), name))  # keeps 0-d scalars 0-d
        return name

    def node(op: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def dense(x: str, key: str, out: str) -> str:
        # MiniLMEmbedder keeps (out, in) weights; MatMul wants (in, out).
        wt = const(key + ".weight.T", w[key + ".weight"].T)
        return node("Add", [node("MatMul", [x, wt], out + ".mm"), const(key + ".bias", w[key + ".bias"])], out)

    def layer_norm(x: str, key: str, out: str) -> str:
        return node("LayerNormalization", [x, const(key + ".weight", w[key + ".weight"]),
                                           const(key + ".bias", w[key + ".bias"])], out, axis=-1, epsilon=EPS)

    hd = DIM // N_HEADS
    # Embeddings: word + position (positions 0..S-1 from the ids' shape) + token type 0.
    emb = node("Gather", [const("word", w["embeddings.word_embeddings.weight"]), "input_ids"], "emb.word")
    shape = node("Shape", ["input_ids"], "ids.shape")
    seq = node("Gather", [shape, const("one", np.array(1, np.int64))], "ids.seq")
    pos_ids = node("Range", [const("zero", np.array(0, np.int64)), seq, "one"], "pos.ids")
    pos = node("Gather", [const("pos", w["embeddings.position_embeddings.weight"]), pos_ids], "emb.pos")
    x = node("Add", [node("Add", [emb, pos], "emb.wp"),
                     const("type0", w["embeddings.token_type_embeddings.weight"][0])], "emb.sum")
    x = layer_norm(x, "embeddings.LayerNorm", "emb.out")
    # Additive attention bias (B, 1, 1, S): 0 for tokens, -1e9 for padding (as the NumPy path).
    maskf = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
    inv = node("Sub", [const("onef", np.array(1.0, np.float32)), maskf], "mask.inv")
    bias = node("Unsqueeze", [node("Mul", [inv, const("neg", np.array(-1e9, np.float32))], "mask.neg"),
                              const("axes12", np.array([1, 2], np.int64))], "mask.bias")
    qkv_shape = const("qkv.shape", np.array([0, 0, 3, N_HEADS, hd], np.int64))
    ctx_shape = const("ctx.shape", np.array([0, 0, DIM], np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    for i in range(N_LAYERS):
        p = f"encoder.layer.{i}."
        qkv = node("Reshape", [dense(x, p + "attention.self.qkv", p + "qkv"), qkv_shape], p + "qkv.r")
        heads = node("Transpose", [qkv], p + "qkv.t", perm=[2, 0, 3, 1, 4])  # (3, B, H, S, hd)
        q, k, v = (node("Gather", [heads, const(p + f"i{j}", np.array(j, np.int64))], p + n, axis=0)
                   for j, n in enumerate("qkv"))
        kt = node("Transpose", [k], p + "kt", perm=[0, 1, 3, 2])
        s = node("Add", [node("Mul", [node("MatMul", [q, kt], p + "qk"), scale], p + "qk.s"), bias], p + "scores")
        probs = node("Softmax", [s], p + "probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], p + "ctx")], p + "ctx.t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, ctx_shape], p + "ctx.r")
        att = node("Add", [dense(ctx, p + "attention.output.dense", p + "att"), x], p + "att.res")
        x = layer_norm(att, p + "attention.output.LayerNorm", p + "att.out")
        h = dense(x, p + "intermediate.dense", p + "inter")
        # Exact GELU, 0.5 * h * (1 + erf(h / sqrt 2)), as BERT and the NumPy path.
        erf = node("Erf", [node("Mul", [h, const(p + "rsqrt2", np.array(1 / np.sqrt(2.0), np.float32))],
                                p + "inter.s")], p + "inter.erf")
        gelu = node("Mul", [node("Mul", [h, const(p + "half", np.array(0.5, np.float32))], p + "inter.h"),
                            node("Add", [erf, "onef"], p + "inter.e1")], p + "gelu")
        out = node("Add", [dense(gelu, p + "output.dense", p + "out"), x], p + "out.res")
        x = layer_norm(out, p + "output.LayerNorm", "hidden" if i == N_LAYERS - 1 else p + "out.ln")
    graph = helper.make_graph(
        nodes, "minilm_l6",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "seq", DIM])],
        inits,
    )
    # IR version 8 (onnx 1.10+) is what opset 17 needs; newer onnx defaults to IRs older runtimes refuse.
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="frontdesk",
                             ir_version=8)


class OnnxEncoder:
    """An onnxruntime session over the encoder graph; ``__call__`` is thread-safe (ORT's ``run`` is)."""

    def __init__(self, w: dict[str, np.ndarray], threads: int = 1) -> None:
        import onnxruntime as ort

        model = _graph(w)
        opts = ort.SessionOptions()
        # One thread per call, like OPENBLAS_NUM_THREADS=1: on a small box the concurrency comes from
        # other calls and processes, and a second spinning thread per search only contends.
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Through a temporary file, not bytes: a session made from bytes keeps them (86 MB) for its
        # whole life on top of its own copy of the weights.
        with tempfile.TemporaryDirectory(prefix="frontdesk-minilm-") as tmp:
            path = os.path.join(tmp, "minilm.onnx")
            with open(path, "wb") as fh:
                fh.write(model.SerializeToString())
            del model
            self._session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states ``(B, S, 384)`` for int64 ids and mask ``(B, S)``."""
        out = self._session.run(["hidden"], {"input_ids": ids.astype(np.int64), "attention_mask": mask.astype(np.int64)})
        return np.asarray(out[0], dtype=np.float32)
