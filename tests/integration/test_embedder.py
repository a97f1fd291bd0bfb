"""The embedder on the real broker: catalog + released edges → blended vectors in Qdrant Edge."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from rocksdict import Rdict

from omega.data.catalog import load_catalog
from omega.encoder import load_encoder
from omega.index import EdgeIndex
from omega.kafka.avro import AvroCodec
from omega.kafka.topics import CATALOG_TITLES, COVIEW_EDGES
from omega.settings import Settings
from omega.titles import title_text
from streams.embedder import TitleEmbedder, run
from tests.integration.workload import send

pytestmark = pytest.mark.integration


def test_catalog_and_released_edges_become_blended_vectors(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    s = kafka_settings(blend_alpha=0.5)
    catalog = [r for r in load_catalog() if r["year"] and r["votes"] and r["votes"] > 20_000]
    catalog = catalog[:300]
    a, b = catalog[0]["title_id"], catalog[1]["title_id"]
    send(s, [(CATALOG_TITLES, str(r["title_id"]).encode(),
              codec.encode("omega.CatalogTitle", r)) for r in catalog])
    edge = {"title_a": a, "title_b": b, "window_start_ms": 0, "window_end_ms": 1,
            "noisy_count": 4000, "epsilon": 0.1}
    send(s, [(COVIEW_EDGES, f"{a}:{b}".encode(), codec.encode("omega.CoviewEdge", edge))])

    encoder = load_encoder(s.data_dir / "models", "fp32")

    def embedder() -> TitleEmbedder:
        return TitleEmbedder(encoder, EdgeIndex(s.data_dir / "edge"), s.blend_alpha,
                             Rdict(str(s.data_dir / "cache")), "test-model")

    first = embedder()
    run(s, first, codec, follow=False)
    assert first.embedded == 300 and first.index.count() == 300
    stored = first.index.vectors([a, b])
    text_a, text_b = encoder.encode([title_text(catalog[0]), title_text(catalog[1])])
    assert float(stored[a] @ stored[b]) > float(text_a @ text_b) + 0.1
    untouched = catalog[5]["title_id"]
    assert np.allclose(first.index.vectors([untouched])[untouched],
                       encoder.encode([title_text(catalog[5])])[0], atol=1e-5)
    hits = first.index.search(text_a, 3)
    assert hits[0].payload["title"] == catalog[0]["title"]
    first.index.close()
    first.cache.close()  # type: ignore[union-attr]

    again = embedder()  # a restart: everything comes from the cache, upserts are idempotent
    run(s, again, codec, follow=False)
    assert again.embedded == 0 and again.index.count() == 300
    assert np.allclose(again.index.vectors([a])[a], stored[a], atol=1e-6)
