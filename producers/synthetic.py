"""`omega-produce`: send synthetic TV deltas to Kafka."""

from __future__ import annotations

import argparse
import sys
import time

from omega.kafka.clients import make_producer, settings_or_exit
from omega.kafka.codecs import codec_for
from omega.kafka.topics import TV_DELTAS
from producers.deltas import FleetShape, synthetic_deltas
from producers.send import send_all


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="omega-produce",
        description="Send synthetic TV deltas (Zipf title popularity) to the TV deltas topic. "
                    "Same --seed, same records.",
        epilog="example: omega-produce --count 100000 --seed 7 --rate 0   "
               "(0 = as fast as possible; --count 0 = until Ctrl-C)")
    parser.add_argument("--count", type=int, default=10_000, help="deltas to send (0 = forever)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--rate", type=float, default=0, help="deltas per second (0 = max)")
    parser.add_argument("--devices", type=int, default=10_000, help="fleet size")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = settings_or_exit("omega-produce")
    codec = codec_for(settings)
    shape = FleetShape(devices=args.devices, titles=settings.title_universe_size)
    records = synthetic_deltas(args.count or 2**62, args.seed, shape,
                               lambda: time.time() * 1000)
    messages = ((r["device_id"].encode(), codec.encode("omega.TvDelta", r), None)
                for r in records)
    report = send_all(make_producer(settings), settings.topic(TV_DELTAS), messages,
                      total=args.count or None, unit="delta", rate=args.rate)
    print(report.line("deltas"), file=sys.stderr)
    if not report.ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
