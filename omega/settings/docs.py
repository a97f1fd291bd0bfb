"""docs/settings.md and the README's settings table, made from the fields themselves
(`omega settings --write`); a test fails when either is stale."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from pathlib import Path

from omega.settings import GROUPS, REPO_ROOT, Settings

# The settings the README shows (docs/settings.md has them all).
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
            "`omega/settings/`, one module per group below; these tables are made from the "
            "fields (`omega settings --write`).\n"
            + "".join(f"\n## {title}\n\n{inspect.cleandoc(group.__doc__ or '')}\n\n"
                      + settings_table(group.model_fields) for title, group in GROUPS))
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
