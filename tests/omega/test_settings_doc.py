"""The settings tables in the README and docs/settings.md are made from `Settings`: this
fails when a field, default or description changed and `omega settings --write` was not
run."""

from __future__ import annotations

from typing import Any

from omega.settings import GROUPS, Settings
from omega.settings.docs import README, README_SETTINGS, settings_docs
from omega.settings.streams import StreamsSettings


def test_the_settings_tables_are_current() -> None:
    for path, text in settings_docs().items():
        assert path.read_text() == text, (
            f"{path.name} is stale: run `omega settings --write` and commit it")


def test_every_setting_is_described_and_the_readme_shows_real_ones() -> None:
    assert all(field.description for field in Settings.model_fields.values())
    assert set(README_SETTINGS) <= set(Settings.model_fields)
    assert "`OMEGA_EPSILON` | 0.1 |" in README.read_text()


def test_each_setting_is_in_one_group_and_keeps_its_flat_variable(monkeypatch: Any) -> None:
    grouped = [name for _, group in GROUPS for name in group.model_fields]
    assert sorted(grouped) == sorted(Settings.model_fields), "a field in no group, or in two"
    monkeypatch.setenv("OMEGA_WINDOW_SECONDS", "60")
    monkeypatch.setenv("OMEGA_KAFKA_BOOTSTRAP", "k:9092")
    settings = Settings()
    assert (settings.window_seconds, settings.kafka_bootstrap) == (60, "k:9092")
    assert isinstance(settings, StreamsSettings), "code may take only the group it needs"
