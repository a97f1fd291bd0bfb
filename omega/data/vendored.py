"""Catalog sources committed with the package (omega/data/vendor/), each read only when its
SHA-256 matches the one pinned here: a file edited or corrupted by hand is refused, not
merged. omega/data/vendor/ATTRIBUTION.md names each source's repository, commit and licence;
`python -m omega.data.vendor_build` regenerates the files from checkouts of them.

- `wikipedia_movies.jsonl.gz`: title, year, lead cast, genres and director of 35,986
  American films (1900–2023), from prust/wikipedia-movie-data (MIT).
- `oscar_nominations.jsonl.gz`: every Academy Award nomination naming a film, winners
  and nominees, ceremonies 1–98 (1929–2026), from DLu/oscar_data (BSD-2-Clause), the
  source of the widely used `the_oscar_award` table.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

from omega.data.sources import SourceError

VENDOR_DIR = Path(__file__).parent / "vendor"
WIKIPEDIA_FILE = "wikipedia_movies.jsonl.gz"
OSCARS_FILE = "oscar_nominations.jsonl.gz"
PINNED_SHA256 = {
    WIKIPEDIA_FILE: "12dc9590d2d4a69d6ed38afb7bf07162b02dc60c1d81393a202a9e908e76fde5",
    OSCARS_FILE: "7ebd997c0a14f4df9cc5b650a7ecc1a2c710617fb70777d63437b67520e43439",
}


def read_verified(path: Path, sha256: str) -> bytes:
    """The file's bytes, once their SHA-256 is the pinned one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read the vendored source {path}: {exc}; reinstall omega "
                          "or restore the file from the repository") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise SourceError(f"{path}: SHA-256 is {digest}, pinned {sha256}; refusing it. "
                          "Restore the file from the repository, or regenerate it with "
                          "`python -m omega.data.vendor_build` and pin the new digest in "
                          "omega/data/vendored.py")
    return data


def load_jsonl_gz(path: Path, sha256: str) -> list[dict[str, Any]]:
    """The rows of a verified gzip JSON Lines file."""
    text = gzip.decompress(read_verified(path, sha256)).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line]


def load_vendored(name: str, directory: Path = VENDOR_DIR) -> list[dict[str, Any]]:
    """The rows of one vendored file, by its name in PINNED_SHA256."""
    return load_jsonl_gz(directory / name, PINNED_SHA256[name])


def load_wikipedia_movies() -> list[dict[str, Any]]:
    """Rows {title, year, cast, genres, director} (omega.data.vendor_build.wikipedia_rows)."""
    return load_vendored(WIKIPEDIA_FILE)


def load_oscar_nominations() -> list[dict[str, Any]]:
    """Rows {ceremony, year_film, category, film, nominees, winner}
    (omega.data.vendor_build.oscar_rows)."""
    return load_vendored(OSCARS_FILE)
