"""omega-catalog on a cluster that has none of Omega's topics yet, as `make run` starts it."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka.admin import ConfigResource

from omega.catalog import load_catalog
from omega.kafka import make_admin
from omega.settings import REPO_ROOT, Settings
from omega.topics import CATALOG_TITLES
from tests.integration.conftest import read_all

pytestmark = pytest.mark.integration


def test_the_catalog_lands_whole_on_a_fresh_cluster(
    kafka_bootstrap: str, make_settings: Callable[..., Settings],
) -> None:
    # No ensure_topics here: the loader runs first on a new broker and must make its topic.
    settings = make_settings(kafka_bootstrap=kafka_bootstrap,
                             topic_namespace=f"fresh{uuid.uuid4().hex[:8]}")
    topic = settings.topic(CATALOG_TITLES)
    admin = make_admin(settings)
    assert topic not in admin.list_topics(timeout=10).topics
    result = subprocess.run([sys.executable, "-m", "producers.catalog"],
                            env=settings.subprocess_env(), cwd=REPO_ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    expected = len(load_catalog())
    assert f"published {expected:,} titles" in result.stderr
    assert "director " in result.stderr, "each field's coverage is printed"
    config = admin.describe_configs([ConfigResource("topic", topic)])
    policy = next(iter(config.values())).result(timeout=30)["cleanup.policy"].value
    assert policy == "compact"
    titles = read_all(settings, CATALOG_TITLES)
    assert len({m.key() for m in titles}) == expected
