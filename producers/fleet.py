"""A simulated fleet with a planted structure, so DP utility can be scored against truth.

Titles have a Zipf popularity; devices belong to taste communities, each a small set of
titles that its members tend to watch together (the planted co-view structure). The
same seed gives the same fleet. Everything is vectorised: a million devices take seconds.
`omega-fleet` sends it to Kafka and writes the planted truth out.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

Record = dict[str, Any]


@dataclass(frozen=True)
class FleetPlan:
    devices: int = 1_000_000
    titles: int = 10_000
    communities: int = 200
    titles_per_community: int = 12
    mean_titles_per_device: float = 8.0
    community_share: float = 0.6
    zipf_s: float = 1.1


@dataclass
class Fleet:
    """Per-device watched titles (CSR layout) with seconds watched, and the plan behind them."""

    plan: FleetPlan
    offsets: np.ndarray  # device i watched titles[offsets[i]:offsets[i+1]]
    titles: np.ndarray
    seconds: np.ndarray
    community_of: np.ndarray  # community of each device
    community_titles: np.ndarray  # (communities, titles_per_community)
    title_rank: np.ndarray  # title id at each popularity rank

    def device(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[i], self.offsets[i + 1]
        return self.titles[lo:hi], self.seconds[lo:hi]


def zipf_weights(n: int, s: float) -> np.ndarray:
    weights = np.arange(1, n + 1, dtype=np.float64) ** -s
    normalized: np.ndarray = weights / weights.sum()
    return normalized


def simulate_fleet(plan: FleetPlan, seed: int, period: int = 0) -> Fleet:
    """Draw the fleet's views in one sync period: distinct titles per device, a share
    from its community.

    The structure (popularity order, communities, who belongs where) depends on the seed
    only; the views also on the period, so period 1 is the same fleet's next window.
    """
    rng = np.random.default_rng(seed)
    title_rank = rng.permutation(plan.titles) + 1  # title id at each popularity rank
    community_titles = np.stack([
        rng.choice(plan.titles, plan.titles_per_community, replace=False) + 1
        for _ in range(plan.communities)])
    community_of = rng.choice(plan.communities, plan.devices,
                              p=zipf_weights(plan.communities, 0.8))
    if period:
        rng = np.random.default_rng([seed, period])
    n_watched = np.clip(rng.poisson(plan.mean_titles_per_device, plan.devices), 1, 32)
    offsets = np.concatenate([[0], np.cumsum(n_watched)])
    total = int(offsets[-1])
    from_community = rng.random(total) < plan.community_share
    owner = np.repeat(np.arange(plan.devices), n_watched)
    picks = title_rank[rng.choice(plan.titles, total, p=zipf_weights(plan.titles, plan.zipf_s))]
    slot = rng.integers(0, plan.titles_per_community, total)
    picks = np.where(from_community, community_titles[community_of[owner], slot], picks)
    seconds = rng.integers(60, 7200, total)
    return Fleet(plan, offsets, picks.astype(np.int64), seconds, community_of, community_titles,
                 title_rank)


def fleet_deltas(fleet: Fleet, seed: int, period: int, sent_at_ms: int) -> Iterator[Record]:
    """One TvDelta per device for the period (seq = period + 1); a title watched twice in
    the period is one view with the seconds summed."""
    for i in range(fleet.plan.devices):
        ids, secs = fleet.device(i)
        watched: dict[int, int] = {}
        for title, seconds in zip(ids.tolist(), secs.tolist(), strict=True):
            watched[title] = min(watched.get(title, 0) + seconds, 86_400)
        yield {"device_id": f"fleet-{seed}-{i}", "seq": period + 1, "sent_at_ms": sent_at_ms,
               "titles": [{"title_id": t, "seconds_watched": s, "completion": 1.0,
                           "rating": None} for t, s in watched.items()],
               "app_version": "omega-fleet/1"}


def planted_truth(fleet: Fleet, seed: int) -> dict[str, Any]:
    """What was planted, for scoring DP output: popularity order and the communities."""
    sizes = np.bincount(fleet.community_of, minlength=fleet.plan.communities)
    return {
        "seed": seed, "plan": asdict(fleet.plan),
        "titles_by_popularity": fleet.title_rank.tolist(),
        "communities": [{"titles": sorted(titles.tolist()), "devices": int(size)}
                        for titles, size in zip(fleet.community_titles, sizes, strict=True)],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="omega-fleet",
        description="Simulate a TV fleet with a planted structure (Zipf title popularity, "
                    "taste communities that watch together) and send one delta per device "
                    "per sync period. Same --seed, same fleet.",
        epilog="example: omega-fleet --devices 1000000 --rate 0 --truth truth.json\n"
               "         omega-fleet --devices 5000 --periods 2 --period-gap 20 --rate 2000",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, default=100_000, help="fleet size")
    parser.add_argument("--titles", type=int, default=None,
                        help="title ids 1..N (default OMEGA_TITLE_UNIVERSE_SIZE)")
    parser.add_argument("--communities", type=int, default=200, help="taste communities")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--periods", type=int, default=1, help="sync periods to send")
    parser.add_argument("--period-gap", type=float, default=None,
                        help="seconds between periods (default OMEGA_WINDOW_SECONDS)")
    parser.add_argument("--rate", type=float, default=0, help="deltas per second (0 = max)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="write the planted truth (JSON) to this file")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.periods < 1:
        parser.error("--devices and --periods must be at least 1")
    return args


def main(argv: list[str] | None = None) -> None:
    import time

    from omega.avro import codec_for
    from omega.kafka import make_producer, settings_or_exit
    from omega.topics import TV_DELTAS
    from producers.send import send_all

    args = parse_args(argv)
    settings = settings_or_exit("omega-fleet")
    codec = codec_for(settings)
    plan = FleetPlan(devices=args.devices, titles=args.titles or settings.title_universe_size,
                     communities=args.communities)
    gap = args.period_gap if args.period_gap is not None else settings.window_seconds

    started = time.time()

    def messages() -> Iterator[tuple[bytes, bytes, float | None]]:
        for period in range(args.periods):
            fleet = simulate_fleet(plan, args.seed, period)
            if period == 0 and args.truth:
                args.truth.write_text(json.dumps(planted_truth(fleet, args.seed), indent=1))
                print(f"planted truth written to {args.truth}", file=sys.stderr)
            for i, record in enumerate(fleet_deltas(fleet, args.seed, period, 0)):
                at = period * gap + (i / args.rate if args.rate > 0 else 0)
                # stamped when it is due, so a period waiting for its gap lands in its window
                record["sent_at_ms"] = int(max(time.time(), started + at) * 1000)
                yield (record["device_id"].encode(), codec.encode("omega.TvDelta", record),
                       at if args.rate > 0 or period else None)

    report = send_all(make_producer(settings), settings.topic(TV_DELTAS), messages(),
                      total=args.devices * args.periods, unit="delta")
    print(report.line("deltas") + f" to {settings.topic(TV_DELTAS)}", file=sys.stderr)
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
