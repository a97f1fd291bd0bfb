"""Blending: a strong released edge pulls two titles together; no edge, no change."""

from __future__ import annotations

import numpy as np

from streams.blend import CoviewGraph, blend


def unit(v: list[float]) -> np.ndarray:
    a = np.array(v, dtype=np.float32)
    return a / np.linalg.norm(a)


VECTORS = {1: unit([1, 0, 0, 0]), 2: unit([0, 1, 0, 0]), 3: unit([0, 0, 1, 0]),
           4: unit([0.2, 0.1, 0, 1])}


def test_a_strong_edge_brings_two_titles_closer() -> None:
    graph = CoviewGraph()
    graph.add([(1, 2, 5000)])
    before = float(VECTORS[1] @ VECTORS[2])
    a, b = blend(1, VECTORS, graph, 0.5), blend(2, VECTORS, graph, 0.5)
    assert float(a @ b) > before + 0.3
    assert np.isclose(np.linalg.norm(a), 1, atol=1e-6)


def test_a_title_without_edges_is_unchanged() -> None:
    graph = CoviewGraph()
    graph.add([(1, 2, 5000)])
    assert np.array_equal(blend(4, VECTORS, graph, 0.5), VECTORS[4])


def test_weights_follow_the_noisy_counts_and_the_latest_release_wins() -> None:
    graph = CoviewGraph()
    graph.add([(1, 2, 9000), (1, 3, 1000)])
    refined = blend(1, VECTORS, graph, 1.0)
    assert refined[1] > refined[2] > 0  # pulled more toward 2 than toward 3
    assert graph.add([(1, 3, 9000)]) == {1, 3}
    again = blend(1, VECTORS, graph, 1.0)
    assert np.isclose(again[1], again[2])


def test_non_positive_noisy_counts_are_not_edges() -> None:
    graph = CoviewGraph()
    assert graph.add([(1, 2, -3), (3, 3, 100)]) == set()
    assert np.array_equal(blend(1, VECTORS, graph, 0.5), VECTORS[1])
