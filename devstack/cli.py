"""The dev stack's commands of `omega`: `omega kafka start|stop|status|env|rotate|jars`,
`omega registry` and `omega run` (`make run`). omega/cli.py adds them to the operator's
commands (topics, settings, schemas, privacy) through the `omega.commands` entry points
in pyproject.toml, when this package is installed; an image without it has only those."""

from __future__ import annotations

import shlex
import sys

import click
from confluent_kafka import KafkaException

from devstack.local_kafka import LocalKafkaError
from devstack.stack import local_kafka, run_stack
from omega.kafka.acls import ROLES, as_admin, local_passwords
from omega.kafka.clients import (
    KafkaUnavailable,
    bootstrap_servers,
    check_reachable,
    ensure_topics_and_acls,
    make_admin,
)
from omega.kafka.partitions import PartitionsChanged
from omega.settings import get_settings


@click.group()
def kafka() -> None:
    """Start, stop or report the local single-node KRaft broker (jars from Maven Central)."""


@kafka.command()
def start() -> None:
    """Start the broker on a free loopback port (no-op when it runs); prints its address."""
    settings = get_settings()
    if settings.kafka_bootstrap:
        raise click.ClickException(
            f"OMEGA_KAFKA_BOOTSTRAP={settings.kafka_bootstrap} is set: Omega uses that cluster; "
            "unset it to run the local broker")
    broker = local_kafka(settings)
    try:
        state = broker.start(timeout_s=settings.kafka_start_timeout_s)
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        _, acls = ensure_topics_and_acls(as_admin(settings))
    except PartitionsChanged as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"kafka running at {state.bootstrap} (pid {state.pid}, data {state.data_dir})")
    if settings.kafka_auth:
        click.echo(f"SASL/SCRAM-SHA-512 on; each role's password in {broker.credentials_file} "
                   f"(mode 0600); {acls} ACL bindings set (omega topics list shows them); "
                   "a component started by hand connects as its role after "
                   "`eval \"$(omega kafka env ROLE)\"`")


@kafka.command()
def jars() -> None:
    """Resolve the broker's jars from Maven Central (done by `start` when missing)."""
    try:
        path = local_kafka(get_settings()).ensure_jars()
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"kafka jars in {path}")


@kafka.command("env")
@click.argument("role", metavar="ROLE", type=click.Choice(ROLES))
def identity(role: str) -> None:
    """Print the exports that make a component connect as ROLE to the local broker.

    \b
    Example (the trend reader in another terminal, as the analytics role):
      eval "$(omega kafka env analytics)" && omega-trends --follow
    """
    passwords = local_passwords(get_settings())
    if not passwords:
        raise click.ClickException(
            "the local broker has no identities: it runs without authentication "
            "(OMEGA_KAFKA_AUTH=false), has not been started yet, or OMEGA_KAFKA_BOOTSTRAP "
            "names another cluster")
    if role not in passwords:
        raise click.ClickException(f"this broker has no user {role!r}: it was made before the "
                                   "role existed (docs/security.md, Credentials)")
    click.echo(f"export OMEGA_KAFKA_USERNAME={role}\n"
               f"export OMEGA_KAFKA_PASSWORD={shlex.quote(passwords[role])}")


@kafka.command()
@click.argument("role")
def rotate(role: str) -> None:
    """Give ROLE (api, worker, embedder, producer, analytics, deadletters) a new password
    on the local broker (OMEGA_KAFKA_AUTH=true) and store it; restart ROLE's components."""
    settings = get_settings()
    if not settings.kafka_auth or settings.kafka_bootstrap:
        raise click.ClickException("rotate works on the local broker with authentication on; "
                                   "on a cluster, use its own tools (docs/security.md)")
    broker = local_kafka(settings)
    try:
        broker.rotate(role, make_admin(as_admin(settings)))
    except (LocalKafkaError, KafkaException) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{role}: new password stored in {broker.credentials_file}; restart its "
               "components to use it")


@kafka.command()
def stop() -> None:
    """Stop the local broker cleanly."""
    stopped = local_kafka(get_settings()).stop()
    click.echo("kafka stopped" if stopped else "kafka was not running")


@kafka.command()
def status() -> None:
    """Report whether the broker runs and answers; exit 1 when it does not."""
    settings = get_settings()
    try:
        check_reachable(settings, timeout_s=3)
    except KafkaUnavailable as exc:
        click.echo(f"kafka down: {exc}")
        sys.exit(1)
    click.echo(f"kafka up at {bootstrap_servers(settings)}")


@click.command()
@click.option("--devices", default=300_000, show_default=True,
              help="Simulated TVs (MovieLens-grounded), each watching and syncing in its "
                   "own share of windows (44 % on average).")
@click.option("--web-sessions", default=50.0, show_default=True,
              help="Simulated page sessions started per second, through the API (0 = none).")
def run(devices: int, web_sessions: float) -> None:
    """Run broker, catalog loader, worker, embedder, API, TV fleet, the fleet's web side
    and trend reader; Ctrl-C stops them all.

    \b
    Example (what `make run` does):
      OMEGA_WINDOW_SECONDS=60 OMEGA_ALLOWED_LATENESS_SECONDS=5 omega run --devices 300000
    """
    settings = get_settings()
    broker = None if settings.kafka_bootstrap else local_kafka(settings)
    try:
        code = run_stack(settings, broker, devices, web_sessions)
    except (LocalKafkaError, PartitionsChanged) as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@click.command()
@click.option("--port", default=8081, show_default=True, help="Loopback port to serve on.")
@click.option("--build-only", is_flag=True, help="Build it (done on first start) and exit.")
def registry(port: int, build_only: bool) -> None:
    """Run the local Schema Registry (Apicurio, Confluent-compatible API) in the
    foreground, schemas in memory; Ctrl-C stops it. Built from Maven Central's jars
    on first use (infra/registry/pom.xml)."""
    from devstack.local_registry import LocalRegistry, LocalRegistryError  # noqa: PLC0415

    settings = get_settings()
    local = LocalRegistry(settings.registry_home, settings.data_dir / "logs" / "registry.log")
    try:
        if build_only:
            click.echo(f"Schema Registry built: {local.ensure_built()}")
            return
        url = local.start(port=port)
    except LocalRegistryError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Schema Registry at {url} (log {local.log_file}); use it with\n"
               f"  export OMEGA_SCHEMA_REGISTRY_URL={url}\nCtrl-C stops it")
    try:
        assert local.proc is not None
        local.proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        local.stop()
