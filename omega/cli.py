"""`omega`: the operator's command for any cluster: topics and ACLs, settings, schemas and
the privacy report. `devstack/cli.py` has the local broker's, the registry's and `omega run`,
added by entry point (below) when installed."""

from __future__ import annotations

import importlib.metadata
import logging

import click
from confluent_kafka import KafkaException

from omega.kafka.acls import ROLES, as_admin, grants
from omega.kafka.clients import (
    KafkaUnavailable,
    ensure_topics_and_acls,
)
from omega.kafka.partitions import PartitionsChanged
from omega.kafka.topics import topic_catalog
from omega.settings import Settings, get_settings


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG level.")
def main(verbose: bool) -> None:
    """Operate Omega's topics and ACLs, settings, schemas and privacy report, and the local
    Kafka broker and registry of the dev stack.

    \b
    Example:
      omega kafka start && omega topics create && omega kafka status
    """
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.group()
def topics() -> None:
    """The versioned topic catalog."""


@topics.command("create")
def topics_create() -> None:
    """Create every catalog topic that does not exist yet, and set every topic's retention
    and cleanup policy to the catalog's (dead letters and window partials are kept only
    as long as their job needs: OMEGA_DEAD_LETTER_RETENTION_HOURS, ..._PARTIALS_...)."""
    settings = get_settings()
    try:
        created, acls = ensure_topics_and_acls(as_admin(settings))
    except (KafkaUnavailable, KafkaException, PartitionsChanged) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {len(created)} topics" + (f": {', '.join(created)}" if created else ""))
    if acls:
        click.echo(f"set {acls} ACL bindings, one identity per role (omega topics list)")


@topics.command("list")
def topics_list() -> None:
    """Print the catalog: name, partitions, cleanup policy, retention, schema."""
    settings = get_settings()
    for spec in topic_catalog(settings).values():
        kept = "default" if spec.retention_hours is None else f"{spec.retention_hours:g} h"
        click.echo(f"{settings.topic(spec.short_name):32} {spec.partitions:3} "
                   f"{spec.cleanup_policy:8} {kept:8} {spec.schema:22} {spec.doc}")
    click.echo("\nACLs `omega topics create` sets when the cluster authenticates "
               "(User:admin is a super user):")
    for role in ROLES:
        ops: dict[tuple[str, str], list[str]] = {}
        for grant in grants(settings, role):
            name = f"{grant.name}*" if grant.prefixed else grant.name
            ops.setdefault((grant.resource, name), []).append(grant.operation)
        for (resource, name), operations in ops.items():
            click.echo(f"  User:{role:12} {','.join(operations):15} {resource:17} {name}")


@main.command("settings")
@click.option("--write", is_flag=True,
              help="Rewrite docs/settings.md and the README's settings table from Settings.")
def settings_command(write: bool) -> None:
    """Print every OMEGA_* setting with its default and meaning (a Markdown table)."""
    from omega.settings.docs import settings_docs, settings_table  # noqa: PLC0415

    if not write:
        click.echo(settings_table(), nl=False)
        return
    for path, text in settings_docs().items():
        path.write_text(text)
        click.echo(f"wrote {path}")


@main.group()
def schemas() -> None:
    """The Avro schemas in a Confluent-compatible Schema Registry (OMEGA_SCHEMA_REGISTRY_URL)."""


@schemas.command("register")
def schemas_register() -> None:
    """Set each subject's compatibility to BACKWARD and register every schema in
    OMEGA_SCHEMAS_DIR; a change the registry refuses is printed with its reason (exit 1).

    \b
    Example, on the local registry (`omega registry` prints its URL):
      OMEGA_SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7 omega schemas register
    """
    from omega.kafka.avro import SchemaStore  # noqa: PLC0415
    from omega.kafka.registry import SchemaRefused, register_schemas  # noqa: PLC0415 - registry client

    settings = get_settings()
    if not settings.schema_registry_url:
        raise click.ClickException("OMEGA_SCHEMA_REGISTRY_URL is not set: Omega writes Avro "
                                   "single-object encoding and needs no registry")
    try:
        registered = register_schemas(SchemaStore.from_directory(settings.schemas_dir),
                                      settings.schema_registry_url)
    except SchemaRefused as exc:
        raise click.ClickException(str(exc)) from exc
    for subject, schema_id in registered:
        click.echo(f"{subject:28} id {schema_id:<6} compatibility BACKWARD")


@main.group()
def privacy() -> None:
    """What the differential privacy guarantees, at the current settings."""


def format_report(settings: Settings) -> str:
    """The table `omega privacy report` prints (docs/privacy.md carries it)."""
    from omega.dp.accounting import ledger_caps, report_rows, unit_releases
    from omega.dp.noise import float_sampler_delta  # noqa: PLC0415 - dp-accounting only here

    lines = [f"Worst case for one unit at ε = {settings.epsilon} per release, δ = "
             f"{settings.delta:g} per thresholded release, {settings.window_seconds / 3600:g} h "
             "windows; ledger caps: " + ", ".join(
                 f"{c.name} {c.budget:g} per {c.horizon_s / 3600:g} h"
                 for c in ledger_caps(settings)) + "."]
    for unit, label in (("device", "TV device"),
                        ("session", f"web session (lives {settings.session_ttl_s / 60:g} "
                                    "min: a page visit, not a person)")):
        releases = unit_releases(settings, unit)
        parts = " + ".join(f"{r.name} ε {r.epsilon:g} over {r.coordinates} coordinates"
                           + (f", δ {r.delta:g}" if r.delta else "")
                           + (" (Gaussian partition selection)" if r.mechanism == "gaussian"
                              else "") for r in releases)
        lines += ["", f"{label}: each window it counts in, {parts}.",
                  "| period | windows (most the ledger admits) | ε, summed | "
                  "ε, composed (PLD) | at δ |",
                  "| --- | --- | --- | --- | --- |"]
        for period, g in report_rows(settings, unit):
            lines.append(f"| {period} | {g.windows} | {g.basic_epsilon:.2f} | "
                         f"{g.epsilon:.3f} | {g.delta:.2g} |")
    floats = ", ".join(f"{r.name} {float_sampler_delta(r.epsilon, r.coordinates):.2g}"
                       for unit in ("device", "session") for r in unit_releases(settings, unit)
                       if r.mechanism == "laplace")
    lines += ["", "δ per row: the thresholds' δ and the Laplace float sampler's δ (per "
              f"coordinate: {floats}; computed exactly from its output distribution) over "
              f"those windows, plus {settings.delta:g} for the composition. A Gaussian "
              "release's threshold takes half its δ; its noise's (ε, δ) curve is in its "
              "privacy-loss distribution, built from the sampler's exact output. Composed "
              "with Google's dp-accounting (privacy-loss distributions, pessimistic)."]
    return "\n".join(lines)


@privacy.command("report")
def privacy_report() -> None:
    """Print each unit's worst-case (ε, δ) per window, day, week and year.

    \b
    The caps are the ledger's (OMEGA_LEDGER_*); a unit counts in at most the windows
    they admit. Try other settings, e.g.:
      OMEGA_EPSILON=0.2 OMEGA_LEDGER_WEEK_BUDGET=6 omega privacy report
    """
    click.echo(format_report(get_settings()))


if __name__ == "__main__":
    main()


def _add_installed_commands() -> None:
    """The commands other packages of this distribution add (devstack/: the local broker,
    the registry, `omega run`), by their `omega.commands` entry points; a package left
    out of an image (the production one has no dev stack) is skipped."""
    for entry in importlib.metadata.entry_points(group="omega.commands"):
        try:
            command = entry.load()
        except ImportError:
            continue
        main.add_command(command, entry.name)


_add_installed_commands()
