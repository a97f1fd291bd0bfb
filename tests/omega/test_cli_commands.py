"""`omega` is the operator's command; the dev stack's commands join it by entry point."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import click

from omega import cli


def test_the_dev_stack_adds_its_commands_when_installed() -> None:
    assert {"kafka", "run", "registry"} <= set(cli.main.commands)
    assert {"topics", "settings", "schemas", "privacy"} <= set(cli.main.commands)


def test_an_image_without_the_dev_stack_keeps_the_operators_commands(monkeypatch: Any) -> None:
    missing = importlib.metadata.EntryPoint(name="kafka", value="not_installed.cli:kafka",
                                            group="omega.commands")
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [missing])
    group = click.Group(commands={"topics": cli.topics})
    monkeypatch.setattr(cli, "main", group)
    cli._add_installed_commands()
    assert set(group.commands) == {"topics"}
