"""The counter and the releaser: windows, input limits, state, partials, dead letters."""

from __future__ import annotations

from pydantic import Field

from omega.settings.base import Group


class StreamsSettings(Group):
    """Windows, what an input may be, and how the worker keeps its state."""

    streams_app_id: str = Field(default="omega-streams", description="The worker group's "
                                "name: consumer groups, transactional ids, changelogs.")
    streams_session_timeout_s: float = Field(
        default=10, gt=0, description="A worker silent this long loses its partitions."
    )
    streams_heartbeat_s: float = Field(default=3, gt=0, description="Worker heartbeats.")
    streams_commit_stall_s: float = Field(
        default=300, gt=0, description="A web or partials partition with unread events and "
        "no commit for this long is logged as an ERROR (Faust's commit monitor).")
    processing_guarantee: str = Field(
        default="exactly_once", pattern="^(exactly_once|at_least_once)$",
        description="exactly_once: table changelog writes and offsets commit together.")
    window_seconds: float = Field(default=4 * 3600, gt=0, description="Tumbling window length.")
    allowed_lateness_seconds: float = Field(
        default=600, ge=0, description="How long after its end a window still takes events.")
    release_check_interval_s: float = Field(
        default=1.0, gt=0, description="How often the worker looks for closed windows.")
    max_delta_bytes: int = Field(default=1024, gt=0, description="Largest TV delta taken.")
    max_titles_per_delta: int = Field(default=32, gt=0, description="Most titles in a delta.")
    max_future_skew_s: float = Field(
        default=300, ge=0, description="How far ahead of the clock an event may be stamped.")
    min_valid_time_ms: int = Field(default=788_918_400_000, description="1995-01-01 UTC.")
    title_universe_size: int = Field(
        default=10_000, gt=0,
        description="Public title ids 1..N when the catalog topic is empty; once a catalog is "
                    "published the worker takes N, its highest live id, from it (retired "
                    "ids leave gaps).")
    max_catchup_windows: int = Field(
        default=100, gt=0, description="Windows released after an outage at most; the rest "
                                       "are counted in a metric.")
    dead_letter_key: str | None = Field(
        default=None, repr=False,
        description="AES-256-GCM key (and keyed-hash salt) for dead-letter payloads: 64 hex "
                    "digits. Unset: a random key kept in the data folder (mode 0600); the "
                    "inspector (omega-deadletters) needs the same key to decrypt.")
    dead_letter_retention_hours: float = Field(
        default=168, gt=0, description="How long dead letters are kept (7 days).")
    partials_retention_hours: float = Field(
        default=6, gt=0, description="How long window partials (exact counts, internal) "
                                     "are kept: long enough for the releaser to restart.")
