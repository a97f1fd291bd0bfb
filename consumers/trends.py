"""`omega-trends`: print the top titles of each released window, by name: only those whose
noisy count stands above the noise (omega/dp/above_noise.py), or a line saying none does.

Names come from the catalog topic, read once at start (public data); a title published
after that shows as its id."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaError, Message

from omega.dp.above_noise import CONFIDENCE, METHOD, noise_threshold
from omega.kafka.acls import TRENDS_GROUPS
from omega.kafka.avro import AvroCodec, AvroDecodeError
from omega.kafka.clients import make_consumer, read_to_end, settings_or_exit
from omega.kafka.codecs import codec_for
from omega.kafka.topics import TRENDS
from omega.settings import Settings, get_settings
from omega.titles import display_title, read_catalog

Record = dict[str, Any]
UNITS = {"tv": "devices", "web": "sessions"}  # the privacy unit each source counts


def windows(messages: Iterator[Record]) -> Iterator[list[Record]]:
    """Group consecutive releases by window and source (a window is released in one
    transaction; TV and web counts have their own units and noise, so never one table)."""
    batch: list[Record] = []
    for record in messages:
        if batch and (record["window_start_ms"], record["source"]) != (
                batch[0]["window_start_ms"], batch[0]["source"]):
            yield batch
            batch = []
        batch.append(record)
    if batch:
        yield batch


def above_noise(batch: list[Record], confidence: float = CONFIDENCE) -> tuple[int, list[Record]]:
    """The window's threshold and its titles at or above it, highest first: the rest are
    indistinguishable from noise (omega/dp/above_noise.py: Bonferroni over the window's
    released titles)."""
    first = batch[0]
    threshold = noise_threshold(1, first["epsilon"], first["sensitivity"], len(batch),
                                confidence)
    return threshold, sorted((r for r in batch if r["noisy_count"] >= threshold),
                             key=lambda r: (-r["noisy_count"], r["title_id"]))


def format_window(batch: list[Record], top: int, names: dict[int, str] | None = None,
                  confidence: float = CONFIDENCE) -> str:
    first = batch[0]
    start = datetime.fromtimestamp(first["window_start_ms"] / 1000, UTC)
    end = datetime.fromtimestamp(first["window_end_ms"] / 1000, UTC)
    threshold, above = above_noise(batch, confidence)
    unit = UNITS[first["source"]]
    lines = [f"window {start:%Y-%m-%d %H:%M:%S} → {end:%H:%M:%S} UTC  {first['source']}  "
             f"ε={first['epsilon']}  noise scale {first['sensitivity'] / first['epsilon']:.0f}  "
             f"({len(batch):,} titles released, {len(above):,} above the noise)"]
    floor = (f"threshold {threshold:,} {unit} at {percent(confidence)} for all "
             f"{len(batch):,} titles together, Bonferroni")
    if not above:
        lines.append(f"no title stands above the noise in this window ({floor}): a top list "
                     f"here would rank noise")
        return "\n".join(lines)
    lines.append(f"listed: noisy counts at or above the {floor}")
    lines.append(f"{'rank':>5}  {'noisy ' + unit:>14}  {'id':>7}  title")
    names = names or {}
    lines += [f"{i:>5}  {r['noisy_count']:>14,}  {r['title_id']:>7}  "
              f"{names.get(r['title_id'], '(not in the catalog topic)')}"
              for i, r in enumerate(above[:top], 1)]
    return "\n".join(lines)


def percent(confidence: float) -> str:
    return f"{confidence * 100:.10g} %"


def window_json(batch: list[Record], top: int, names: dict[int, str],
                confidence: float = CONFIDENCE) -> dict[str, Any]:
    """One window as `--json` prints it: only titles above the noise, and the threshold."""
    first = batch[0]
    threshold, above = above_noise(batch, confidence)
    return {"window_start_ms": first["window_start_ms"],
            "window_end_ms": first["window_end_ms"], "source": first["source"],
            "epsilon": first["epsilon"], "titles_released": len(batch),
            "threshold": threshold, "confidence": confidence, "method": METHOD,
            "above_noise": len(above),
            "top": [r | {"title": names.get(r["title_id"])} for r in above[:top]]}


def read_trends(codec: AvroCodec, follow: bool) -> Iterator[Record]:
    """Every committed release from the start: to the topic's end, or (`follow`) on and on."""
    settings = get_settings()
    topic = settings.topic(TRENDS)
    group = f"{TRENDS_GROUPS}{uuid.uuid4().hex[:8]}"
    if follow:
        messages: Iterator[Message] = _follow(settings, topic, group)
    else:
        messages = read_to_end(settings, [topic], group_id=group)
    for msg in messages:
        try:
            yield codec.decode(msg.value() or b"", "omega.TrendRelease")
        except AvroDecodeError as exc:
            print(f"omega-trends: skipping {msg.topic()}[{msg.partition()}]@{msg.offset()}: "
                  f"{exc}", file=sys.stderr)


def _follow(settings: Settings, topic: str, group: str) -> Iterator[Message]:
    consumer = make_consumer(settings, group)
    consumer.subscribe([topic])
    try:
        while True:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            error = msg.error()
            if error is not None and error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                continue  # not created yet: a reader may start before the deployment's topics
            if error is not None:
                raise RuntimeError(str(error))
            yield msg
    finally:
        consumer.close()


def confidence_level(text: str) -> float:
    """argparse type: a probability from 0.5 up to, not including, 1."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a confidence: give one from 0.5 "
                                         "up to (not including) 1, such as 0.999")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omega-trends",
        description="Print the top-N titles of each DP trend release that stand above its noise.",
        epilog="example: omega-trends --top 5 --follow   |   omega-trends --json | jq .")
    parser.add_argument("--top", type=int, default=10, help="titles per window (default 10)")
    parser.add_argument("--follow", action="store_true", help="keep reading new windows")
    parser.add_argument("--json", action="store_true", help="one JSON object per window")
    parser.add_argument("--confidence", type=confidence_level, default=CONFIDENCE,
                        help="how sure a listed title is not noise, jointly for all titles "
                             f"of the window (default {CONFIDENCE})")
    parser.add_argument("--source", choices=["tv", "web", "all"], default="tv",
                        help="TV views (devices), web plays and clicks (sessions), or both "
                             "as separate tables (default tv)")
    args = parser.parse_args(argv)
    settings = settings_or_exit("omega-trends")
    codec = codec_for(settings)
    names = {r["title_id"]: display_title(r) for r in read_catalog(settings, codec)}
    try:
        releases = (r for r in read_trends(codec, args.follow)
                    if args.source in ("all", r["source"]))
        for batch in windows(releases):
            if args.json:
                print(json.dumps(window_json(batch, args.top, names, args.confidence)),
                      flush=True)
            else:
                print(format_window(batch, args.top, names, args.confidence) + "\n",
                      flush=True)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
