"""Retired title ids on the real broker: a catalog tombstone (omega-catalog merging twins,
omega/data/twins.py) takes the title out of the embedder's index, the title-vectors topic,
the API's views and what /v1/sync accepts; the worker's universe ends at the highest
live id."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from rocksdict import Rdict

from api.app import create_app
from api.security import KeyRing
from omega.data.catalog import load_catalog
from omega.encoder import TextEncoder, load_encoder
from omega.index import EdgeIndex
from omega.kafka.avro import AvroCodec
from omega.kafka.clients import make_producer
from omega.kafka.topics import CATALOG_TITLES, COVIEW_EDGES, TITLE_VECTORS, TRENDS
from omega.processes import die_with_parent
from omega.settings import REPO_ROOT, Settings
from omega.titles import title_text
from streams.__main__ import with_catalog_universe
from streams.embedder import TitleEmbedder, VectorPublisher, run
from tests.api.conftest import trend_release
from tests.conftest import as_role, valid_delta, wait_for
from tests.integration.conftest import read_all, wait_for_records
from tests.integration.workload import send

pytestmark = pytest.mark.integration
MODEL = "all-MiniLM-L6-v2-fp32"


def known_films(n: int) -> list[dict[str, Any]]:
    return [r for r in load_catalog() if r["year"] and r["votes"] and r["votes"] > 20_000][:n]


def publish(s: Settings, codec: AvroCodec, catalog: list[dict[str, Any]],
            edge: tuple[int, int] | None = None, end_ms: int = 4 * 3_600_000) -> None:
    send(s, [(CATALOG_TITLES, str(r["title_id"]).encode(),
              codec.encode("omega.CatalogTitle", r)) for r in catalog])
    if edge is not None:
        a, b = sorted(edge)
        record = {"title_a": a, "title_b": b, "window_start_ms": end_ms - 4 * 3_600_000,
                  "window_end_ms": end_ms, "noisy_count": 4000, "epsilon": 0.1}
        send(s, [(COVIEW_EDGES, f"{a}:{b}".encode(), codec.encode("omega.CoviewEdge", record))])


def retire(s: Settings, *ids: int) -> None:
    """What omega-catalog publishes for ids it retires: tombstones."""
    producer = make_producer(s)
    for title_id in ids:
        producer.produce(s.topic(CATALOG_TITLES), key=str(title_id).encode(), value=None)
    assert producer.flush(30) == 0


def embed(s: Settings, codec: AvroCodec, encoder: TextEncoder, folder: Path) -> TitleEmbedder:
    """One run of the real embedder (a start: replay to the end), its index left open."""
    role = as_role(s, "embedder")
    embedder = TitleEmbedder(encoder, EdgeIndex(folder / "index"), s.blend_alpha,
                             Rdict(str(folder / "cache")), MODEL,
                             VectorPublisher(role, codec, MODEL, s.blend_alpha))
    run(role, embedder, codec, follow=False)
    assert isinstance(embedder.cache, Rdict)
    embedder.cache.close()
    return embedder


def latest_vectors(s: Settings) -> dict[int, bytes | None]:
    """The title-vectors topic as compaction will leave it: the last value per title."""
    return {int(m.key() or b""): m.value() for m in read_all(s, TITLE_VECTORS)}


def test_a_catalog_tombstone_deletes_the_titles_point_and_its_published_vector(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    s = kafka_settings(blend_alpha=0.5)
    catalog = known_films(30)
    a, b, stray = catalog[0]["title_id"], catalog[1]["title_id"], catalog[29]["title_id"]
    publish(s, codec, catalog[:29], edge=(a, b))
    encoder = load_encoder(s.data_dir / "models", "fp32")
    first = embed(s, codec, encoder, s.data_dir)
    assert first.index.count() == 29 and a in first.index.ids()
    # A point the catalog never held (its tombstone long compacted away), left by an
    # earlier run in the persisted index.
    first.index.upsert([stray], encoder.encode([title_text(catalog[29])]),
                       [{"title": catalog[29]["title"]}])
    first.index.close()

    retire(s, a)
    again = embed(s, codec, encoder, s.data_dir)  # a restart replays the tombstone
    assert a not in again.index.ids() and stray not in again.index.ids()
    assert again.index.count() == 28
    text_a, text_b = encoder.encode([title_text(catalog[0]), title_text(catalog[1])])
    assert a not in [h.title_id for h in again.index.search(text_a, 28, exact=True)]
    # a's neighbour is blended again without it: back to its own text vector
    assert np.allclose(again.index.vectors([b])[b], text_b, atol=1e-5)
    published = latest_vectors(s)
    assert published[a] is None and published[stray] is None, "API replicas drop them"
    assert all(published[r["title_id"]] for r in catalog[1:29])
    again.index.close()


def test_the_api_drops_a_retired_title_from_every_view_and_sync_refuses_it(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    s = kafka_settings(api_port=0, rate_limit_ip_per_s=0, title_universe_size=10)
    catalog = known_films(40)
    a, b, c = (r["title_id"] for r in catalog[:3])
    never = next(i for i in range(1, max(r["title_id"] for r in catalog))
                 if i not in {r["title_id"] for r in catalog})
    now = int(time.time() * 1000)
    end = now - now % (4 * 3_600_000)
    publish(s, codec, catalog, edge=(a, b), end_ms=end)
    send(s, [(TRENDS, str(t).encode(), codec.encode("omega.TrendRelease",
                                                     trend_release(t, n, end)))
             for t, n in ((a, 9000), (b, 3000))])
    embed(s, codec, load_encoder(s.data_dir / "models", "fp32"), s.data_dir).index.close()
    record = latest_vectors(s)[a]
    assert record is not None
    vector_a = np.frombuffer(codec.decode(record, "omega.TitleVector")["vector"], "<f4")
    # A vector whose title the catalog does not hold (its tombstone compacted away).
    stray = VectorPublisher(s, codec, MODEL, s.blend_alpha)
    stray.publish([never], vector_a[None, :])
    stray.flush()
    keys = KeyRing(s.sync_keys)

    def sync(client: TestClient, title_id: int, seq: int) -> tuple[int, str]:
        device = f"tv-retired-{seq}"
        response = client.post("/v1/sync", content=json.dumps(valid_delta(
            device, seq, int(time.time() * 1000), [(b, 600), (title_id, 300)])), headers={
                "X-Device-Id": device, "Authorization": f"Bearer {keys.token(device)}",
                "Content-Type": "application/json"})
        return response.status_code, response.text

    with TestClient(create_app(as_role(s, "api"))) as client:
        views = client.app.state.omega.views
        wait_for(lambda: views.caught_up, 60, "views loaded")
        assert views.replica.count() == 40 and views.replica.vector(never) is None
        assert client.get(f"/api/titles/{a}").status_code == 200
        assert sync(client, a, 1)[0] == 200 and sync(client, c, 2)[0] == 200
        retire(s, a)  # the API follows the catalog: no restart
        wait_for(lambda: a not in views.titles, 30, "the tombstone applied")
        assert_retired(client, a, b, vector_a)
        status, text = sync(client, a, 3)
        assert status == 400 and f"title_id is {a}" in text and "retired" in text, text
        status, text = sync(client, never, 4)
        assert status == 400 and f"title_id is {never}" in text and "never issued" in text
        assert sync(client, c, 5)[0] == 200
    # A new API process replays the topics: a's vector is still on title-vectors (no
    # embedder has run since), its catalog record and tombstone too.
    with TestClient(create_app(as_role(s, "api"))) as client:
        views = client.app.state.omega.views
        wait_for(lambda: views.caught_up, 60, "views loaded")
        assert views.replica.count() == 39
        assert_retired(client, a, b, vector_a)


def assert_retired(client: TestClient, a: int, b: int, vector_a: np.ndarray) -> None:
    """Title `a` is gone from every view; `b` (its co-view neighbour) shows no trace of it."""
    state = client.app.state.omega
    views = state.views
    assert client.get(f"/api/titles/{a}").status_code == 404
    assert all(a not in ids for ids in views.by_name.values())
    assert state.index.vector(a) is None
    assert a not in [h.title_id for h in state.index.search(vector_a, 40)]
    assert a not in views.totals("day")[0] and b in views.totals("day")[0]
    assert views.watched_with(b) == []
    page = client.get(f"/api/titles/{b}").json()
    assert a not in [t["titleId"] for t in page["similar"] + page["watchedTogether"]]
    search = client.post("/api/search", json={"query": views.titles[b]["title"]}).json()
    assert a not in [t["titleId"] for t in search["results"]]


def test_the_worker_universe_ends_at_the_highest_live_id(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    s = kafka_settings(title_universe_size=10)
    catalog = sorted(known_films(5), key=lambda r: r["title_id"])
    publish(s, codec, catalog)
    retire(s, catalog[-1]["title_id"])
    assert with_catalog_universe(s).title_universe_size == catalog[-2]["title_id"]


def test_a_following_embedder_deletes_a_title_retired_while_it_runs(
    kafka_settings: Callable[..., Settings], codec: AvroCodec, tmp_path: Path,
) -> None:
    s = kafka_settings()
    catalog = known_films(5)
    a = catalog[0]["title_id"]
    publish(s, codec, catalog)
    log = open(tmp_path / "embedder.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "streams.embedder", "--follow"],
                            env=as_role(s, "embedder").subprocess_env(), stdout=log,
                            stderr=subprocess.STDOUT, cwd=REPO_ROOT, preexec_fn=die_with_parent)
    try:
        wait_for_records(s, TITLE_VECTORS, lambda ms: len(ms) >= 5, timeout_s=120)
        retire(s, a)
        wait_for_records(s, TITLE_VECTORS, lambda ms: any(
            m.key() == str(a).encode() and m.value() is None for m in ms), timeout_s=60)
        assert proc.poll() is None, (tmp_path / "embedder.log").read_text()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        log.close()
    index = EdgeIndex(s.data_dir / "qdrant-edge")  # the embedder's own, reopened
    assert a not in index.ids() and index.count() == 4
    index.close()
