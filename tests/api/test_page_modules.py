"""The page's ES modules run under Node (no browser needed): the page reports searches in
the form the worker counts them, so its normalisation must agree with the worker's."""

from __future__ import annotations

import json
import shutil
import subprocess

from api.app import STATIC
from streams.web import normalize_query

TRICKY = ["  Sci-Fi  ", "SCI-FI", "ｓｃｉ－ｆｉ", "Straße", "ΣΊΣΥΦΟΣ", "heat\tmovies",
          "heat\u00a0movies", "zero\u200bwidth", "ﬁlms with ﬂair", "Amélie", "Ǆ",
          "new\nline", "Ⅻ monkeys", "¼ of a movie", "İstanbul", "", "   ",
          "movies like Heat (1995)", "emoji 🎬 night", "control\x07bell"]


def test_the_pages_query_normalisation_is_the_workers() -> None:
    node = shutil.which("node")
    assert node, "Node.js is missing: `make system-deps` installs it"
    script = (f"import {{ normalizeQuery }} from {json.dumps(str(STATIC / 'normalize.js'))};\n"
              f"console.log(JSON.stringify({json.dumps(TRICKY)}.map(normalizeQuery)));")
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                         text=True, check=True, timeout=30)
    page = json.loads(out.stdout)
    assert list(zip(TRICKY, page, strict=True)) == [(t, normalize_query(t)) for t in TRICKY]
