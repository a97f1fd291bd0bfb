"""Settings come from OMEGA_* variables, once, and name topics in their namespace."""

from __future__ import annotations

import re

import pytest

from omega.kafka.clients import KafkaUnavailable, bootstrap_servers
from omega.kafka.topics import TV_DELTAS, topic_catalog
from omega.settings import Settings, get_settings


def test_env_prefix_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMEGA_EPSILON", "0.5")
    monkeypatch.setenv("OMEGA_TOPIC_NAMESPACE", "stage")
    settings = Settings()
    assert settings.epsilon == 0.5
    assert settings.delta == 1e-6
    assert settings.topic(TV_DELTAS) == "stage.tv-deltas.v1"


def test_get_settings_is_built_once() -> None:
    get_settings.cache_clear()
    assert get_settings() is get_settings()
    get_settings.cache_clear()


def test_invalid_value_is_rejected_with_the_field_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMEGA_EPSILON", "-1")
    with pytest.raises(ValueError, match="epsilon"):
        Settings()


def test_catalog_names_are_versioned_and_compaction_where_keyed_state() -> None:
    catalog = topic_catalog(Settings())
    assert all(re.fullmatch(r"[a-z-]+\.v[1-9][0-9]*", name) for name in catalog), list(catalog)
    assert catalog["catalog-titles.v1"].cleanup_policy == "compact"
    assert catalog["coview-edges.v1"].cleanup_policy == "compact"
    assert catalog["tv-deltas.v1"].partitions == Settings().delta_partitions


def test_external_bootstrap_wins_and_missing_broker_says_what_to_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert bootstrap_servers(Settings(kafka_bootstrap="k1:9092")) == "k1:9092"
    with pytest.raises(KafkaUnavailable, match="omega kafka start"):
        bootstrap_servers(Settings(data_dir=tmp_path))


def test_a_budget_below_one_windows_cost_is_refused() -> None:
    with pytest.raises(ValueError, match="no device could ever count"):
        Settings(epsilon=1.0, ledger_budget=1.2)
    assert Settings(epsilon=1.0, ledger_budget=2.0).cost_per_window == 2.0
