"""MiniLM on ONNX Runtime matches sentence-transformers' reference vectors, without torch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from omega.encoder import MAX_TOKENS, TextEncoder, load_encoder
from tests.conftest import FIXTURES

REFERENCE = FIXTURES / "minilm_reference.json"  # see tests/fixtures/README.md


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    items = json.loads(REFERENCE.read_text())["items"]
    return [i["text"] for i in items], np.array([i["embedding"] for i in items], np.float32)


@pytest.fixture(scope="module")
def encoders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TextEncoder]:
    cache = tmp_path_factory.mktemp("models")
    return {p: load_encoder(cache, p) for p in ("fp32", "int8")}  # type: ignore[arg-type]


@pytest.mark.parametrize(("precision", "floor"), [("fp32", 0.999), ("int8", 0.98)])
def test_every_reference_text_matches(
    encoders: dict[str, TextEncoder], reference: tuple[list[str], np.ndarray],
    precision: str, floor: float,
) -> None:
    texts, expected = reference
    got = encoders[precision].encode(texts)
    cosines = (got * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    worst = int(np.argmin(cosines))
    assert cosines.min() >= floor, f"{precision}: {texts[worst][:40]!r} cosine {cosines[worst]:.5f}"
    assert np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)


def token_count(encoder: TextEncoder, text: str) -> int:
    tokenizer = encoder.tokenizer
    tokenizer.no_truncation()
    try:
        return len(tokenizer.encode(text).ids)
    finally:
        tokenizer.enable_truncation(MAX_TOKENS)


def test_the_reference_covers_the_empty_and_the_long_text(
    encoders: dict[str, TextEncoder], reference: tuple[list[str], np.ndarray],
) -> None:
    # The longest reference text is 182 tokens: past the 128 that the shipped
    # tokenizer.json truncates to (so it proves the 256 override), not past 256.
    texts, _ = reference
    assert "" in texts
    assert max(token_count(encoders["fp32"], t) for t in texts) > 128


def test_text_past_256_tokens_is_truncated_not_refused(encoders: dict[str, TextEncoder]) -> None:
    encoder = encoders["fp32"]
    long_text = " ".join(f"word{i}" for i in range(400))
    assert token_count(encoder, long_text) > MAX_TOKENS
    ids = encoder.tokenizer.encode(long_text).ids
    assert len(ids) == MAX_TOKENS
    (vector,) = encoder.encode([long_text])
    shorter = encoder.tokenizer.decode(ids[1:-1])
    (same,) = encoder.encode([shorter])
    assert float(vector @ same) > 0.99


def test_batching_does_not_change_a_vector(encoders: dict[str, TextEncoder]) -> None:
    texts = ["Heat", "a long quiet film about a lighthouse keeper and the sea", ""]
    together = encoders["fp32"].encode(texts)
    alone = np.vstack([encoders["fp32"].encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_no_torch_anywhere() -> None:
    assert "torch" not in sys.modules
    assert not any(Path(p, "torch").exists() for p in sys.path if p)
