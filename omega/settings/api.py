"""The API: where it listens, device tokens, web sessions, limits on requests."""

from __future__ import annotations

from pydantic import Field

from omega.settings.base import Group

# The built-in sync key's secret: public, so accepted only in dev mode (OMEGA_DEV_MODE).
DEV_SYNC_SECRET = "omega-dev-sync-secret-change-me"
DEV_KEY_REFUSED = ("OMEGA_SYNC_KEYS holds the built-in development key, whose secret is public "
                   "in the source: set OMEGA_SYNC_KEYS=id:secret with a secret of your own "
                   "(docs/security.md), or OMEGA_DEV_MODE=true on a development machine")
DEV_KEY_WARNING = ("dev mode (OMEGA_DEV_MODE=true): /v1/sync accepts device tokens signed with "
                   "the built-in development key, which anyone can read; never let devices "
                   "reach this API")
SYNC_TOKEN_TTL_S = 30 * 86_400  # a device token's default lifetime


class ApiSettings(Group):
    """omega-api: processes, authentication of TVs and sessions, rate and size limits."""

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
    session_issue_per_min: float = Field(
        default=10, ge=0, description="Web sessions issued per minute per client address "
                                      "(0 = off); a burst beyond session_issue_burst gets 429.")
    session_issue_burst: float = Field(default=20, ge=1, description="Sessions issued in a "
                                       "burst per address.")
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
    metrics_token: str | None = Field(
        default=None, repr=False,
        description="Bearer token for /metrics. Unset: /metrics answers loopback clients "
                    "only.")

    @property
    def dev_sync_key(self) -> bool:
        """Whether a sync key is the built-in one, whose secret anyone can read."""
        return any(item.partition(":")[2].strip() == DEV_SYNC_SECRET
                   for item in self.sync_keys.split(","))
