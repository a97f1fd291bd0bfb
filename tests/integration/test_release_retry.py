"""A release killed between build and commit, then retried, repeats its noise bit for bit.

Aborted records stay in the log, and a read_uncommitted reader (the Java client's
default) sees them. With keyed noise it sees the same records twice: no second draw of
the same counts, so no second ε. Unkeyed, it would see two independent draws (shown too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable

import pytest

from omega.kafka.avro import AvroCodec
from omega.kafka.clients import read_to_end
from omega.kafka.topics import COVIEW_EDGES, TRENDS
from omega.partials import PairCounts, WindowTotals
from omega.settings import Settings
from streams.pipeline import WindowPipeline
from streams.sink import WINDOW_STREAM, ReleaseSink, on_window_grid, read_released_through
from tests.conftest import REPO_ROOT, wait_for

pytestmark = pytest.mark.integration

WINDOW = 4 * 3_600_000 * 100_000


def totals() -> WindowTotals:
    """One window's merged true counts: every title seen, and pairs far above τ."""
    return WindowTotals(titles=Counter({t: 40 * t for t in range(1, 301)}),
                        pairs=PairCounts.from_mapping({(1 << 32) | 2: 9000, (3 << 32) | 4: 20}))


KILLED_BEFORE_COMMIT = """
import os
from omega.kafka.codecs import codec_for
from omega.settings import Settings
from streams.pipeline import WindowPipeline
from streams.sink import ReleaseSink
from tests.integration.test_release_retry import WINDOW, totals

settings = Settings()
codec = codec_for(settings)
sink = ReleaseSink(settings, codec)
real = sink.producer

class DiesBeforeCommit:
    def __getattr__(self, name):
        return getattr(real, name)

    def commit_transaction(self, *_args):  # the records are on the broker; then it dies
        real.flush(30)
        os._exit(9)

sink._producer = DiesBeforeCommit()
pipeline = WindowPipeline(settings, codec)
sink.publish_once(WINDOW, lambda: pipeline.release(WINDOW, totals()))
"""


def released_values(settings: Settings, isolation: str) -> Counter[bytes]:
    topics = [settings.topic(TRENDS), settings.topic(COVIEW_EDGES)]
    return Counter(m.value() for m in read_to_end(settings, topics,
                                                   **{"isolation.level": isolation}))


@pytest.mark.parametrize("keyed", [True, False], ids=["keyed", "unkeyed"])
def test_a_release_killed_before_its_commit_is_rebuilt_byte_identical(
    kafka_settings: Callable[..., Settings], codec: AvroCodec, keyed: bool,
) -> None:
    settings = kafka_settings(title_universe_size=300, release_keyed=keyed, min_devices=100)
    killed = subprocess.run([sys.executable, "-c", KILLED_BEFORE_COMMIT], cwd=REPO_ROOT,
                            env=settings.subprocess_env(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert killed.returncode == 9, killed.stderr[-2000:]
    first_attempt = released_values(settings, "read_uncommitted")
    assert len(first_attempt) >= 300 and released_values(settings, "read_committed") == {}

    # The restarted releaser: its producer fences the dead one's transaction (aborted),
    # finds the window unreleased, rebuilds it and commits.
    pipeline = WindowPipeline(settings, codec)
    assert ReleaseSink(settings, codec).publish_once(
        WINDOW, lambda: pipeline.release(WINDOW, totals())) == WINDOW

    committed = released_values(settings, "read_committed")
    everything = released_values(settings, "read_uncommitted")
    assert sum(committed.values()) == sum(first_attempt.values())
    if keyed:
        assert committed == first_attempt  # the same bytes: one draw, seen twice
        assert everything == first_attempt + committed
        key_file = settings.data_dir / "streams" / "release-key"
        assert os.stat(key_file).st_mode & 0o777 == 0o600  # the key both attempts shared
    else:  # what the keyed noise prevents: a second, independent draw of the same counts
        assert committed != first_attempt
        assert len(everything) > len(committed)


def test_a_release_log_written_with_another_window_size_is_read_on_the_current_grid(
    kafka_settings: Callable[..., Settings], codec: AvroCodec,
) -> None:
    """`make run` after a 30 s run on the same data: releases must follow the 60 s grid
    the deltas are counted on, or each would find no counts and publish noise alone."""
    short = kafka_settings(title_universe_size=300, window_seconds=30, min_devices=100)
    last = 1_796_451_390_000  # a 30 s window that does not start a 60 s one
    assert ReleaseSink(short, codec).publish_once(
        last, lambda: WindowPipeline(short, codec).release(last, totals())) == last
    # The commit's markers reach the log a moment after commit_transaction returns.
    wait_for(lambda: read_released_through(short, codec, WINDOW_STREAM) is not None,
             what="the release mark readable as committed")
    assert read_released_through(short, codec, WINDOW_STREAM) == last

    minute = short.model_copy(update={"window_seconds": 60})
    through = read_released_through(minute, codec, WINDOW_STREAM)
    assert through == last - 30_000 and through % 60_000 == 0
    assert through + 60_000 > last  # the next window starts after what was released
    assert on_window_grid(None, 60_000) is None
    assert on_window_grid(last - 30_000, 60_000) == last - 30_000
