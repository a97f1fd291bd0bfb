"""Two recovery gaps closed (streams/transport.py, streams/recovery.py), on known answers."""

from __future__ import annotations

from pathlib import Path

from faust.types import TP

from streams.recovery import mark_clean_stop, prepare_table_dir
from streams.transport import needs_rewind


def test_partitions_without_a_committed_offset_of_source_topics_are_rewound() -> None:
    committed = {TP("web", 0): None, TP("web", 1): 0, TP("web", 2): 17,
                 TP("app-device-contributions-changelog", 0): None}
    assert needs_rewind(committed, {"web"}) == [TP("web", 0), TP("web", 1)]
    assert needs_rewind(committed, {"tv"}) == []


def test_tables_are_wiped_after_an_unclean_stop_only(tmp_path: Path) -> None:
    tables, markers = tmp_path / "v1" / "tables", tmp_path
    (tables / "device-contributions-0.db").mkdir(parents=True)
    (tables / "device-contributions-0.db" / "000001.sst").write_bytes(b"dirty")

    mark_clean_stop(markers)
    assert prepare_table_dir(tables, markers) is False  # clean stop: local state kept
    assert (tables / "device-contributions-0.db" / "000001.sst").exists()

    assert prepare_table_dir(tables, markers) is True  # this run never marked: crash
    assert not tables.exists()


def test_a_first_start_or_empty_tables_wipe_nothing(tmp_path: Path) -> None:
    assert prepare_table_dir(tmp_path / "absent", tmp_path) is False
    (tmp_path / "empty").mkdir()
    assert prepare_table_dir(tmp_path / "empty", tmp_path) is False
    assert (tmp_path / "empty").exists()
