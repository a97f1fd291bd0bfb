"""Catalog title helpers shared by producers, streams and the API (public data only)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_ARTICLE = re.compile(r"^(?P<rest>.*), (?P<article>the|a|an)$")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize_title(title: str) -> str:
    """Match key: 'Matrix, The' and 'The Matrix!' both become 'the matrix'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    text = text.strip()
    moved = _ARTICLE.match(text)
    if moved:
        text = f"{moved['article']} {moved['rest']}"
    return _NON_WORD.sub(" ", text).strip()


def title_text(record: dict[str, Any]) -> str:
    """What gets embedded: 'Heat (1995) Action|Crime|Drama', the reference's format."""
    year = f" ({record['year']})" if record.get("year") else ""
    genres = f" {'|'.join(record['genres'])}" if record.get("genres") else ""
    return f"{record['title']}{year}{genres}"


def title_payload(record: dict[str, Any]) -> dict[str, Any]:
    keep = ("title", "year", "genres", "rating", "votes", "runtime_min", "mpaa")
    return {k: record[k] for k in keep if record.get(k) is not None}
