"""`omega-deadletters`: count, read and re-drive the dead-letter topic.

    omega-deadletters summary                      counts by reason and source topic
    omega-deadletters show --reason late -n 3      sample letters, decoded where possible
    omega-deadletters redrive --reason unknown_title --dry-run
    omega-deadletters redrive --offset 17 --offset 18

Dead letters hold raw device input, sealed by the worker (AES-256-GCM under
OMEGA_DEAD_LETTER_KEY, else the data folder's key): on the topic, only the reason code,
the source position and a keyed digest of the unit are in clear. This is an operator's
tool inside the privacy boundary: with the key it opens them, and decoded payloads show
device and session ids masked (a short keyed digest, the same for the same id) unless
--reveal is given, and the raw bytes only with --hex.

Re-driving sends a letter's original key and bytes back to its source topic, with a
header naming the letter it came from. Do it after fixing the cause (a setting, a
schema, a bug): a re-driven delta counts once even when re-driven twice, because the
worker drops a (device, seq) it has already counted in the window (reason `duplicate`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from omega.kafka.acls import DEADLETTERS_GROUPS
from omega.kafka.avro import AvroCodec, AvroDecodeError
from omega.kafka.clients import make_producer, read_to_end, settings_or_exit
from omega.kafka.codecs import codec_for
from omega.kafka.topics import DEAD_LETTERS, topic_catalog
from omega.keys import KeyRefused, dead_letter_key, mask, open_letter
from omega.settings import Settings

Record = dict[str, Any]
UNIT_FIELDS = ("device_id", "session_id")


@dataclass(frozen=True)
class Letter:
    partition: int
    offset: int
    record: Record


def read_letters(settings: Settings, codec: AvroCodec, key: bytes) -> Iterator[Letter]:
    """Every committed letter on the dead-letter topic, from the start to its current end,
    opened with `key`."""
    for msg in read_to_end(settings, [settings.topic(DEAD_LETTERS)],
                           group_id=f"{DEADLETTERS_GROUPS}reader"):
        partition, offset = msg.partition(), msg.offset()
        assert partition is not None and offset is not None
        record = codec.decode(msg.value() or b"", "omega.DeadLetter")
        yield Letter(partition, offset, open_letter(key, record))


def schemas_by_topic(settings: Settings) -> dict[str, str]:
    """Topic name → the record it carries, for this deployment's namespace."""
    return {settings.topic(spec.short_name): spec.schema
            for spec in topic_catalog(settings).values()}


def decode_payload(letter: Record, codec: AvroCodec, schemas: dict[str, str], reveal: bool,
                   key: bytes) -> Record | str:
    """The original event as a dict (units masked unless `reveal`), or why it cannot be."""
    schema = schemas.get(letter["source_topic"])
    if schema is None:
        return f"(no schema known for topic {letter['source_topic']})"
    try:
        event: Record = codec.decode(letter["payload"], schema)
    except AvroDecodeError as exc:
        return f"(not decodable as {schema}: {exc})"
    if not reveal:
        for name in UNIT_FIELDS:
            if isinstance(event.get(name), str):
                event[name] = mask(key, event[name])
    return event


def select(letters: Iterator[Letter], reasons: list[str], offsets: list[int],
           source: str | None) -> Iterator[Letter]:
    for letter in letters:
        if reasons and letter.record["reason_code"] not in reasons:
            continue
        if offsets and letter.offset not in offsets:
            continue
        if source and letter.record["source_topic"] != source:
            continue
        yield letter


def summary(letters: Iterator[Letter]) -> str:
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[str, str] = {}
    for letter in letters:
        record = letter.record
        counts[(record["source_topic"], record["reason_code"])] += 1
        first.setdefault(record["reason_code"], record["reason"])
    if not counts:
        return "no dead letters"
    lines = [f"{'count':>8}  {'reason':<18} {'source topic':<40} example reason"]
    for (topic, code), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"{n:>8,}  {code:<18} {topic:<40} {first[code][:80]}")
    lines.append(f"{sum(counts.values()):>8,}  total")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="omega-deadletters", description=__doc__.splitlines()[0].split(": ", 1)[1],
        epilog="examples:\n" + __doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("summary", "counts by reason code and source topic"),
                       ("show", "sample letters: reason, where from, decoded payload"),
                       ("redrive", "send selected letters back to their source topic")):
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--reason", action="append", default=[],
                         help="only letters with this reason code (repeatable)")
        cmd.add_argument("--offset", action="append", type=int, default=[],
                         help="only the letter at this dead-letter offset (repeatable)")
        cmd.add_argument("--source", default=None, help="only letters from this source topic")
        if name == "show":
            cmd.add_argument("-n", "--limit", type=int, default=5, help="letters to show")
            cmd.add_argument("--json", action="store_true", help="one JSON object per letter")
            cmd.add_argument("--hex", action="store_true", help="also the payload bytes in hex")
            cmd.add_argument("--reveal", action="store_true", help="show device/session ids")
        if name == "redrive":
            cmd.add_argument("--dry-run", action="store_true", help="list, do not send")
            cmd.add_argument("--limit", type=int, default=0, help="at most N letters (0 = all)")
    args = parser.parse_args(argv)
    if args.command == "redrive" and not (args.reason or args.offset):
        parser.error("redrive needs --reason or --offset: re-drive what you fixed, not all")
    return args


def show(letters: Iterator[Letter], args: argparse.Namespace, codec: AvroCodec,
         settings: Settings, key: bytes) -> None:
    schemas = schemas_by_topic(settings)
    for i, letter in enumerate(letters):
        if i >= args.limit:
            break
        record = letter.record
        decoded = decode_payload(record, codec, schemas, args.reveal, key)
        if args.json:
            out = {k: v for k, v in record.items()
                   if k not in ("payload", "payload_key", "unit")}
            out.update(offset=letter.offset, partition=letter.partition, decoded=decoded)
            if args.hex:
                out["payload_hex"] = record["payload"].hex()
            sys.stdout.write(json.dumps(out, default=str) + "\n")
            continue
        sys.stdout.write(
            f"#{letter.offset} [{record['reason_code']}] {record['reason']}\n"
            f"  from {record['source_topic']}[{record['source_partition']}]"
            f"@{record['source_offset']}  {record['error_class']}  "
            f"{len(record['payload'])} bytes\n  decoded: {decoded}\n")
        if args.hex:
            sys.stdout.write(f"  hex: {record['payload'][:256].hex()}"
                             f"{'…' if len(record['payload']) > 256 else ''}\n")


def redrive(letters: Iterator[Letter], args: argparse.Namespace, settings: Settings) -> int:
    producer = None if args.dry_run else make_producer(settings)
    dead_topic = settings.topic(DEAD_LETTERS)
    sent = 0
    for letter in letters:
        if args.limit and sent >= args.limit:
            break
        record = letter.record
        sys.stdout.write(f"{'would re-drive' if args.dry_run else 're-drive'} #{letter.offset} "
                         f"[{record['reason_code']}] → {record['source_topic']}\n")
        if producer is not None:
            producer.produce(record["source_topic"], key=record["payload_key"],
                             value=record["payload"],
                             headers=[("omega-redriven-from",
                                       f"{dead_topic}:{letter.partition}:{letter.offset}")])
        sent += 1
    if producer is not None and producer.flush(30):
        sys.exit("omega-deadletters: Kafka did not acknowledge every re-driven letter")
    return sent


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    settings = settings_or_exit("omega-deadletters")
    codec = codec_for(settings)
    try:
        key = dead_letter_key(settings.dead_letter_key, settings.data_dir)
        letters = select(read_letters(settings, codec, key), args.reason, args.offset,
                         args.source)
        if args.command == "summary":
            sys.stdout.write(summary(letters) + "\n")
        elif args.command == "show":
            show(letters, args, codec, settings, key)
        else:
            sent = redrive(letters, args, settings)
    except KeyRefused as exc:
        sys.exit(f"omega-deadletters: {exc}")
    if args.command == "redrive":
        verb = "would re-drive" if args.dry_run else "re-drove"
        sys.stderr.write(f"{verb} {sent} dead letter(s)\n")


if __name__ == "__main__":
    main()
