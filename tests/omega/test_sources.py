"""Pinned sources: fetched once, kept only when the checksum matches."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from omega.data.sources import VEGA_FILE, SourceError, fetch_vega_movies


def tarball(tmp_path: Path, movies: list[dict[str, object]]) -> tuple[str, str]:
    data = json.dumps(movies).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/data/movies.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    path = tmp_path / "vega.tgz"
    path.write_bytes(out.getvalue())
    return path.as_uri(), hashlib.sha256(out.getvalue()).hexdigest()


def test_a_matching_tarball_is_kept_and_a_tampered_one_refused(tmp_path: Path) -> None:
    url, digest = tarball(tmp_path, [{"Title": "Jaws"}])
    kept = fetch_vega_movies(tmp_path / "sources", url, digest)
    assert kept.name == VEGA_FILE and json.loads(kept.read_text()) == [{"Title": "Jaws"}]
    with pytest.raises(SourceError, match="SHA-256 is .* pinned 00"):
        fetch_vega_movies(tmp_path / "other", url, "00" * 32)
    assert not (tmp_path / "other" / VEGA_FILE).exists()


def test_an_unreachable_source_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot fetch .* must be reachable once"):
        fetch_vega_movies(tmp_path, (tmp_path / "missing.tgz").as_uri(), "00")
