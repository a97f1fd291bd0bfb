"""One Kafka identity per role, and the ACLs that match the design's data flow.

Raw per-device data must not leave streams/: on the broker that means only the worker
reads the inputs and the internal topics (device state, partials, dead letters, its Faust
changelogs), the API and the producers may only write inputs, and everyone else reads
release topics only. `grants` states it as data; `apply_acls` writes it to the broker
(KRaft's StandardAuthorizer enforces it) and `omega topics create` calls it when the
cluster has authentication on. The admin is a super user and needs no grant.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from omega.kafka.topics import (
    CATALOG_TITLES,
    COVIEW_EDGES,
    DEAD_LETTERS,
    RELEASE_LOG,
    SEARCH_TRENDS,
    TITLE_VECTORS,
    TRENDS,
    TV_DELTAS,
    WEB_INTERACTIONS,
)
from omega.settings import Settings

ROLES = ("admin", "api", "worker", "embedder", "producer", "analytics", "deadletters",
         "registry")
INPUTS = (TV_DELTAS, WEB_INTERACTIONS)
RELEASES = (TRENDS, SEARCH_TRENDS, COVIEW_EDGES, RELEASE_LOG)
PUBLIC = (CATALOG_TITLES, TITLE_VECTORS)
# Consumer groups by role, used by the readers themselves and by their grants (a group
# holds no data, but a member of the worker's group could take its partitions away, so no
# reader gets a prefix that covers it).
READ_TO_END_GROUPS = "omega-read-to-end-"  # omega/kafka/clients.py read_to_end's default group
API_GROUPS = "omega-api-"  # api/views.py
TRENDS_GROUPS = "omega-trends-"  # consumers/trends.py
DEADLETTERS_GROUPS = "omega-deadletters-"  # consumers/deadletters.py


def as_role(settings: Settings, role: str, passwords: Mapping[str, str]) -> Settings:
    """`settings` connecting as `role`, with its password from `passwords` (a local
    broker's credentials file); unchanged when there are none (a cluster without auth)."""
    if not passwords:
        return settings
    if role not in passwords:
        raise ValueError(f"no password for role {role!r}; roles: {', '.join(sorted(passwords))}")
    return settings.model_copy(update={"kafka_username": role, "kafka_password": passwords[role]})


CREDENTIALS_FILE = "credentials.json"  # in the local broker's data folder


def local_credentials_file(settings: Settings) -> Path:
    """Where the local broker (devstack/, `omega kafka start`) keeps each role's password,
    mode 0600, for the components of this host."""
    return settings.data_dir / "kafka" / CREDENTIALS_FILE


def local_passwords(settings: Settings) -> dict[str, str]:
    """Each role's password on the local broker when it authenticates (made on its first
    start); empty for a cluster given by OMEGA_KAFKA_BOOTSTRAP or a broker without auth."""
    path = local_credentials_file(settings)
    if not settings.kafka_auth or settings.kafka_bootstrap or not path.exists():
        return {}
    stored: dict[str, str] = json.loads(path.read_text())
    return stored


def as_admin(settings: Settings) -> Settings:
    """With the local broker's authentication on and no identity given, the admin's."""
    if settings.kafka_username:
        return settings
    return as_role(settings, "admin", local_passwords(settings))


def embedder_group(settings: Settings) -> str:
    return f"{settings.streams_app_id}-embedder"


@dataclass(frozen=True, slots=True)
class Grant:
    """`operation` ("READ", "WRITE", "DESCRIBE", "ALL") on a resource ("TOPIC", "GROUP",
    "TRANSACTIONAL_ID", "BROKER": the cluster), by its full name or, `prefixed`, a name prefix."""

    resource: str
    name: str
    operation: str
    prefixed: bool = False


def _topics(settings: Settings, names: tuple[str, ...], *operations: str) -> list[Grant]:
    return [Grant("TOPIC", settings.topic(n), op) for n in names for op in operations]


def grants(settings: Settings, role: str) -> list[Grant]:
    """What `role` may do on this deployment's topics (namespace `OMEGA_TOPIC_NAMESPACE`)."""
    read_once = Grant("GROUP", READ_TO_END_GROUPS, "READ", prefixed=True)
    if role == "admin":
        return []  # a super user (the broker's super.users)
    if role == "api":
        return [*_topics(settings, INPUTS, "WRITE", "DESCRIBE"),
                *_topics(settings, RELEASES + PUBLIC, "READ", "DESCRIBE"), read_once,
                Grant("GROUP", API_GROUPS, "READ", prefixed=True)]
    if role == "analytics":
        return [*_topics(settings, RELEASES + PUBLIC, "READ", "DESCRIBE"), read_once,
                Grant("GROUP", TRENDS_GROUPS, "READ", prefixed=True)]
    if role == "producer":  # the fleet reads the public catalog to choose its titles
        return [*_topics(settings, (*INPUTS, CATALOG_TITLES), "WRITE", "DESCRIBE"),
                *_topics(settings, (CATALOG_TITLES,), "READ"), read_once]
    if role == "embedder":
        # co-view edges: released pairs pull a title's vector towards its neighbours
        return [*_topics(settings, (CATALOG_TITLES, COVIEW_EDGES), "READ", "DESCRIBE"),
                *_topics(settings, (TITLE_VECTORS,), "WRITE", "READ", "DESCRIBE"), read_once,
                Grant("GROUP", embedder_group(settings), "READ")]
    if role == "deadletters":
        return [*_topics(settings, (DEAD_LETTERS,), "READ", "DESCRIBE"),
                *_topics(settings, INPUTS, "WRITE", "DESCRIBE"),
                Grant("GROUP", DEADLETTERS_GROUPS, "READ", prefixed=True)]
    if role == "registry":  # a Confluent Schema Registry keeping its schemas in Kafka
        return [Grant("TOPIC", "_schemas", "ALL"),
                Grant("GROUP", "schema-registry", "ALL", prefixed=True)]
    if role == "worker":
        app = settings.streams_app_id
        return [Grant("TOPIC", f"{settings.topic_namespace}.", "ALL", prefixed=True),
                Grant("TOPIC", app, "ALL", prefixed=True),  # Faust's changelogs
                Grant("GROUP", app, "ALL", prefixed=True), read_once,
                Grant("TRANSACTIONAL_ID", app, "ALL", prefixed=True),
                Grant("BROKER", "kafka-cluster", "CREATE")]  # Faust creates its topics
    raise ValueError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")


def apply_acls(settings: Settings, admin: object, timeout_s: float = 30.0) -> int:
    """Write every role's grants to the broker (idempotent) and wait until the broker
    answers with all of them (KRaft applies ACLs from the metadata log a moment after the
    call returns), so a client started next is not refused; returns how many bindings."""
    from confluent_kafka.admin import (  # type: ignore[attr-defined]  # noqa: PLC0415
        AclBinding,
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    bindings = [
        AclBinding(ResourceType[g.resource], g.name,
                   ResourcePatternType.PREFIXED if g.prefixed else ResourcePatternType.LITERAL,
                   f"User:{role}", "*", AclOperation[g.operation], AclPermissionType.ALLOW)
        for role in ROLES for g in grants(settings, role)]
    for future in admin.create_acls(bindings).values():  # type: ignore[attr-defined]
        future.result()
    everything = AclBindingFilter(  # None matches any name, principal and host
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
        AclOperation.ANY, AclPermissionType.ANY)
    deadline = time.monotonic() + timeout_s
    while True:
        applied = set(admin.describe_acls(everything).result())  # type: ignore[attr-defined]
        missing = [b for b in bindings if b not in applied]
        if not missing:
            return len(bindings)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(missing)} ACL bindings not applied by the broker after "
                               f"{timeout_s:.0f} s, e.g. {missing[0]}")
        time.sleep(0.1)
