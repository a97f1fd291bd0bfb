"""`omega`: operate the local broker and the topic catalog."""

from __future__ import annotations

import logging
import sys

import click

from omega.devstack import run_stack
from omega.kafka import KafkaUnavailable, bootstrap_servers, check_reachable, ensure_topics
from omega.local_kafka import LocalKafka, LocalKafkaError
from omega.settings import Settings, get_settings
from omega.topics import topic_catalog


def local_kafka(settings: Settings) -> LocalKafka:
    return LocalKafka(settings.kafka_home, settings.data_dir / "kafka", settings.kafka_heap)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """Operate Omega's local Kafka broker and topics.

    \b
    Example:
      omega kafka start && omega topics create && omega kafka status
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.group()
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
    try:
        state = local_kafka(settings).start(timeout_s=settings.kafka_start_timeout_s)
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc
    ensure_topics(settings)
    click.echo(f"kafka running at {state.bootstrap} (pid {state.pid}, data {state.data_dir})")


@kafka.command()
def jars() -> None:
    """Resolve the broker's jars from Maven Central (done by `start` when missing)."""
    try:
        path = local_kafka(get_settings()).ensure_jars()
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"kafka jars in {path}")


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


@main.command()
@click.option("--devices", default=300_000, show_default=True,
              help="Simulated TVs (MovieLens-grounded), each syncing once per window.")
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
    except LocalKafkaError as exc:
        raise click.ClickException(str(exc)) from exc
    sys.exit(code)


@main.group()
def topics() -> None:
    """The versioned topic catalog."""


@topics.command("create")
def topics_create() -> None:
    """Create every catalog topic that does not exist yet."""
    settings = get_settings()
    try:
        created = ensure_topics(settings)
    except KafkaUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))


@topics.command("list")
def topics_list() -> None:
    """Print the catalog: name, partitions, cleanup policy, schema."""
    settings = get_settings()
    for spec in topic_catalog(settings).values():
        click.echo(f"{settings.topic(spec.short_name):32} {spec.partitions:3} "
                   f"{spec.cleanup_policy:8} {spec.schema:22} {spec.doc}")


if __name__ == "__main__":
    main()
