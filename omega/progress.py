"""Progress bars on a terminal only: in a log file a bar is thousands of carriage-return
updates, so where stderr is not a terminal the bar is off and the work logs its own lines."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def progress(iterable: Any = None, **options: Any) -> tqdm:
    """`tqdm(iterable, **options)` on stderr, disabled unless stderr is a terminal."""
    return tqdm(iterable, file=sys.stderr, disable=not sys.stderr.isatty(), **options)
