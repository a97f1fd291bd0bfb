"""The first run's wait is measured, not a constant: the embedder's log says how many
titles are searchable and, while it embeds, how long is left at this run's rate."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

from streams.embedder import EmbedProgress


def embedder(ready: int, embedded: int) -> Any:
    return cast(Any, SimpleNamespace(text_vectors=dict.fromkeys(range(ready)),
                                     embedded=embedded))


def test_the_time_left_follows_the_measured_rate() -> None:
    progress = EmbedProgress(catalog_records=62_000)
    progress.started = time.monotonic() - 200  # 200 s in: 10,000 embedded, 50 titles/s
    line = progress.line(embedder(ready=12_000, embedded=10_000))
    assert line.startswith("12,000 of about 62,000 titles searchable; embedding 50 titles/s")
    assert line.endswith("about 17 min left")  # 50,000 titles at 50/s: 1,000 s


def test_a_cached_or_finished_catalog_has_no_estimate() -> None:
    progress = EmbedProgress(catalog_records=62_000)
    assert progress.line(embedder(ready=62_000, embedded=0)).startswith(
        "62,000 titles searchable (0 embedded")
    assert "left" not in progress.line(embedder(ready=62_000, embedded=62_000))
