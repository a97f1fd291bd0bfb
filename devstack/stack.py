"""`omega run`: the whole pipeline on one machine, as separate processes, for `make run`.

Components are started as their own processes by module name (they never import each
other); Ctrl-C stops every one of them and the local broker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from devstack.local_kafka import LocalKafka
from devstack.processes import make_private
from omega.kafka.acls import as_role, local_credentials_file, local_passwords
from omega.kafka.clients import ensure_topics_and_acls
from omega.processes import die_with_parent
from omega.settings import DEV_KEY_REFUSED, DEV_KEY_WARNING, Settings

log = logging.getLogger(__name__)
# Simulated TVs that sync through the API's /v1/sync with their own tokens, as TVs do;
# the rest of the fleet writes to Kafka directly (one API process takes ~2,800 syncs/s).
API_DEVICES = 2000


def local_kafka(settings: Settings) -> LocalKafka:
    """The local broker of this data folder (`omega kafka start`)."""
    folder = local_credentials_file(settings).parent  # where omega/kafka/ looks for passwords
    return LocalKafka(settings.kafka_home, folder, settings.kafka_heap, auth=settings.kafka_auth)


@dataclass
class Component:
    name: str
    argv: list[str]
    role: str | None  # its Kafka identity (omega/kafka/acls.py); None: it does not use Kafka
    proc: subprocess.Popen[bytes] | None = None
    oneshot: bool = False  # runs to completion before the next component starts
    # Batch work (the embedder's first run embeds the whole catalog for minutes) yields
    # the cores to the worker's releases and the API's answers.
    background: bool = False


def run_stack(settings: Settings, broker: LocalKafka | None, devices: int,
              web_sessions_per_s: float = 0) -> int:
    """Run broker, worker, embedder, API, fleet and trend reader until Ctrl-C.

    The fleet is `devices` simulated TVs drawn from MovieLens histories, each watching
    and syncing in its own share of windows: enough devices in every window that the
    most watched-together pairs pass the DP threshold (docs/search.md, "The fleet"), and
    ledger caps that bind TV by TV. Its web side starts `web_sessions_per_s`
    page sessions a second through the API, so trending searches get released too."""
    if not sync_keys_allowed(settings):
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored
        signal.signal(sig, _interrupt)
    # Files at rest (raw topics, device state, keys, logs): this user's only. Every
    # component inherits the umask; what an earlier run left is made private too.
    os.umask(0o077)
    make_private(settings.data_dir)
    env = stack_env(web_sessions_per_s)
    if broker is not None:
        env["OMEGA_KAFKA_BOOTSTRAP"] = broker.start(settings.kafka_start_timeout_s).bootstrap
    passwords = local_passwords(settings)  # made on the broker's first start
    # Every topic and ACL before any component, as the admin: the trend reader subscribes
    # at once, and only the worker's identity may create topics.
    ensure_topics_and_acls(as_role(settings, "admin", passwords))
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    components = stack_components(devices, web_sessions_per_s, api_url)
    try:
        for component in components:
            start_component(component, env | identity_env(component.role, passwords), logs)
            if component.oneshot:
                if component.proc is not None and component.proc.wait() != 0:
                    log.error("%s failed (exit %d); see its log", component.name,
                              component.proc.returncode)
                    return 1
                continue
            if component.name == "worker":
                time.sleep(3)  # let the worker join its group before deltas flow
        announce(settings, devices, api_url, logs)
        running = [c for c in components if not c.oneshot]
        while all(c.proc is not None and c.proc.poll() is None for c in running):
            time.sleep(0.5)
        failed = [c.name for c in running if c.proc is not None and c.proc.poll()]
        log.error("%s exited; stopping the rest (see %s)", ", ".join(failed) or "a part", logs)
        return 1
    except KeyboardInterrupt:
        log.info("Ctrl-C: stopping")
        return 0
    finally:
        stop_components(components)
        if broker is not None:
            broker.stop()
            log.info("local Kafka stopped")


def announce(settings: Settings, devices: int, api_url: str, logs: Path) -> None:
    """What is running, where to look, and when the first numbers come."""
    log.info("%d simulated TVs, each watching and syncing in some windows of %.0f s "
             "(%d of them through %s/v1/sync); the first full window is released %.0f s "
             "after it closes; Ctrl-C stops everything", devices, settings.window_seconds,
             min(API_DEVICES, devices), api_url, settings.allowed_lateness_seconds)
    log.info("web page and API: %s/ (docs at /docs); search answers once the embedder "
             "has published title vectors: the first run embeds the catalog, and "
             "%s says at what measured rate and how long is left (cached after)",
             api_url, logs / "embedder.log")


def stack_env(web_sessions_per_s: float) -> dict[str, str]:
    """This process's environment, with the per-address limits sized to the simulated TVs
    and page sessions, which all come from this host's one address (the TVs' own
    per-device limit still holds; a real page gets the defaults)."""
    env = dict(os.environ)
    env.setdefault("OMEGA_RATE_LIMIT_IP_PER_S", "2000")
    env.setdefault("OMEGA_RATE_LIMIT_IP_BURST", "4000")
    if web_sessions_per_s:
        env.setdefault("OMEGA_SESSION_ISSUE_PER_MIN", f"{web_sessions_per_s * 120:g}")
        env.setdefault("OMEGA_SESSION_ISSUE_BURST", f"{max(20, web_sessions_per_s * 4):g}")
    return env


def stack_components(devices: int, web_sessions_per_s: float, api_url: str) -> list[Component]:
    """`make run`'s processes, in the order they start."""
    py = sys.executable
    return [
        Component("catalog", [py, "-m", "producers.catalog"], "producer", oneshot=True),
        Component("worker", [py, "-m", "streams", "--loglevel", "info"], "worker"),
        Component("embedder", [py, "-m", "streams.embedder", "--follow", "--precision", "fp32"],
                  "embedder", background=True),
        Component("api", [py, "-m", "api"], "api"),
        Component("fleet", [py, "-m", "producers.fleet", "--devices", str(devices),
                            "--periods", "0", "--api", api_url,
                            "--api-devices", str(min(API_DEVICES, devices))], "producer"),
        *([Component("web", [py, "-m", "producers.web", "--sessions", "0",
                             "--rate", f"{web_sessions_per_s:g}"], None)]
          if web_sessions_per_s else []),
        Component("trends", [py, "-m", "consumers.trends", "--follow", "--top", "5"],
                  "analytics"),
    ]


def start_component(component: Component, env: dict[str, str], logs: Path) -> None:
    """Start one component, its output to its log (the trend reader's to this terminal)."""
    foreground = component.name == "trends"
    out = None if foreground else open(logs / f"{component.name}.log", "ab")
    component.proc = subprocess.Popen(
        component.argv, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
        stdin=subprocess.DEVNULL,
        preexec_fn=background_child if component.background else die_with_parent)
    log.info("started %s (pid %d)%s", component.name, component.proc.pid,
             "" if foreground else f", log in {logs / (component.name + '.log')}")


def sync_keys_allowed(settings: Settings) -> bool:
    """Whether the API will start with these sync keys: before the broker, not after it.
    With the built-in key in dev mode (make run), says so in one warning line."""
    if not settings.dev_sync_key:
        return True
    if not settings.dev_mode:
        log.error("the API would refuse to start: %s", DEV_KEY_REFUSED)
        return False
    log.warning(DEV_KEY_WARNING)
    return True


def background_child() -> None:
    """`preexec_fn` of a background component: nice 10, and it dies with `omega run`."""
    os.nice(10)
    die_with_parent()


def identity_env(role: str | None, passwords: dict[str, str]) -> dict[str, str]:
    """The environment that makes a component connect as `role` (none without auth)."""
    if not passwords or role is None:
        return {}
    return {"OMEGA_KAFKA_USERNAME": role, "OMEGA_KAFKA_PASSWORD": passwords[role]}


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def stop_components(components: list[Component]) -> None:
    for component in reversed(components):
        proc = component.proc
        if proc is None or proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.info("stopped %s", component.name)
