"""`omega-fleet`: a simulated TV fleet, one delta per watching device per sync period, to
Kafka, and for its first --api-devices devices through the API's /v1/sync (`--api`).

Two models, both deterministic for a seed, with the truth written out (`--truth`):
- `movielens` (the default, and what `make run` sends): each device bootstraps a real
  MovieLens viewer's history (omega/data/viewing.py), over the catalog read from the
  catalog topic, so trends and "watched together" look like real viewing;
- `planted` (`omega/data/fleet.py`'s `simulate_fleet`): Zipf popularity over title ids and taste
  communities, a structure known exactly, for scoring DP utility against truth
  (bench.privacy_utility) and for backtests.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from omega.data.fleet import FleetPlan, Record, fleet_deltas, planted_truth, simulate_fleet
from omega.data.viewing import ACTIVITY, ViewingPlan

if TYPE_CHECKING:  # imported when used: `omega-fleet --help` stays quick
    from omega.kafka.avro import AvroCodec
    from omega.settings import Settings


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
    parser.add_argument("--activity", type=activity, default=ACTIVITY,
                        help="movielens: Beta(a,b) of each device's chance to watch in a "
                             "period, as 'a,b', or 'always' (default %(default)s: 44 %% of "
                             "periods on average)")
    parser.add_argument("--api", default=None, metavar="URL",
                        help="send the deltas of the first --api-devices devices to "
                             "URL/v1/sync with their device tokens, as TVs do")
    parser.add_argument("--api-devices", type=int, default=2000,
                        help="devices that sync through --api (default 2000)")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.periods < 0 or args.api_devices < 0:
        parser.error("--devices must be at least 1, --periods and --api-devices at least 0")
    return args


def activity(text: str) -> tuple[float, float] | None:
    """--activity: 'a,b' (Beta parameters, both > 0) or 'always'."""
    if text == "always":
        return None
    try:
        a, b = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 'a,b' or 'always'") from None
    if a <= 0 or b <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: both Beta parameters must be > 0")
    return a, b


def period_source(args: argparse.Namespace, settings: Settings, codec: AvroCodec
                  ) -> Callable[[int], tuple[int, Iterator[Record]]]:
    """period → (devices watching, their deltas), from MovieLens histories (after reading
    the catalog topic) or from the planted model; period 0 also writes the truth file."""
    import numpy as np

    from omega.data.viewing import load_histories, simulate_viewing, viewing_truth
    from omega.kafka.topics import CATALOG_TITLES
    from omega.titles import read_catalog

    if args.model == "movielens":
        catalog = read_catalog(settings, codec)
        if not catalog:
            sys.exit(f"omega-fleet: the catalog topic {settings.topic(CATALOG_TITLES)} is "
                     "empty; publish the catalog first (omega-catalog)")
        hist = load_histories(catalog)
        plan = ViewingPlan(devices=args.devices, popularity_bias=args.popularity_bias,
                           activity=args.activity)
        cumulative = hist.cumulative(plan.popularity_bias)
        print(f"fleet: {args.devices:,} devices bootstrapping {len(hist.users)} MovieLens "
              f"viewers over {len(catalog):,} catalog titles", file=sys.stderr)

        def period_records(period: int) -> tuple[int, Iterator[Record]]:
            viewing = simulate_viewing(hist, plan, args.seed, period, cumulative)
            if period == 0 and args.truth:
                args.truth.write_text(json.dumps(viewing_truth(hist, viewing, args.seed)))
                print(f"truth written to {args.truth}", file=sys.stderr)
            watching = int(np.count_nonzero(np.diff(viewing.offsets)))
            return watching, fleet_deltas(viewing, args.seed, period, 0, "omega-fleet/movielens")
    else:
        planted = FleetPlan(devices=args.devices,
                            titles=args.titles or settings.title_universe_size,
                            communities=args.communities)

        def period_records(period: int) -> tuple[int, Iterator[Record]]:
            fleet = simulate_fleet(planted, args.seed, period)
            if period == 0 and args.truth:
                args.truth.write_text(json.dumps(planted_truth(fleet, args.seed), indent=1))
                print(f"planted truth written to {args.truth}", file=sys.stderr)
            return args.devices, fleet_deltas(fleet, args.seed, period, 0)
    return period_records


def main(argv: list[str] | None = None) -> None:
    import itertools
    import time

    from omega.device_tokens import KeyRing
    from omega.kafka.clients import make_producer, settings_or_exit
    from omega.kafka.codecs import codec_for
    from omega.kafka.topics import TV_DELTAS
    from producers.send import send_all
    from producers.tv_sync import ApiSync

    args = parse_args(argv)
    settings = settings_or_exit("omega-fleet")
    codec = codec_for(settings)
    gap = args.period_gap if args.period_gap is not None else settings.window_seconds
    periods = itertools.count() if args.periods == 0 else range(args.periods)

    period_records = period_source(args, settings, codec)
    tvs = (ApiSync(args.api.rstrip("/"), KeyRing.from_settings(settings))
           if args.api and args.api_devices else None)
    api_ids = {f"fleet-{args.seed}-{i}" for i in range(args.api_devices)} if tvs else set()
    started = time.time()

    def messages() -> Iterator[tuple[bytes, bytes, float | None]]:
        for period in periods:
            watching, records = period_records(period)
            # each period's deltas spread over its gap, unless --rate says otherwise
            rate = args.rate if args.rate is not None else watching / gap
            for i, record in enumerate(records):
                at = period * gap + (i / rate if rate > 0 else 0)
                if tvs is not None and record["device_id"] in api_ids:
                    tvs.submit(record)  # due about now: the loop is paced by Kafka's sends
                    continue
                # stamped when it is due, so a period waiting for its gap lands in its window
                record["sent_at_ms"] = int(max(time.time(), started + at) * 1000)
                yield (record["device_id"].encode(), codec.encode("omega.TvDelta", record),
                       at if rate > 0 or period else None)
            print(f"period {period}: {watching:,} of {args.devices:,} devices watched"
                  + (f"; {tvs.line()}" if tvs else ""), file=sys.stderr)

    try:
        report = send_all(make_producer(settings), settings.topic(TV_DELTAS), messages(),
                          total=None, unit="delta")
    finally:
        if tvs is not None:
            tvs.close()
    print(report.line("deltas") + f" to {settings.topic(TV_DELTAS)}", file=sys.stderr)
    if tvs is not None:
        print(tvs.line(), file=sys.stderr)
    if not report.ok or (tvs is not None and set(tvs.outcomes) - {"accepted"}):
        sys.exit(1)

if __name__ == "__main__":
    main()
