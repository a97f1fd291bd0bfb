"""Packed count columns: exact round trips, compact, and nothing corrupt taken."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from omega.columns import pack, pack_mapping, packed_bytes, unpack


def round_trip(keys: list[int], counts: list[int]) -> tuple[list[int], list[int]]:
    got_keys, got_counts = unpack(pack(np.array(keys, np.int64), np.array(counts, np.int64)))
    return got_keys.tolist(), got_counts.tolist()


def test_keys_and_counts_come_back_exactly() -> None:
    keys = [3, 9, (1 << 32) | 2, (1 << 32) | 70_000, (5 << 32) | 1, (1 << 62) | (1 << 31)]
    counts = [1, 255, 256, 65_536, 1 << 40, 7]
    assert round_trip(keys, counts) == (keys, counts)
    assert round_trip([], []) == ([], [])
    assert unpack(pack_mapping({9: 2, 4: 1}))[0].tolist() == [4, 9]


def test_each_column_takes_the_width_that_packs_it_smallest() -> None:
    packed = pack(np.arange(1, 101), np.r_[np.ones(99, np.int64), 70_000])
    assert packed["gaps"]["width"] == 1 and packed["counts"]["width"] == 1
    assert np.frombuffer(packed["counts"]["patch_at"], "<u4").tolist() == [99], \
        "one count of 70,000 among 1s: patched, not 4 bytes for all"
    wide = pack(np.arange(1, 4), np.array([70_000, 70_001, 70_002]))
    assert wide["counts"]["width"] == 4 and wide["counts"]["patch_at"] == b""
    assert len(packed["highs"]) == 4 and packed["size"] == 100  # one run


def test_co_view_pairs_take_about_two_bytes_each() -> None:
    rng = np.random.default_rng(1)  # 20,000 devices, 10 of 3,000 titles each, by popularity
    weights = np.log(1 / np.arange(1, 3001))
    i, j = np.triu_indices(10, 1)
    pairs = []
    for _ in range(20):  # Gumbel top-k: 10 distinct titles a device
        picks = np.sort(np.argsort(-(weights + rng.gumbel(size=(1000, 3000))))[:, :10] + 1)
        pairs.append((picks[:, i].astype(np.int64) << 32) | picks[:, j])
    keys, counts = np.unique(np.concatenate(pairs), return_counts=True)
    packed = pack(keys, counts)
    assert packed_bytes(packed) / len(keys) < 2.5, \
        f"{packed_bytes(packed) / len(keys):.2f} bytes a pair (12 unpacked)"
    assert np.array_equal(unpack(packed)[0], keys) and np.array_equal(unpack(packed)[1], counts)


def column(values: bytes, width: int = 1, at: bytes = b"", patches: bytes = b"") -> dict[str, Any]:
    return {"width": width, "values": values, "patch_at": at, "patch_values": patches}


@pytest.mark.parametrize(("change", "message"), [
    ({"counts": column(b"\x01")}, "counts: 1 bytes for 2 values"),
    ({"gaps": column(b"\x05\x02", width=3)}, "width 3 is not 1, 2, 4 or 8"),
    ({"counts": column(b"\x01\x01", at=b"\x01\x00\x00\x00")}, "they must align"),
    ({"counts": column(b"\x01\x01", at=b"\x07\x00\x00\x00", patches=bytes(8))},
     "a patch at 7 of 2 values"),
    ({"runs": b"\x01\x00\x00\x00"}, "run lengths .* do not cover 2 keys"),
    ({"runs": b"\x02\x00\x00"}, "they must align"),
    ({"gaps": column(b"\x05\x00")}, "not strictly ascending"),
    ({"counts": column(b"\x00\x01")}, "a count below 1"),
])
def test_corrupt_columns_are_refused_with_what_is_wrong(change: dict[str, Any],
                                                        message: str) -> None:
    packed = pack(np.array([5, 7]), np.array([1, 1])) | change
    with pytest.raises(ValueError, match=message):
        unpack(packed)
