"""omega-catalog on a cluster that has none of Omega's topics yet, as `make run` starts it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka.admin import ConfigResource

from omega.data.catalog import load_catalog
from omega.kafka.clients import ensure_topics, make_admin, make_producer
from omega.kafka.codecs import codec_for
from omega.kafka.topics import CATALOG_TITLES, topic_catalog
from omega.settings import REPO_ROOT, Settings
from omega.titles import read_catalog
from tests.integration.conftest import read_all

pytestmark = pytest.mark.integration


def run_loader(settings: Settings) -> str:
    result = subprocess.run([sys.executable, "-m", "producers.catalog"],
                            env=settings.subprocess_env(), cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


def test_the_catalog_lands_whole_on_a_fresh_cluster(
    kafka_bootstrap: str, make_settings: Callable[..., Settings],
) -> None:
    # No ensure_topics here: the loader runs first on a new broker and must make its topic.
    settings = make_settings(kafka_bootstrap=kafka_bootstrap,
                             topic_namespace=f"fresh{uuid.uuid4().hex[:8]}")
    topic = settings.topic(CATALOG_TITLES)
    admin = make_admin(settings)
    assert topic not in admin.list_topics(timeout=10).topics
    stderr = run_loader(settings)
    expected = len(load_catalog())
    assert f"published {expected:,} titles" in stderr
    assert "director " in stderr, "each field's coverage is printed"
    config = admin.describe_configs([ConfigResource("topic", topic)])
    policy = next(iter(config.values())).result(timeout=30)["cleanup.policy"].value
    assert policy == "compact"
    titles = read_all(settings, CATALOG_TITLES)
    assert len({m.key() for m in titles if m.value() is not None}) == expected
    assert len(read_catalog(settings, codec_for(settings))) == expected


def test_a_catalog_published_before_the_merge_loses_its_twins_and_its_untitled_film(
    kafka_bootstrap: str, make_settings: Callable[..., Settings],
) -> None:
    """The topic of an earlier `make run` holds MovieLens' 'Independence Day (a.k.a. ID4)'
    at 24082 beside IMDb's at 24081, and vega's untitled film as 'None' at 34622: the
    loader deletes both ids (tombstones), and readers of the topic no longer see them."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap,
                             topic_namespace=f"twins{uuid.uuid4().hex[:8]}")
    codec = codec_for(settings)
    ensure_topics(settings, [topic_catalog(settings)[CATALOG_TITLES]])
    catalog = load_catalog()
    day = next(r for r in catalog if r["title_id"] == 24081)
    stale = {24082: day | {"title_id": 24082, "title": "Independence Day (a.k.a. ID4)"},
             34622: day | {"title_id": 34622, "title": "None", "year": 2006}}
    producer = make_producer(settings)
    for title_id, record in stale.items():
        producer.produce(settings.topic(CATALOG_TITLES), key=str(title_id).encode(),
                         value=codec.encode("omega.CatalogTitle", record))
    assert producer.flush(30) == 0
    assert set(stale) <= {r["title_id"] for r in read_catalog(settings, codec)}
    stderr = run_loader(settings)
    assert "records of films listed under another title merged (alternative title" in stderr
    assert "6 without a title left out (movielens 5, vega-datasets 1)" in stderr
    after = {r["title_id"]: r for r in read_catalog(settings, codec)}
    assert not set(stale) & set(after) and len(after) == len(catalog)
    assert after[24081]["title"] == "Independence Day" and after[24081]["movielens_id"] == 780
