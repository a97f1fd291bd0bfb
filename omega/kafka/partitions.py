"""The partition count the privacy ledgers depend on: checked before anything starts.

A device's state (its open windows and its privacy ledger) lives in the compacted
`device-state` topic at the partition of its deltas, and a web session's in the
worker's session table, partitioned as its interactions. Producers key a unit onto a
partition by the topic's partition count, so with another count units land where their
ledgers are not, and start with a fresh budget; and the releaser waits for a partial
from each of OMEGA_DELTA_PARTITIONS partitions. So the count is fixed once units are
keyed: `ensure_topics` refuses to go on when the topics already there disagree with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omega.kafka.topics import DEVICE_STATE, TV_DELTAS, WEB_INTERACTIONS
from omega.settings import Settings

PER_UNIT = (TV_DELTAS, WEB_INTERACTIONS, DEVICE_STATE)


class PartitionsChanged(RuntimeError):
    """Topics keyed by device or session have another partition count than the settings
    (or than each other); the message says what to do."""


def session_changelog(settings: Settings) -> str:
    """The worker's session table's changelog (Faust names it after the app and table)."""
    return f"{settings.streams_app_id}-session-contributions-changelog"


def per_unit_topics(settings: Settings) -> list[str]:
    return [settings.topic(name) for name in PER_UNIT] + [session_changelog(settings)]


def check_partitions(settings: Settings, topics: Mapping[str, Any]) -> None:
    """Raise PartitionsChanged unless every per-unit topic in `topics` (the cluster's
    metadata: name → TopicMetadata) has OMEGA_DELTA_PARTITIONS partitions."""
    counts = {name: len(topics[name].partitions) for name in per_unit_topics(settings)
              if name in topics}
    if all(count == settings.delta_partitions for count in counts.values()):
        return
    found = ", ".join(f"{name} has {count}" for name, count in counts.items())
    why = ("Each device's privacy ledger lives in device-state at the partition of its "
           "deltas (a session's, of its interactions), so another count would move units "
           "away from their ledgers: they would spend a fresh budget.")
    if len(set(counts.values())) == 1:
        (existing,) = set(counts.values())
        raise PartitionsChanged(
            f"OMEGA_DELTA_PARTITIONS is {settings.delta_partitions}, but the topics it "
            f"sizes were made with {existing} partitions ({found}). {why} Set "
            f"OMEGA_DELTA_PARTITIONS={existing}: a deployment's partition count is fixed "
            "once devices are keyed onto it (docs/privacy.md, \"Partitions\").")
    raise PartitionsChanged(
        f"the topics keyed by device or session disagree on their partition count "
        f"({found}; OMEGA_DELTA_PARTITIONS is {settings.delta_partitions}): partitions "
        f"were added to some of them. {why} Kafka cannot take partitions away and "
        "nothing here moves a ledger between partitions: a new OMEGA_TOPIC_NAMESPACE "
        "starts every ledger empty, so its devices can spend a fresh budget "
        "(docs/privacy.md, \"Partitions\").")
