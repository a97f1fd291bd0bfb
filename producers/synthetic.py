"""`omega-produce`: send synthetic TV deltas to Kafka."""

from __future__ import annotations

import argparse
import sys
import time

from tqdm import tqdm

from omega.avro import codec_for
from omega.kafka import make_producer, produce_waiting, settings_or_exit
from omega.topics import TV_DELTAS
from producers.deltas import FleetShape, synthetic_deltas


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
    producer = make_producer(settings)
    topic = settings.topic(TV_DELTAS)
    failures: list[str] = []

    def on_delivery(err: object, _msg: object) -> None:
        if err is not None:
            failures.append(str(err))

    shape = FleetShape(devices=args.devices, titles=settings.title_universe_size)
    records = synthetic_deltas(args.count or 2**62, args.seed, shape,
                               lambda: time.time() * 1000)
    started = time.monotonic()
    sent = 0
    try:
        for record in tqdm(records, total=args.count or None, unit="delta", desc="deltas"):
            produce_waiting(producer, topic, record["device_id"].encode(),
                            codec.encode("omega.TvDelta", record), on_delivery=on_delivery)
            sent += 1
            if args.rate > 0:
                ahead = sent / args.rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    except KeyboardInterrupt:
        pass
    finally:
        left = producer.flush(30)
    elapsed = time.monotonic() - started
    print(f"sent {sent} deltas in {elapsed:.1f} s ({sent / max(elapsed, 1e-9):,.0f}/s); "
          f"{len(failures)} failed, {left} undelivered", file=sys.stderr)
    if failures or left:
        sys.exit(1)


if __name__ == "__main__":
    main()
