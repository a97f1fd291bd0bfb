"""Public catalog sources that are not Python packages: pinned, checksummed, fetched once.

vega-datasets' `data/movies.json` (3,201 films; director, major genre, creative type,
Rotten Tomatoes and IMDb ratings) ships in the npm package `vega-datasets`. The tarball
comes from the npm registry (reachable wherever `npm install` is), is checked against
the SHA-256 pinned here, and only `movies.json` is kept. `make setup` runs this module;
`load_catalog` calls `ensure_vega_movies` too, so a missing file is fetched on first use.

    python -m omega.data.sources            # fetch and verify (no-op when present)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

VEGA_VERSION = "3.2.1"
VEGA_URL = f"https://registry.npmjs.org/vega-datasets/-/vega-datasets-{VEGA_VERSION}.tgz"
VEGA_TARBALL_SHA256 = "6f72fda460a9863fae5fcb32f85bcd49e1761fdea6dc6cf9f4962472881cc5a3"
VEGA_MEMBER = "package/data/movies.json"
VEGA_FILE = f"vega-datasets-{VEGA_VERSION}-movies.json"


class SourceError(RuntimeError):
    """A pinned source could not be fetched or did not match its checksum."""


def default_dir() -> Path:
    from omega.settings import get_settings

    return get_settings().sources_dir


def fetch_vega_movies(target_dir: Path, url: str = VEGA_URL,
                      sha256: str = VEGA_TARBALL_SHA256, timeout_s: float = 120) -> Path:
    """Download the pinned tarball, verify it, keep `movies.json` in `target_dir`."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - pinned
            data = response.read()
    except OSError as exc:
        raise SourceError(f"cannot fetch {url}: {exc}; the npm registry must be reachable "
                          f"once (or copy {VEGA_FILE} into {target_dir})") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SourceError(f"{url}: SHA-256 is {digest}, pinned {sha256}; refusing it")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        member = tar.extractfile(VEGA_MEMBER)
        if member is None:
            raise SourceError(f"{url} has no {VEGA_MEMBER}")
        movies = member.read()
    json.loads(movies)  # it parses, or we fail here rather than in the catalog loader
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / VEGA_FILE
    partial = path.with_suffix(".part")
    partial.write_bytes(movies)
    partial.replace(path)
    return path


def ensure_vega_movies(target_dir: Path | None = None) -> Path:
    """The path of vega's movies.json, fetched first if it is not there yet."""
    target_dir = target_dir or default_dir()
    path = target_dir / VEGA_FILE
    if not path.exists():
        print(f"fetching vega-datasets {VEGA_VERSION} movies.json into {target_dir}",
              file=sys.stderr)
        fetch_vega_movies(target_dir)
    return path


def load_vega_movies(target_dir: Path | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(ensure_vega_movies(target_dir).read_text())
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m omega.data.sources",
        description="Fetch and verify the pinned catalog sources that are not Python packages "
                    f"(vega-datasets {VEGA_VERSION} movies.json from the npm registry).")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to keep them (default OMEGA_SOURCES_DIR)")
    args = parser.parse_args(argv)
    try:
        path = ensure_vega_movies(args.dir)
    except SourceError as exc:
        sys.exit(f"omega.data.sources: {exc}")
    print(f"vega-datasets movies: {path} ({len(json.loads(path.read_text())):,} films)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
