"""Co-viewing refinement of title vectors: one message-passing step over released edges.

    e′(t) = normalize( e(t) + α · Σ_n w(t, n) · e(n) ),  w(t, n) = c(t, n) / Σ_m c(t, m)

where c are the noisy device counts of *released* co-view edges (never raw counts), so
the neighbour term is a weighted mean of the neighbours' text vectors and α alone sets
how far co-viewing pulls a title. A title with no released edge keeps its text vector.
This is our form of the seed product's graph refinement (docs/vectors.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

Edge = tuple[int, int, int]  # title_a, title_b, noisy_count


class CoviewGraph:
    """Released co-view edges; the latest release of a pair replaces the earlier one."""

    def __init__(self) -> None:
        self.weights: dict[int, dict[int, float]] = defaultdict(dict)

    def add(self, edges: Iterable[Edge]) -> set[int]:
        """Record edges; returns the titles whose neighbourhood changed."""
        touched: set[int] = set()
        for a, b, count in edges:
            if count <= 0 or a == b:
                continue
            self.weights[a][b] = self.weights[b][a] = float(count)
            touched |= {a, b}
        return touched

    def neighbours(self, title: int) -> dict[int, float]:
        return self.weights.get(title, {})


def blend(
    title: int, text_vectors: Mapping[int, np.ndarray], graph: CoviewGraph, alpha: float,
) -> np.ndarray:
    """The refined vector of `title` (its text vector when it has no known neighbour)."""
    own = text_vectors[title]
    neighbours = {n: c for n, c in graph.neighbours(title).items() if n in text_vectors}
    if not neighbours or alpha == 0:
        return own
    total = sum(neighbours.values())
    pull = sum((c / total) * text_vectors[n] for n, c in neighbours.items())
    mixed = own + alpha * pull
    refined: np.ndarray = (mixed / np.linalg.norm(mixed)).astype(np.float32)
    return refined
