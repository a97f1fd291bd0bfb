"""`omega-fleet`: a simulated TV fleet, sent to Kafka one delta per device per sync period.

Two models, both deterministic for a seed, with the truth written out (`--truth`):
- `movielens` (the default, and what `make run` sends): each device bootstraps a real
  MovieLens viewer's history (producers/viewing.py), over the catalog read from the
  catalog topic, so trends and "watched together" look like real viewing;
- `planted` (this module's `simulate_fleet`): Zipf popularity over title ids and taste
  communities, a structure known exactly, for scoring DP utility against truth
  (bench.privacy_utility) and for backtests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from producers.viewing import ViewingPlan

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

    @property
    def devices(self) -> int:
        return len(self.offsets) - 1

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


class DeviceViews(Protocol):
    """One period's views per device: a planted `Fleet` or a MovieLens `Viewing`."""

    @property
    def devices(self) -> int: ...
    def device(self, i: int) -> tuple[np.ndarray, np.ndarray]: ...


def fleet_deltas(fleet: DeviceViews, seed: int, period: int, sent_at_ms: int,
                 app_version: str = "omega-fleet/1") -> Iterator[Record]:
    """One TvDelta per device for the period (seq = period + 1); a title watched twice in
    the period is one view with the seconds summed."""
    for i in range(fleet.devices):
        ids, secs = fleet.device(i)
        watched: dict[int, int] = {}
        for title, seconds in zip(ids.tolist(), secs.tolist(), strict=True):
            watched[title] = min(watched.get(title, 0) + seconds, 86_400)
        yield {"device_id": f"fleet-{seed}-{i}", "seq": period + 1, "sent_at_ms": sent_at_ms,
               "titles": [{"title_id": t, "seconds_watched": s, "completion": 1.0,
                           "rating": None} for t, s in watched.items()],
               "app_version": app_version}


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
        description="Simulate a TV fleet and send one delta per device per sync period, each "
                    "device once per period, spread evenly over it. Model movielens (default): "
                    "devices bootstrap real MovieLens viewers' histories over the catalog "
                    "topic's titles. Model planted: Zipf popularity and taste communities over "
                    "title ids 1..--titles. Same --seed, same fleet.",
        epilog="example: omega-fleet --devices 300000 --periods 0 --period-gap 60\n"
               "         omega-fleet --model planted --devices 1000000 --rate 0 --truth t.json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("movielens", "planted"), default="movielens",
                        help="where viewing comes from (default movielens)")
    parser.add_argument("--devices", type=int, default=100_000, help="fleet size")
    parser.add_argument("--titles", type=int, default=None,
                        help="planted: title ids 1..N (default OMEGA_TITLE_UNIVERSE_SIZE)")
    parser.add_argument("--communities", type=int, default=200,
                        help="planted: taste communities")
    parser.add_argument("--popularity-bias", type=float, default=ViewingPlan.popularity_bias,
                        help="movielens: weight of a film's popularity in a viewer's draws "
                             f"(default {ViewingPlan.popularity_bias})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--periods", type=int, default=1, help="sync periods (0 = until Ctrl-C)")
    parser.add_argument("--period-gap", type=float, default=None,
                        help="seconds between periods (default OMEGA_WINDOW_SECONDS)")
    parser.add_argument("--rate", type=float, default=None,
                        help="deltas per second (default: the fleet spread over a period; "
                             "0 = as fast as Kafka takes them)")
    parser.add_argument("--truth", type=Path, default=None,
                        help="write the truth of the first period (JSON) to this file")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.periods < 0:
        parser.error("--devices must be at least 1 and --periods at least 0")
    return args


def main(argv: list[str] | None = None) -> None:
    import itertools
    import time

    from omega.codecs import codec_for
    from omega.kafka import make_producer, settings_or_exit
    from omega.titles import read_catalog
    from omega.topics import CATALOG_TITLES, TV_DELTAS
    from producers.send import send_all
    from producers.viewing import load_histories, simulate_viewing, viewing_truth

    args = parse_args(argv)
    settings = settings_or_exit("omega-fleet")
    codec = codec_for(settings)
    gap = args.period_gap if args.period_gap is not None else settings.window_seconds
    rate = args.rate if args.rate is not None else args.devices / gap
    periods = itertools.count() if args.periods == 0 else range(args.periods)

    if args.model == "movielens":
        catalog = read_catalog(settings, codec)
        if not catalog:
            sys.exit(f"omega-fleet: the catalog topic {settings.topic(CATALOG_TITLES)} is "
                     "empty; publish the catalog first (omega-catalog)")
        hist = load_histories(catalog)
        plan = ViewingPlan(devices=args.devices, popularity_bias=args.popularity_bias)
        cumulative = hist.cumulative(plan.popularity_bias)
        print(f"fleet: {args.devices:,} devices bootstrapping {len(hist.users)} MovieLens "
              f"viewers over {len(catalog):,} catalog titles", file=sys.stderr)

        def period_records(period: int) -> Iterator[Record]:
            viewing = simulate_viewing(hist, plan, args.seed, period, cumulative)
            if period == 0 and args.truth:
                args.truth.write_text(json.dumps(viewing_truth(hist, viewing, args.seed)))
                print(f"truth written to {args.truth}", file=sys.stderr)
            return fleet_deltas(viewing, args.seed, period, 0, "omega-fleet/movielens")
    else:
        planted = FleetPlan(devices=args.devices,
                            titles=args.titles or settings.title_universe_size,
                            communities=args.communities)

        def period_records(period: int) -> Iterator[Record]:
            fleet = simulate_fleet(planted, args.seed, period)
            if period == 0 and args.truth:
                args.truth.write_text(json.dumps(planted_truth(fleet, args.seed), indent=1))
                print(f"planted truth written to {args.truth}", file=sys.stderr)
            return fleet_deltas(fleet, args.seed, period, 0)

    started = time.time()

    def messages() -> Iterator[tuple[bytes, bytes, float | None]]:
        for period in periods:
            for i, record in enumerate(period_records(period)):
                at = period * gap + (i / rate if rate > 0 else 0)
                # stamped when it is due, so a period waiting for its gap lands in its window
                record["sent_at_ms"] = int(max(time.time(), started + at) * 1000)
                yield (record["device_id"].encode(), codec.encode("omega.TvDelta", record),
                       at if rate > 0 or period else None)

    report = send_all(make_producer(settings), settings.topic(TV_DELTAS), messages(),
                      total=args.devices * args.periods or None, unit="delta")
    print(report.line("deltas") + f" to {settings.topic(TV_DELTAS)}", file=sys.stderr)
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
