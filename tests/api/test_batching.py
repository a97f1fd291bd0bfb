"""Query embeddings requested together are computed together, each caller gets its own
vector, and an encoder error reaches every caller of that batch."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from api.search.encoders import BatchingEncoder, CachedEncoder


class SlowEncoder:
    """Stands in for MiniLM's timing only: 20 ms a call, whatever the batch."""

    def __init__(self) -> None:
        self.batch_sizes: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.batch_sizes.append(len(texts))
        time.sleep(0.02)
        if "boom" in texts:
            raise RuntimeError("model failed")
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts])


def test_concurrent_requests_share_calls_and_get_their_own_vectors() -> None:
    slow = SlowEncoder()
    batcher = BatchingEncoder(slow)  # type: ignore[arg-type]
    texts = [f"query number {i}" for i in range(48)]
    results: dict[str, np.ndarray] = {}

    def ask(text: str) -> None:
        results[text] = batcher.encode_one(text)

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    for text in texts:
        assert results[text].tolist() == [float(len(text)), float(sum(map(ord, text)))]
    assert sum(slow.batch_sizes) == 48
    assert len(slow.batch_sizes) < 10, f"not batched: {slow.batch_sizes}"
    assert max(slow.batch_sizes) <= 32


def test_an_encoder_error_reaches_the_callers_and_the_batcher_keeps_going() -> None:
    batcher = BatchingEncoder(SlowEncoder())  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.encode_one("boom")
    assert batcher.encode_one("fine").tolist() == [4.0, float(sum(map(ord, "fine")))]


def test_the_cache_answers_repeats_without_the_model() -> None:
    slow = SlowEncoder()
    cached = CachedEncoder(slow)  # type: ignore[arg-type]
    first = cached.encode(["heat", "ronin"])
    calls = len(slow.batch_sizes)
    assert np.array_equal(cached.encode(["ronin", "heat"]), first[::-1])
    assert len(slow.batch_sizes) == calls


def test_async_searches_wait_on_the_loop_share_batches_and_the_cache() -> None:
    slow = SlowEncoder()
    cached = CachedEncoder(slow)  # type: ignore[arg-type]
    texts = [f"query number {i}" for i in range(20)]

    async def ask_all() -> list[np.ndarray]:
        return list(await asyncio.gather(*(cached.encode_async(t) for t in texts)))

    for text, vector in zip(texts, asyncio.run(ask_all()), strict=True):
        assert vector.tolist() == [float(len(text)), float(sum(map(ord, text)))]
    assert sum(slow.batch_sizes) == 20 and len(slow.batch_sizes) < 5, slow.batch_sizes
    calls = len(slow.batch_sizes)
    assert asyncio.run(cached.encode_async(texts[3])).tolist() == [
        float(len(texts[3])), float(sum(map(ord, texts[3])))]
    assert len(slow.batch_sizes) == calls
