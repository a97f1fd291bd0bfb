"""The settings tables in the README and docs/settings.md are made from `Settings`: this
fails when a field, default or description changed and `omega settings --write` was not
run."""

from __future__ import annotations

from omega.settings import README, README_SETTINGS, Settings, settings_docs


def test_the_settings_tables_are_current() -> None:
    for path, text in settings_docs().items():
        assert path.read_text() == text, (
            f"{path.name} is stale: run `omega settings --write` and commit it")


def test_every_setting_is_described_and_the_readme_shows_real_ones() -> None:
    assert all(field.description for field in Settings.model_fields.values())
    assert set(README_SETTINGS) <= set(Settings.model_fields)
    assert "`OMEGA_EPSILON` | 0.1 |" in README.read_text()
