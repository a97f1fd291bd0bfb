"""Every knob of Omega, read from OMEGA_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
# The built-in sync key's secret: public, so accepted only in dev mode (OMEGA_DEV_MODE).
DEV_SYNC_SECRET = "omega-dev-sync-secret-change-me"
DEV_KEY_REFUSED = ("OMEGA_SYNC_KEYS holds the built-in development key, whose secret is public "
                   "in the source: set OMEGA_SYNC_KEYS=id:secret with a secret of your own "
                   "(docs/security.md), or OMEGA_DEV_MODE=true on a development machine")
DEV_KEY_WARNING = ("dev mode (OMEGA_DEV_MODE=true): /v1/sync accepts device tokens signed with "
                   "the built-in development key, which anyone can read; never let devices "
                   "reach this API")
SYNC_TOKEN_TTL_S = 30 * 86_400  # a device token's default lifetime


class Settings(BaseSettings):
    """Omega settings; build them with `get_settings()`, never at import time."""

    model_config = SettingsConfigDict(env_prefix="OMEGA_", extra="ignore")

    # Kafka
    kafka_bootstrap: str | None = Field(
        default=None, description="External cluster; unset means the local broker."
    )
    kafka_username: str | None = Field(
        default=None, description="This component's Kafka identity (SASL/SCRAM-SHA-512); "
                                  "unset: no authentication.")
    kafka_password: str | None = Field(default=None, repr=False,
                                       description="This component's Kafka password.")
    kafka_ssl_ca: Path | None = Field(
        default=None, description="CA certificate (PEM) that signed the brokers' "
                                  "certificates; set: every client connects with TLS and "
                                  "checks the broker's name (`make certs`, the compose stack).")
    kafka_auth: bool = Field(
        default=True, description="The local broker (`omega kafka start`) authenticates "
                                  "each role with SASL/SCRAM-SHA-512 and enforces ACLs.")
    kafka_home: Path = Field(default=REPO_ROOT / "infra" / "kafka",
                             description="The local broker's pom.xml and config templates.")
    kafka_heap: str = Field(default="512m", description="The local broker's Java heap.")
    kafka_start_timeout_s: float = Field(
        default=60.0, description="How long `omega kafka start` waits for the broker.")
    schema_registry_url: str | None = Field(
        default=None, description="A Confluent-compatible Schema Registry: set, records use "
                                  "Confluent's wire format (`omega registry` runs one here).")
    registry_home: Path = Field(default=REPO_ROOT / "infra" / "registry",
                                description="The local Schema Registry's build (`omega registry`).")
    topic_namespace: str = Field(
        default="omega", description="Prefix of every topic name; tests use a unique one."
    )
    delta_partitions: int = Field(default=4, ge=1, description="Partitions of the input "
                                  "topics: the most workers that share the load. Fixed "
                                  "once devices are keyed onto them (docs/privacy.md).")
    schemas_dir: Path = Field(default=REPO_ROOT / "schemas", description="The Avro contracts.")
    data_dir: Path = Field(default=REPO_ROOT / ".omega-data", description="Broker data, keys, "
                           "worker state, indexes and logs of this host.")
    sources_dir: Path = Field(
        default=REPO_ROOT / ".omega-data" / "sources",
        description="Pinned catalog sources fetched by `make setup` (vega-datasets movies).")

    # TMDB (optional metadata source; nothing calls out without a key)
    tmdb_api_key: str | None = Field(default=None, repr=False,
                                     description="TMDB v3 API key; unset = no TMDB calls.")
    tmdb_base_url: str = Field(default="https://api.themoviedb.org/3",
                               description="TMDB's API (tests point it at a fake).")
    tmdb_image_base_url: str = Field(
        default="https://image.tmdb.org/t/p/w342",
        description="Where TMDB's posters are; the API fetches and caches them, so the page "
                    "loads only from its own origin (and viewers' addresses stay here).")
    tmdb_rate_per_s: float = Field(default=40, gt=0, description="TMDB requests per second.")
    tmdb_titles: int = Field(default=2000, ge=0,
                             description="omega-catalog enriches this many titles, most "
                                         "voted first (two TMDB calls each, cached).")

    # Streams
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

    # Vectors
    qdrant_url: str | None = Field(default=None, description="Qdrant server; unset = Edge.")
    index_quantization: str = Field(
        default="int8", pattern="^(none|int8)$",
        description="int8: scalar-quantised copies for the graph walk, hits rescored with "
                    "the float vectors (recall within 0.01, a third to a half of the "
                    "search time; docs/vectors.md).")
    blend_alpha: float = Field(default=0.3, ge=0, description="Pull of co-view neighbours.")

    # API
    api_host: str = Field(default="127.0.0.1", description="Where omega-api listens.")
    api_port: int = Field(default=8000, ge=0, le=65535, description="omega-api's port.")
    api_workers: int = Field(
        default=1, ge=1, le=64,
        description="API processes on the port (see api_dispatch). Search holds the GIL in "
                    "Qdrant Edge and Python, so one process uses about one core; each process "
                    "keeps its own index replica, views and rate limits.")
    api_dispatch: str = Field(
        default="round-robin", pattern="^(round-robin|reuseport)$",
        description="With api_workers > 1, how connections reach the processes: round-robin "
                    "(the supervisor accepts them and hands each to the next process, as "
                    "Node's cluster module does) or reuseport (each process has its own "
                    "SO_REUSEPORT socket and the kernel picks one by address hash: a few "
                    "long-lived connections, as from a proxy or a load generator, often split "
                    "unevenly, 10/6 for 16 over 2).")
    api_pin_workers: bool = Field(
        default=True,
        description="With api_workers > 1, pin process i to the i-th of the cores omega-api "
                    "may use (round robin), as nginx's worker_cpu_affinity auto. Unpinned, "
                    "two processes' loop and encoder threads wander between both cores: "
                    "search p99 at 16 connections 65-70 ms, pinned 51-53 ms (bench.api).")
    rank_weight_similarity: float = Field(default=0.6, ge=0,
                                          description="Search: weight of vector similarity.")
    rank_weight_popularity: float = Field(default=0.4, ge=0,
                                          description="Search: weight of the popularity prior.")
    rank_weight_trending: float = Field(default=0.1, ge=0,
                                        description="Search: weight of DP trending.")
    rank_genre_bonus: float = Field(default=0.05, ge=0,
                                    description="Search: bonus per genre the query asked for.")
    rank_weight_coview: float = Field(
        default=0.3, ge=0, description="'Like X' and recommendations: weight of released "
                                       "DP co-view edges from X.")
    rank_weight_popularity_like: float = Field(
        default=0.2, ge=0, description="'Like X' and recommendations: weight of popularity "
                                       "(who asks for films like X wants X's kin, not the "
                                       "most popular films).")
    rank_weight_genre_overlap: float = Field(
        default=0.3, ge=0, description="'Like X': weight of the share of X's main genres "
                                       "(without Drama and Comedy when X has others) a "
                                       "film has.")
    rank_weight_series: float = Field(
        default=0.3, ge=0, description="'Like X': weight of being in X's series ('Toy Story "
                                       "2' for 'Toy Story').")
    rank_weight_era: float = Field(
        default=0.1, ge=0, description="'Like X': weight of closeness in years to X (1 the "
                                       "same year, 0 at 20 years apart).")
    rank_weight_people: float = Field(
        default=0.1, ge=0, description="'Like X': weight of X's director, or the share of "
                                       "X's lead cast, in a film.")
    rank_similarity_floor: float = Field(
        default=0.45, ge=0, le=1,
        description="Search: below this similarity of the best result, a query of words "
                    "alone (no genre, person, year or title understood) fits nothing; the "
                    "API says so (metadata.nothingFits) and shows the closest 3.")
    rank_known_votes: int = Field(
        default=5000, ge=0, description="Search also retrieves the nearest titles with at "
                                        "least this many IMDb votes (MovieLens ratings × "
                                        "350), so the prior has well-known films to rank; "
                                        "0 = off.")
    rank_confidence_z: float = Field(
        default=2.0, gt=0, description="DP totals count only above their lower confidence "
                                       "bound, total − z·σ.")
    prior_votes_ref: float = Field(
        default=500_000, gt=1, description="IMDb votes that make the popularity prior 1.")
    prior_min_votes: float = Field(
        default=1_000, ge=0, description="m of the prior's Bayesian-average rating.")
    prior_mean_rating: float = Field(
        default=6.0, ge=0, le=10, description="C of the prior's Bayesian-average rating.")
    prior_rating_share: float = Field(
        default=0.25, ge=0, le=1, description="Share of the rating in the prior (the rest "
                                              "is log-scaled votes).")
    prior_volume_power: float = Field(
        default=2.0, gt=0, description="The prior's votes part is (log votes / log "
                                       "prior_votes_ref) to this power: higher favours the "
                                       "well-known more.")
    sync_keys: str = Field(
        default=f"dev:{DEV_SYNC_SECRET}", repr=False,  # never in a log line
        description="Device token keys, 'id:secret,id:secret' (ids of letters, digits, - "
                    "and _); the first signs, all verify. The built-in development key is "
                    "refused unless OMEGA_DEV_MODE=true. Rotation (docs/security.md): put the "
                    "new key first, let devices fetch new tokens (at most "
                    "OMEGA_SYNC_TOKEN_TTL_S), then drop the old key.")
    sync_token_ttl_s: int = Field(
        default=SYNC_TOKEN_TTL_S, ge=60, le=3650 * 86_400,
        description="A device token's lifetime (30 days): /v1/sync refuses it after that "
                    "(401, saying when it expired), and the device fetches a new one.")
    dev_mode: bool = Field(
        default=False, description="Development only (make run and the tests set it): the "
                                   "API accepts device tokens signed with the built-in "
                                   "development key, and warns that it does.")
    session_secret: str | None = Field(
        default=None, repr=False,
        description="Signs the web page's analytics sessions (POST /api/session). Unset: a "
                    "random secret kept in the data folder (mode 0600), shared by the API "
                    "processes of one host; set it when replicas run on several hosts.")
    session_ttl_s: int = Field(default=1800, ge=60, description="A web session's lifetime.")
    max_pattern_bytes: int = Field(default=5120, gt=0, description="Largest sync answer.")
    max_request_bytes: int = Field(default=16_384, gt=0, description="Largest request body.")
    api_write_timeout_s: float = Field(
        default=5.0, gt=0, description="How long the API waits for Kafka to take a write.")
    cors_origins: str = Field(default="", description="Comma-separated allowed origins.")
    rate_limit_ip_per_s: float = Field(
        default=200, ge=0, description="Requests per second per client address (0 = off).")
    rate_limit_ip_burst: float = Field(default=400, ge=1, description="Burst per address.")
    rate_limit_device_per_min: float = Field(
        default=6, ge=0, description="Syncs per minute per device (0 = off); a TV syncs "
                                     "every 4 h, so 6/min leaves room for retries only.")
    rate_limit_device_burst: float = Field(default=10, ge=1, description="Burst per device.")

    # Differential privacy
    epsilon: float = Field(default=0.1, gt=0, description="ε of each release (docs/privacy.md).")
    delta: float = Field(default=1e-6, gt=0, lt=1,
                         description="δ of each thresholded release (pairs, searches).")
    max_titles_per_device: int = Field(
        default=10, gt=0, description="K: titles per device per window."
    )
    max_pairs_per_device: int = Field(
        default=45, gt=0, description="P: co-view pairs per device per window; 45 = every "
                                      "pair of K = 10 titles, so none is dropped.")
    pair_mechanism: Literal["gaussian", "laplace"] = Field(
        default="gaussian", description="Co-view pair release: Gaussian partition selection "
                                        "(noise for ℓ2 sensitivity √P) or the naive Laplace "
                                        "threshold (scale P/ε), kept for comparison.")
    min_devices: int = Field(
        default=1000, ge=1, description="No pair or query is released below this many units.")
    floor_error: float = Field(
        default=1e-9, gt=0, lt=1,
        description="Gaussian pairs: the largest chance that a pair watched by fewer than "
                    "min_devices devices is released (the floor threshold). Per pair: a "
                    "1M-device window holds ~3M pairs, so 1e-9 keeps the expected number "
                    "of such pairs released below 0.01 a window.")
    max_queries_per_session: int = Field(default=3, gt=0, description="Q per session, window.")
    max_titles_per_session: int = Field(default=10, gt=0, description="Web titles per session.")
    max_query_chars: int = Field(default=200, gt=0, description="Longest search query.")
    ledger_budget: float = Field(
        default=1.0, gt=0, description="ε (summed) a device or session may spend in any day "
                                       "(ledger_horizon_seconds): 5 windows at 2 × 0.1 in "
                                       "any 24 h, which touch 7 of 4 h (docs/privacy.md).")
    ledger_horizon_seconds: float = Field(default=86_400, gt=0, description="The day cap's "
                                          "horizon (make run shortens it with its windows).")
    ledger_week_budget: float = Field(
        default=4.0, gt=0, description="ε (summed) in any week: 20 of the 43 windows it "
                                       "touches.")
    ledger_week_seconds: float = Field(default=7 * 86_400, gt=0,
                                       description="The week cap's horizon.")
    ledger_year_budget: float = Field(
        default=100.0, gt=0, description="ε (summed) in any year: 500 windows; composed "
                                         "with PLD, ε ≈ 5.5 at δ = 2.5e-4 (omega privacy "
                                         "report).")
    ledger_year_seconds: float = Field(default=365 * 86_400, gt=0,
                                       description="The year cap's horizon.")
    release_seed: int | None = Field(
        default=None, description="Seed for replays and audits: the noise is then known to "
                                  "whoever knows the seed; never in production.")
    release_key: str | None = Field(
        default=None, repr=False,
        description="Keys the release noise: each (stream, window) draws from ChaCha20 keyed "
                    "by HMAC(key, stream, window), so a retried release is bit-identical to "
                    "the first attempt. Unset: a random key kept in the data folder (mode "
                    "0600); set it when the releaser can move between hosts.")
    release_keyed: bool = Field(
        default=True, description="False: OS randomness for each release attempt (a retry "
                                  "after an aborted transaction then draws fresh noise; "
                                  "logged as such). For experiments only.")
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
    metrics_token: str | None = Field(
        default=None, repr=False,
        description="Bearer token for /metrics. Unset: /metrics answers loopback clients "
                    "only.")
    session_issue_per_min: float = Field(
        default=10, ge=0, description="Web sessions issued per minute per client address "
                                      "(0 = off); a burst beyond session_issue_burst gets 429.")
    session_issue_burst: float = Field(default=20, ge=1, description="Sessions issued in a "
                                       "burst per address.")

    @model_validator(mode="after")
    def _budget_admits_a_window(self) -> Settings:
        for name, budget in (("OMEGA_LEDGER_BUDGET", self.ledger_budget),
                             ("OMEGA_LEDGER_WEEK_BUDGET", self.ledger_week_budget),
                             ("OMEGA_LEDGER_YEAR_BUDGET", self.ledger_year_budget)):
            if budget + 1e-9 < self.cost_per_window:
                raise ValueError(
                    f"{name}={budget} is below one window's cost 2 × OMEGA_EPSILON = "
                    f"{self.cost_per_window}: no device could ever count; raise it to at "
                    f"least {self.cost_per_window}")
        return self

    @property
    def cost_per_window(self) -> float:
        """ε one device spends in a window it counts in: its trends and its pairs."""
        return 2 * self.epsilon

    def subprocess_env(self, **overrides: object) -> dict[str, str]:
        """This process's environment with OMEGA_* replaced by exactly these settings (and
        `overrides`), so a child process builds the same Settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMEGA_")}
        for name, value in {**self.model_dump(), **overrides}.items():
            if value is not None:
                env[f"OMEGA_{name.upper()}"] = str(value)
        return env

    @property
    def dev_sync_key(self) -> bool:
        """Whether a sync key is the built-in one, whose secret anyone can read."""
        return any(item.partition(":")[2].strip() == DEV_SYNC_SECRET
                   for item in self.sync_keys.split(","))

    def topic(self, short_name: str) -> str:
        """Full topic name in this namespace, e.g. `omega.tv-deltas.v1`."""
        return f"{self.topic_namespace}.{short_name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


# The settings the README shows (docs/settings.md has them all); both tables are made by
# `settings_table` from the fields above (`omega settings --write`), and a test fails
# when either is stale.
README_SETTINGS = (
    "kafka_bootstrap", "kafka_auth", "kafka_username", "kafka_password", "kafka_ssl_ca",
    "schema_registry_url", "data_dir", "window_seconds", "allowed_lateness_seconds",
    "epsilon", "delta", "max_titles_per_device", "max_pairs_per_device", "pair_mechanism",
    "min_devices",
    "ledger_budget", "ledger_week_budget", "ledger_year_budget", "release_key",
    "dead_letter_key", "sync_keys", "sync_token_ttl_s", "dev_mode", "session_secret",
    "metrics_token", "api_host", "api_port", "api_workers", "qdrant_url", "tmdb_api_key",
)


def _shown(name: str, value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if name == "sync_keys":
        return "a development key"
    if isinstance(value, Path):
        try:
            return f"`{value.relative_to(REPO_ROOT)}/`"
        except ValueError:
            return f"`{value}`"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return f"`{value}`" if isinstance(value, str) else str(value)


SETTINGS_DOC = REPO_ROOT / "docs" / "settings.md"
README = REPO_ROOT / "README.md"
README_MARKS = ("<!-- settings: made by `omega settings --write` -->",
                "<!-- end of settings -->")


def settings_docs() -> dict[Path, str]:
    """What docs/settings.md and the README's settings block should say now."""
    readme = README.read_text()
    start, end = (readme.index(mark) for mark in README_MARKS)
    block = f"{README_MARKS[0]}\n{settings_table(README_SETTINGS)}"
    full = ("# Settings\n\nEvery knob is an `OMEGA_*` environment variable, read by "
            "`omega/settings.py`; this table is made from it (`omega settings --write`).\n\n"
            + settings_table())
    return {README: readme[:start] + block + readme[end:], SETTINGS_DOC: full}


def settings_table(names: Iterable[str] | None = None) -> str:
    """A Markdown table of the settings `names` (all, in order, by default): variable,
    default and meaning, each from the field itself."""
    fields = Settings.model_fields
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name in names if names is not None else fields:
        field = fields[name]
        meaning = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `OMEGA_{name.upper()}` | {_shown(name, field.default)} | {meaning} |")
    return "\n".join(rows) + "\n"
