"""The page's ES modules run under Node (no browser needed): the page reports searches in
the form the worker counts them, so its normalisation must agree with the worker's; and it
words DP counts for what they are (counts.js)."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

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


def run_counts(calls: str) -> Any:
    """Evaluate `calls` (a JS expression) with counts.js's exports in scope, under Node."""
    node = shutil.which("node")
    assert node, "Node.js is missing: `make system-deps` installs it"
    script = (f"import * as c from {json.dumps(str(STATIC / 'counts.js'))};\n"
              f"console.log(JSON.stringify({calls}));")
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                         text=True, check=True, timeout=30)
    return json.loads(out.stdout)


def discover_answer(items: list[dict[str, Any]], titles: int, genre: str | None = None,
                    windows: int = 16) -> dict[str, Any]:
    """/api/discover's fields the page words (make run's week: 16 one-minute windows)."""
    return {"window": "week", "genre": genre, "items": items,
            "privacy": {"windows": windows, "windowMs": 60_000, "noiseStd": 565.7,
                        "devicesPerWindowNoiseStd": 35.4},
            "aboveNoise": {"titles": titles, "thresholdDeviceWindows": 3653,
                           "thresholdDevicesPerWindow": 228.3, "confidence": 0.999,
                           "titlesCompared": 63209}}


def test_discover_says_tvs_per_window_never_tvs_for_a_sum_over_windows() -> None:
    """The bug: "about 685,902 TVs" for one title in a fleet of 300,000, a 16-window sum."""
    item = {"noisyDeviceWindows": 685_902, "devicesPerWindow": 42_868.9}
    label, note, pair, search = run_counts(
        f"[c.titleCountLabel({json.dumps(item)}), "
        f"c.discoverNote({json.dumps(discover_answer([item], 1))}), "
        "c.pairCountLabel({noisyDevices: 2500}), "
        "c.searchCountLabel({noisySessionWindows: 2800, sessionsPerWindow: 1400})]")
    assert label == "about 42,869 TVs per window, on average"
    assert note.startswith("TVs per 1-minute window, on average over the 16 windows released "
                           "this week; each average has noise of about ±35.")
    assert "Only titles above the noise are shown" in note
    assert pair == "about 2,500 TVs in one window (noisy count)"
    assert search == "about 1,400 sessions per window, on average"


def test_discover_says_when_nothing_stands_above_the_noise() -> None:
    none, genre, fresh, home = run_counts(
        f"[c.discoverNote({json.dumps(discover_answer([], 0))}), "
        f"c.discoverNote({json.dumps(discover_answer([], 5))}, 'Western'), "
        f"c.discoverNote({json.dumps(discover_answer([], 0, windows=0))}), "
        f"c.trendingNote({json.dumps(discover_answer([], 0))})]")
    assert none == ("No title stands above the noise this week: a title needs about 228 TVs "
                    "per window, on average, to be told apart from the privacy noise (99.9 % "
                    "sure for all 63,209 titles together), and none has that many yet.")
    assert genre == ("No Western title is trending this week: none stands above the noise. "
                     "Try another genre.")
    assert fresh == "Nothing released yet: trends appear once enough TVs have reported."
    assert home == "No title stands above the privacy noise this week yet."
