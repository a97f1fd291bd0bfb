"""A neighbour followed end to end: two input streams that differ by one device go through
the worker's real code — validation, bounding, the ledger, two partitions' partials as
Avro on the wire, the releaser's merge and the release — and the difference reaches only
what the DP math assumes it does.

- Everything before the release (dead letters, other devices' state, the partition the
  device is not on) is identical; the merged true counts differ by exactly one in at most
  K titles and at most P pairs, all of them the device's own.
- With the same seed, the released noisy counts differ only at those coordinates, and by
  exactly one: the release function is the only place the device's presence meets noise,
  and its per-coordinate sensitivity is 1 over ≤ K (titles) or ≤ P (pairs) coordinates.
"""

from __future__ import annotations

import random
from typing import Any

from omega.kafka.avro import AvroCodec
from omega.partials import merge_partials
from omega.release import WindowRelease
from omega.settings import Settings
from omega.validation import DeltaRejected
from omega.windows import PAIR_SHIFT, pair_key
from streams.pipeline import WindowPipeline
from tests.conftest import valid_delta

W = 60_000
T0 = 1_700_000_000_000
WINDOW = T0 - T0 % W
K, P, UNIVERSE = 3, 3, 20
NEIGHBOUR = "tv-neighbour"


def settings() -> Settings:
    return Settings(window_seconds=W / 1000, allowed_lateness_seconds=5,
                    title_universe_size=UNIVERSE, max_titles_per_device=K,
                    max_pairs_per_device=P, epsilon=1.0, delta=0.05, min_devices=1,
                    release_seed=11, delta_partitions=2, ledger_budget=10,
                    ledger_week_budget=10, ledger_year_budget=10)


def fleet(codec: AvroCodec) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of a window's deltas: 400 devices, some with more titles
    than K, a quarter syncing twice, one re-sent delta, and bytes that are no delta at all."""
    rng = random.Random(3)
    events = []
    for i in range(400):
        device = f"tv-{i}"
        for seq in (1, 2) if i % 4 == 0 else (1,):
            titles = [(t, rng.randint(60, 3600)) for t in rng.sample(range(1, 9), 4)]
            record = valid_delta(device, seq, WINDOW + 100 * i, titles)
            events.append((i % 2, device.encode(), codec.encode("omega.TvDelta", record)))
    events.append(events[0])  # a re-sent delta: dead-lettered as a duplicate
    events.append((0, b"tv-7", b"not avro at all"))
    return events


def neighbour_deltas(codec: AvroCodec) -> list[tuple[int, bytes, bytes]]:
    """The device: 5 titles in two syncs on partition 1, more than K allows."""
    first = valid_delta(NEIGHBOUR, 1, WINDOW + 5_000, [(1, 3000), (2, 2500)])
    second = valid_delta(NEIGHBOUR, 2, WINDOW + 9_000, [(3, 4000), (4, 2000), (6, 50)])
    return [(1, NEIGHBOUR.encode(), codec.encode("omega.TvDelta", d)) for d in (first, second)]


def run(codec: AvroCodec, events: list[tuple[int, bytes, bytes]]) -> dict[str, Any]:
    """The worker's path for one window: accept each delta (or dead-letter it), publish
    both partitions' partials through Avro, merge them, release."""
    pipeline = WindowPipeline(settings(), codec)
    tables: dict[int, dict[str, Any]] = {0: {}, 1: {}}
    letters = []
    for offset, (partition, key, value) in enumerate(events):
        try:
            accepted = pipeline.accept_delta(key, value, tables[partition].get, WINDOW + W,
                                             partition)
        except DeltaRejected as exc:
            letters.append((exc.code, partition, offset))
            continue
        if accepted.state is not None:
            tables[partition][accepted.unit] = accepted.state
    close = WINDOW + W + 5_000
    due = pipeline.due_partials(close, {"tv": {0, 1}, "web": set()})
    wire = {p: [codec.encode("omega.ColumnarPartial", r)
                for r in pipeline.take_partial(s, p, w, 2)]
            for s, p, w in due if w == WINDOW}
    totals = merge_partials(codec.decode(b, "omega.ColumnarPartial")
                            for p in sorted(wire) for b in wire[p])
    return {"letters": letters, "tables": tables, "wire": wire, "totals": totals,
            "release": pipeline.release(WINDOW, totals)}


def noisy(release: WindowRelease) -> tuple[dict[int, int], dict[int, int]]:
    titles = {r["title_id"]: r["noisy_count"] for r in release.trends}
    edges = {pair_key(r["title_a"], r["title_b"]): r["noisy_count"] for r in release.edges}
    return titles, edges


def test_one_device_changes_only_its_own_k_titles_and_p_pairs_by_one(codec: AvroCodec) -> None:
    base = fleet(codec)
    without = run(codec, base)
    with_ = run(codec, base[:20] + neighbour_deltas(codec) + base[20:])

    # Before the release: nothing but the device's own state and its partition's counts.
    assert with_["letters"] == [(c, p, o + (2 if o >= 20 else 0))
                                for c, p, o in without["letters"]]
    assert {c for c, _, _ in without["letters"]} == {"duplicate", "not_avro"}
    assert with_["tables"][0] == without["tables"][0]
    assert {d: s for d, s in with_["tables"][1].items() if d != NEIGHBOUR} == \
        without["tables"][1]
    assert with_["wire"][0] == without["wire"][0], "the other partition's partials, byte for byte"

    # The merged true counts: +1 in at most K titles and P pairs, all the device's own.
    kept = [int(t) for t in with_["tables"][1][NEIGHBOUR]["w"][0][1]]
    assert kept == [1, 2, 3], "the second sync adds its most-watched title, up to K"
    title_diff = {t: with_["totals"].titles[t] - without["totals"].titles[t]
                  for t in range(1, UNIVERSE + 1)}
    assert {t: d for t, d in title_diff.items() if d} == dict.fromkeys(kept, 1)
    pairs_with, pairs_without = (r["totals"].pairs.as_dict() for r in (with_, without))
    pair_diff = {k: pairs_with.get(k, 0) - pairs_without.get(k, 0)
                 for k in set(pairs_with) | set(pairs_without)}
    changed = {k: d for k, d in pair_diff.items() if d}
    assert set(changed.values()) == {1} and 1 <= len(changed) <= P
    assert all({k >> PAIR_SHIFT, k & ((1 << PAIR_SHIFT) - 1)} <= set(kept) for k in changed)

    # The release, same seed: the noisy values differ exactly there, by exactly one.
    titles_with, edges_with = noisy(with_["release"])
    titles_without, edges_without = noisy(without["release"])
    assert {t: titles_with[t] - titles_without[t] for t in titles_with
            if titles_with[t] != titles_without[t]} == dict.fromkeys(kept, 1)
    assert set(pairs_with) == set(pairs_without), "the device's pairs were already seen"
    assert changed.keys() <= edges_with.keys() & edges_without.keys(), "compared, not skipped"
    assert any(edges_without[k] != pairs_without[k] for k in edges_without), "noise was drawn"
    for k in set(edges_with) | set(edges_without):
        if k in edges_with and k in edges_without:
            assert edges_with[k] - edges_without[k] == (1 if k in changed else 0)
        else:  # selection can differ only where the count did
            assert k in changed
    assert with_["release"].web_trends == without["release"].web_trends
    assert with_["release"].searches == without["release"].searches
