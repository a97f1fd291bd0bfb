"""The topic catalog: every topic Omega uses, with its layout and schema."""

from __future__ import annotations

from dataclasses import dataclass

from omega.settings import Settings


@dataclass(frozen=True)
class TopicSpec:
    """One versioned topic: its short name, layout and the Avro record it carries."""

    short_name: str
    schema: str
    cleanup_policy: str = "delete"
    partitions: int = 1
    doc: str = ""
    retention_hours: float | None = None  # None: the broker's default (7 days)
    extra: tuple[tuple[str, str], ...] = ()

    def config(self) -> dict[str, str]:
        config = {"cleanup.policy": self.cleanup_policy, **dict(self.extra)}
        if self.retention_hours is not None:
            config["retention.ms"] = str(int(self.retention_hours * 3_600_000))
        return config


def topic_catalog(settings: Settings) -> dict[str, TopicSpec]:
    """The topics of this deployment, keyed by short name."""
    specs = [
        TopicSpec("tv-deltas.v1", "omega.TvDelta", partitions=settings.delta_partitions,
                  doc="TV deltas, keyed by device id."),
        TopicSpec("web-interactions.v1", "omega.WebInteraction",
                  partitions=settings.delta_partitions, doc="Web interactions, keyed by session."),
        TopicSpec("catalog-titles.v1", "omega.CatalogTitle", cleanup_policy="compact",
                  doc="The public catalog, keyed by title id."),
        TopicSpec("dead-letters.v1", "omega.DeadLetter",
                  retention_hours=settings.dead_letter_retention_hours,
                  doc="Inputs that could not be processed, with the reason; payload, key and "
                      "worded reason sealed (AES-256-GCM)."),
        TopicSpec("trends.v1", "omega.TrendRelease", doc="DP trend releases per window."),
        TopicSpec("search-trends.v1", "omega.SearchTrendRelease",
                  doc="DP trending searches per window (thresholded, session = unit)."),
        TopicSpec("coview-edges.v1", "omega.CoviewEdge", cleanup_policy="compact",
                  doc="Released co-view pairs, keyed by pair."),
        TopicSpec("title-vectors.v1", "omega.TitleVector", cleanup_policy="compact",
                  doc="Search vectors of catalog titles, keyed by title id; API replicas "
                      "materialize their index from it."),
        TopicSpec("window-partials.v3", "omega.ColumnarPartial",
                  retention_hours=settings.partials_retention_hours,
                  doc="Internal to streams/: each partition's true counts of a closed window, "
                      "merged by the one releaser before noise is added."),
        TopicSpec("device-state.v1", "JSON: omega/windows.py DeviceState",
                  cleanup_policy="compact", partitions=settings.delta_partitions,
                  doc="Internal to streams/ (the TV delta loop): each device's open "
                      "window contributions and ledger, keyed by device id, partition = its "
                      "deltas'; titles dropped once released, tombstoned once no ledger cap "
                      "can see the charges.",
                  # Compaction runs on closed segments: roll hourly so replaced values and
                  # tombstones are gone within hours, not the default week.
                  extra=(("segment.ms", "3600000"), ("min.cleanable.dirty.ratio", "0.1"),
                         ("delete.retention.ms", "3600000"))),
        TopicSpec("release-log.v1", "omega.ReleaseMark", cleanup_policy="compact",
                  doc="Internal to streams/: last released window, written in the release's "
                      "transaction so a restarted worker never releases a window twice."),
    ]
    return {spec.short_name: spec for spec in specs}


TV_DELTAS = "tv-deltas.v1"
WEB_INTERACTIONS = "web-interactions.v1"
CATALOG_TITLES = "catalog-titles.v1"
DEAD_LETTERS = "dead-letters.v1"
TRENDS = "trends.v1"
SEARCH_TRENDS = "search-trends.v1"
COVIEW_EDGES = "coview-edges.v1"
RELEASE_LOG = "release-log.v1"
WINDOW_PARTIALS = "window-partials.v3"
TITLE_VECTORS = "title-vectors.v1"
DEVICE_STATE = "device-state.v1"
