"""The TMDB adapter against a local fake in TMDB's documented format: enrichment, cache,
rate limits, TMDB down, and no call at all without a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from omega.data.catalog import enrich_from_tmdb
from omega.data.tmdb import TmdbClient, TmdbStatus, TmdbUnavailable
from tests.fake_tmdb import KEY, FakeTmdb


@pytest.fixture
def tmdb() -> Iterator[FakeTmdb]:
    fake = FakeTmdb()
    yield fake
    fake.close()


def catalog(report: object = None) -> list[dict[str, Any]]:
    """Two titles; stands in for load_catalog (whose merge report it leaves empty)."""
    return [{"title_id": 1, "title": "Toy Story", "year": 1995, "votes": 900, "director": None,
             "cast": [], "keywords": [], "overview": None, "poster_path": None,
             "sources": ["ggplot2movies"]},
            {"title_id": 2, "title": "Nobody Knows This One", "year": 1990, "votes": 5,
             "director": None, "cast": [], "keywords": [], "overview": None,
             "poster_path": None, "sources": ["ggplot2movies"]}]


def client(fake: FakeTmdb, tmp_path: Path, key: str = KEY) -> TmdbClient:
    return TmdbClient(key, fake.url, tmp_path / "cache", rate_per_s=1000,
                      sleep=lambda _s: None)


def test_titles_get_cast_director_keywords_and_poster_then_come_from_the_cache(
        tmdb: FakeTmdb, tmp_path: Path) -> None:
    records = catalog()
    outcome = enrich_from_tmdb(records, client(tmdb, tmp_path), limit=10)
    assert outcome == {"enriched": 1, "error": None}
    toy = records[0]
    assert toy["cast"] == ["Tom Hanks", "Tim Allen"] and toy["director"] == "John Lasseter"
    assert toy["keywords"] == ["jealousy", "toy"] and toy["poster_path"].endswith(".jpg")
    assert toy["overview"].startswith("Led by Woody") and toy["sources"][-1] == "tmdb"
    assert records[1]["sources"] == ["ggplot2movies"], "not on TMDB: left as it was"
    asked = len(tmdb.requests)
    again = client(tmdb, tmp_path)
    enrich_from_tmdb(catalog(), again, limit=10)
    assert again.requests == 0 and len(tmdb.requests) == asked, "all from the disk cache"


def test_a_rate_limit_is_waited_out(tmdb: FakeTmdb, tmp_path: Path) -> None:
    tmdb.rate_limited = 2
    waits: list[float] = []
    c = TmdbClient(KEY, tmdb.url, None, rate_per_s=1000, sleep=waits.append)
    assert c.find_movie("Toy Story", 1995, str.casefold) == 862
    assert c.requests == 3 and tmdb.rate_limited == 0


def test_tmdb_down_leaves_the_catalog_as_it_was_and_says_why(tmdb: FakeTmdb,
                                                            tmp_path: Path) -> None:
    tmdb.down = True
    records = catalog()
    outcome = enrich_from_tmdb(records, client(tmdb, tmp_path), limit=10)
    assert outcome["enriched"] == 0 and "server error 503" in outcome["error"]
    assert records == catalog()
    status = TmdbStatus(client(tmdb, tmp_path))
    status.check()
    assert status.report()["reachable"] is False and "503" in status.report()["error"]
    tmdb.down = False
    status.check()
    assert status.report()["reachable"] is True


def test_a_wrong_key_is_refused_at_once(tmdb: FakeTmdb, tmp_path: Path) -> None:
    with pytest.raises(TmdbUnavailable, match="refused the key: Invalid API key"):
        client(tmdb, tmp_path, key="wrong").find_movie("Toy Story", 1995, str.casefold)
    assert len(tmdb.requests) == 1


def test_without_a_key_nothing_calls_out(tmdb: FakeTmdb, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from omega.settings import get_settings
    from producers import catalog as loader

    monkeypatch.setenv("OMEGA_TMDB_BASE_URL", tmdb.url)
    monkeypatch.delenv("OMEGA_TMDB_API_KEY", raising=False)
    monkeypatch.setattr(loader, "load_catalog", catalog)
    get_settings.cache_clear()
    try:
        loader.main(["--dry-run"])
    finally:
        get_settings.cache_clear()
    assert tmdb.requests == []
    assert TmdbStatus(None).report() == {"configured": False}
