"""`omega-fleet`: a simulated TV fleet, sent to Kafka one delta per device per sync period.

Two models, both deterministic for a seed, with the truth written out (`--truth`):
- `movielens` (the default, and what `make run` sends): each device bootstraps a real
  MovieLens viewer's history (omega/viewing.py), over the catalog read from the
  catalog topic, so trends and "watched together" look like real viewing;
- `planted` (`omega/fleet.py`'s `simulate_fleet`): Zipf popularity over title ids and taste
  communities, a structure known exactly, for scoring DP utility against truth
  (bench.privacy_utility) and for backtests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from omega.fleet import FleetPlan, Record, fleet_deltas, planted_truth, simulate_fleet
from omega.viewing import ViewingPlan


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
    from omega.viewing import load_histories, simulate_viewing, viewing_truth
    from producers.send import send_all

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
