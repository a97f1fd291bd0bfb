"""Queries never wait for an HNSW build: the API builds snapshots in another process."""

from __future__ import annotations

import time

import numpy as np
import pytest

from omega.kafka.avro import AvroCodec
from streams.embedder import VectorPublisher
from tests.api.conftest import World
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def test_searches_keep_answering_while_a_snapshot_builds(api_world: World,
                                                         codec: AvroCodec) -> None:
    replica = api_world.state.index
    builds = replica.status()["snapshotBuilds"]
    ids = sorted(api_world.catalog)[:2500]  # more than rebuild_after: a new snapshot is due
    vectors = np.vstack([replica.vector(i) for i in ids])
    publisher = VectorPublisher(api_world.settings, codec, "all-MiniLM-L6-v2-fp32", 0.3)
    publisher.publish(ids, vectors)
    publisher.flush()

    latencies: list[float] = []
    during: list[float] = []
    deadline = time.monotonic() + 120
    while replica.status()["snapshotBuilds"] == builds and time.monotonic() < deadline:
        started = time.perf_counter()
        response = api_world.client.post("/api/search", json={"query": "space adventure"})
        assert response.status_code == 200
        assert response.json()["results"][0]["title"]
        latencies.append(time.perf_counter() - started)
        if replica.status()["building"]:
            during.append(latencies[-1])
    assert replica.status()["snapshotBuilds"] > builds, "no new snapshot was built"
    assert len(during) >= 5, f"only {len(during)} searches answered during the build"
    assert max(during) < 1.0, f"a search waited {max(during):.2f} s during the build"
    # Vectors that arrived after the build began stay fresh (searched exactly) until the
    # next snapshot, which follows once the topic is quiet.
    wait_for(lambda: replica.status()["freshTitles"] == 0, timeout_s=120)
