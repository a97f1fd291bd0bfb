"""omega-trends on the real broker: a released window printed with the catalog's names,
the titles above the noise only."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import ensure_topics_and_acls
from omega.kafka.topics import CATALOG_TITLES, TRENDS
from omega.settings import REPO_ROOT, Settings
from tests.conftest import as_role
from tests.integration.workload import send

pytestmark = pytest.mark.integration


def test_trends_are_printed_with_titles(kafka_bootstrap: str, codec: AvroCodec,
                                        make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap,
                             topic_namespace=f"trendcli{uuid.uuid4().hex[:8]}")
    ensure_topics_and_acls(settings)
    heat = {"title_id": 7, "title": "Heat", "year": 1995, "genres": ["Crime"]}
    send(settings, [(CATALOG_TITLES, b"7", codec.encode("omega.CatalogTitle", heat))])
    releases = [{"window_start_ms": 0, "window_end_ms": 60_000, "title_id": t,
                 "noisy_count": c, "epsilon": 0.1, "sensitivity": 10, "source": "tv"}
                for t, c in ((7, 4_000), (8, 2_500), (9, 12))]
    send(settings, [(TRENDS, str(r["title_id"]).encode(),
                     codec.encode("omega.TrendRelease", r)) for r in releases])
    env = as_role(settings, "analytics").subprocess_env()
    text = subprocess.run([sys.executable, "-m", "consumers.trends", "--top", "2"], env=env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert "threshold 732 devices at 99.9 %" in lines[1], text.stdout  # 3 titles compared
    assert lines[3].split() == ["1", "4,000", "7", "Heat", "(1995)"], text.stdout
    assert lines[4].split()[:3] == ["2", "2,500", "8"] and "not in the catalog" in lines[4]
    assert len(text.stdout.strip().splitlines()) == 5, text.stdout  # 9's 12 is noise
    as_json = subprocess.run([sys.executable, "-m", "consumers.trends", "--json"], env=env,
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    top = json.loads(as_json.stdout.splitlines()[0])["top"]
    assert [(r["title_id"], r["title"]) for r in top] == [(7, "Heat (1995)"), (8, None)]
