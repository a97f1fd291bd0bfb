"""A retired title leaves the API's index replica at once, snapshot included."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from api.search.replica import VectorReplica
from tests.conftest import wait_for

N, DIM = 1500, 384  # more than the 1,000 a snapshot needs


def test_a_removed_title_is_never_a_hit_and_the_next_snapshot_drops_it(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(N, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    replica = VectorReplica(tmp_path / "replica", quiet_s=0.0)
    try:
        replica.add(list(range(1, N + 1)), vectors, [{"year": 2000}] * N)

        def built(builds: int) -> bool:
            replica.maintain()
            status = replica.status()
            return bool(status["snapshotBuilds"] >= builds and not status["freshTitles"])

        wait_for(lambda: built(1), 120, "the first snapshot")
        assert replica.search(vectors[6], 1)[0].title_id == 7  # from the snapshot
        replica.remove([7, 8])
        assert replica.vector(7) is None and replica.count() == N - 2
        for query in (vectors[6], vectors[7]):
            assert {7, 8}.isdisjoint(h.title_id for h in replica.search(query, 10))
        wait_for(lambda: built(2), 120, "a snapshot without the removed titles")
        assert replica.status()["snapshotTitles"] == N - 2
        assert replica.search(vectors[6], 1)[0].title_id != 7
    finally:
        replica.close()
