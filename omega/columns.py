"""Sorted integer keys and their counts as a few packed numpy columns.

A window partial carries millions of (pair key, devices) entries at fleet scale. Keys
are sorted and unique, so they are stored as runs: each distinct high half (key >> 32:
the smaller title id of a pair, 0 for a title) once with its run length, and the low
halves as gaps from the previous low in the run (the first low of a run as it is).

Gaps and counts are each a column of one width, patched: the width (1, 2, 4 or 8 bytes)
that makes the column smallest, and the few values too big for it listed apart with
their positions (a "patched frame of reference", as columnar databases store integers).
A pair then takes about 2 bytes instead of 12, and packing and unpacking are a handful
of numpy calls, never a Python object per entry.

`pack` gives the fields of the Avro record `omega.PackedCounts`
(schemas/columnar_partial.v1.avsc); `unpack` checks what it reads (lengths, widths,
patch positions, ascending keys, counts above 0) and raises ValueError, naming what is
wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

IntArray = np.ndarray[Any, np.dtype[np.int64]]
LOW_BITS = 32
LOW_MASK = (1 << LOW_BITS) - 1
WIDTHS: dict[int, np.dtype[Any]] = {w: np.dtype(f"<u{w}") for w in (1, 2, 4, 8)}
RUN_DTYPE = np.dtype("<u4")
PATCH_AT = np.dtype("<u4")
PATCH_VALUE = np.dtype("<u8")
PATCH_BYTES = PATCH_AT.itemsize + PATCH_VALUE.itemsize


def _column(values: IntArray) -> dict[str, Any]:
    """`values` (≥ 0) in the width that packs them smallest, the rest as patches."""
    costs = {width: len(values) * width + PATCH_BYTES * (
        int(np.count_nonzero(values >> (8 * width))) if width < 8 else 0) for width in WIDTHS}
    width = min(costs, key=lambda w: costs[w])  # the narrowest of equals: dicts keep order
    at = np.flatnonzero(values >> (8 * width)) if width < 8 else np.zeros(0, np.int64)
    base = values.copy()
    base[at] = 0
    return {"width": width, "values": base.astype(WIDTHS[width]).tobytes(),
            "patch_at": at.astype(PATCH_AT).tobytes(),
            "patch_values": values[at].astype(PATCH_VALUE).tobytes()}


def pack(keys: IntArray, counts: IntArray) -> dict[str, Any]:
    """`keys` ascending, unique and ≥ 0, `counts` aligned with them and > 0; ValueError
    otherwise (a bug in the caller, found here rather than at the reader)."""
    _check(keys, counts)
    highs = keys >> LOW_BITS
    lows = keys & LOW_MASK
    starts = np.flatnonzero(np.r_[True, highs[1:] != highs[:-1]]) if len(keys) else keys
    gaps = np.diff(lows, prepend=0)
    gaps[starts] = lows[starts]  # each run starts afresh
    runs = np.diff(np.r_[starts, len(keys)])
    return {"size": len(keys), "highs": highs[starts].astype(RUN_DTYPE).tobytes(),
            "runs": runs.astype(RUN_DTYPE).tobytes(), "gaps": _column(gaps),
            "counts": _column(counts)}


def _check(keys: IntArray, counts: IntArray) -> None:
    if len(keys) != len(counts):
        raise ValueError(f"{len(keys)} keys and {len(counts)} counts: they must align")
    if len(keys) and (int(keys[0]) < 0 or bool(np.any(np.diff(keys) <= 0))):
        raise ValueError("keys are not strictly ascending from 0 or more")
    if len(counts) and int(counts.min()) < 1:
        raise ValueError("a count below 1")


def pack_mapping(counts: Mapping[int, int]) -> dict[str, Any]:
    keys = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    order = np.argsort(keys)
    return pack(keys[order], values[order])


def packed_bytes(packed: Mapping[str, Any]) -> int:
    """What `packed` takes on the wire, give or take a few bytes of Avro framing."""
    return sum(packed_bytes(v) if isinstance(v, Mapping) else len(v)
               for v in packed.values() if isinstance(v, bytes | Mapping))


def _read(column: Mapping[str, Any], size: int, what: str) -> IntArray:
    width, data = column["width"], column["values"]
    if width not in WIDTHS:
        raise ValueError(f"{what}: width {width} is not 1, 2, 4 or 8 bytes")
    if len(data) != size * width:
        raise ValueError(f"{what}: {len(data)} bytes for {size} values of {width} bytes")
    values = np.frombuffer(data, dtype=WIDTHS[width]).astype(np.int64)
    at, patches = column["patch_at"], column["patch_values"]
    if (len(at) % PATCH_AT.itemsize or len(patches) % PATCH_VALUE.itemsize
            or len(at) // PATCH_AT.itemsize != len(patches) // PATCH_VALUE.itemsize):
        raise ValueError(f"{what}: {len(at)} bytes of patch positions and {len(patches)} "
                         "of patch values: they must align, 4 and 8 bytes a patch")
    if at:
        positions = np.frombuffer(at, dtype=PATCH_AT).astype(np.int64)
        if int(positions.max()) >= size:
            raise ValueError(f"{what}: a patch at {int(positions.max())} of {size} values")
        values[positions] = np.frombuffer(patches, dtype=PATCH_VALUE).astype(np.int64)
    return values


def unpack(packed: Mapping[str, Any]) -> tuple[IntArray, IntArray]:
    """The keys and counts `pack` was given."""
    size = packed["size"]
    if len(packed["runs"]) % RUN_DTYPE.itemsize or len(packed["highs"]) != len(packed["runs"]):
        raise ValueError(f"{len(packed['highs'])} bytes of run keys and {len(packed['runs'])} "
                         "of run lengths: they must align, 4 bytes a run")
    highs = np.frombuffer(packed["highs"], dtype=RUN_DTYPE).astype(np.int64)
    runs = np.frombuffer(packed["runs"], dtype=RUN_DTYPE).astype(np.int64)
    gaps = _read(packed["gaps"], size, "gaps")
    counts = _read(packed["counts"], size, "counts")
    if int(runs.sum()) != size or (len(runs) and int(runs.min()) < 1):
        raise ValueError(f"run lengths {runs[:5].tolist()}… do not cover {size} keys")
    starts = np.cumsum(runs) - runs
    running = np.cumsum(gaps)
    lows = running - np.repeat(running[starts] - gaps[starts], runs)
    keys = (np.repeat(highs, runs) << LOW_BITS) | lows
    if size and (int(lows.max()) > LOW_MASK or int(lows.min()) < 0):
        raise ValueError("keys are not strictly ascending from 0 or more")
    _check(keys, counts)
    return keys, counts
