"""Local table state after a crash: restore it from the changelog, not from RocksDB.

Faust writes table values to RocksDB at once. When the worker dies, Kafka aborts the
open transaction (changelog writes and input offsets together) but RocksDB keeps those
values: a restarted worker would re-read the events, find them in its local table and
drop them as duplicates, so the changelog would never get them (counted here, lost on
the next partition move). Kafka Streams wipes local state after an unclean stop under
exactly-once, and so does `prepare_table_dir`: a worker that stops cleanly leaves a
marker, and without it the tables are restored from their changelogs alone.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

CLEAN_STOP_MARKER = "stopped-cleanly"


def prepare_table_dir(table_dir: Path, marker_dir: Path) -> bool:
    """Wipe `table_dir` unless the last run left its clean-stop marker; True if wiped.

    The marker is removed, so a run that dies before `mark_clean_stop` wipes next time.
    """
    marker = marker_dir / CLEAN_STOP_MARKER
    had_marker = marker.exists()
    marker.unlink(missing_ok=True)
    if had_marker or not table_dir.exists() or not any(table_dir.iterdir()):
        return False
    log.warning("the last worker run did not stop cleanly: local tables in %s wiped, "
                "restoring them from their changelogs (committed writes only)", table_dir)
    shutil.rmtree(table_dir)
    return True


def mark_clean_stop(marker_dir: Path) -> None:
    marker_dir.mkdir(parents=True, exist_ok=True)
    (marker_dir / CLEAN_STOP_MARKER).touch()
