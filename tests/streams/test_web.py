"""Web interactions: query normalisation, validation and per-session bounding."""

from __future__ import annotations

from typing import Any

import pytest

from omega.dp.ledger import LedgerPolicy
from omega.kafka.avro import AvroCodec
from omega.settings import Settings
from omega.validation import DeltaRejected
from streams.web import WebEvent, WebLimits, apply_interaction, normalize_query, parse_interaction

NOW = 1_700_000_000_000
LIMITS = WebLimits.from_settings(Settings(title_universe_size=100))


def interaction(**change: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"session_id": "s1", "kind": "SEARCH", "query": "Heat",
                              "title_id": None, "at_ms": NOW}
    record.update(change)
    return record


def test_normalize_query_folds_case_width_and_spaces() -> None:
    assert normalize_query("  Sci-Fi   FROM the 90s ") == "sci-fi from the 90s"
    assert normalize_query("ＨＥＡＴ") == "heat"  # full-width
    assert normalize_query("a\u200bb\x00") == "ab"


def test_valid_search_parses_normalised(codec: AvroCodec) -> None:
    data = codec.encode("omega.WebInteraction", interaction(query=" HEAT "))
    assert parse_interaction(data, codec, LIMITS, NOW).query == "heat"


@pytest.mark.parametrize(("change", "code"), [
    ({"query": None}, "missing_query"),
    ({"query": "   "}, "empty_query"),
    ({"query": "x" * 201}, "query_too_long"),
    ({"kind": "PLAY", "title_id": None, "query": None}, "missing_title"),
    ({"kind": "PLAY", "title_id": 101, "query": None}, "unknown_title"),
    ({"session_id": ""}, "bad_session_id"),
    ({"at_ms": NOW + 10**9}, "future_time"),
])
def test_bad_interactions_are_rejected(codec: AvroCodec, change: dict[str, Any], code: str) -> None:
    data = codec.encode("omega.WebInteraction", interaction(**change))
    with pytest.raises(DeltaRejected) as err:
        parse_interaction(data, codec, LIMITS, NOW)
    assert err.value.code == code


def test_a_session_adds_at_most_q_distinct_queries_per_window() -> None:
    state = None
    added: list[str] = []
    for query in ["heat", "heat", "alien", "fargo", "up", "jaws"]:
        state, queries, _ = apply_interaction(
            state, WebEvent("s1", "SEARCH", query, None, NOW), 0, 3, 10, None)
        added += queries
    assert added == ["heat", "alien", "fargo"]


def test_a_session_is_bounded_over_time_by_the_same_ledger() -> None:
    hour = 3_600_000
    one_window_a_day = LedgerPolicy(cost_per_window=0.2, caps=((0.2, 24 * hour),))
    search = WebEvent("s1", "SEARCH", "heat", None, NOW)
    state, queries, _ = apply_interaction(None, search, 0, 3, 10, None, one_window_a_day)
    assert queries == ["heat"] and state["l"] == [[0, 0.2]]
    again, queries, titles = apply_interaction(state, search, 4 * hour, 3, 10, 0,
                                               one_window_a_day)
    assert queries == [] and titles == [] and again == state  # over its cap: nothing counts
    later, queries, _ = apply_interaction(state, search, 24 * hour, 3, 10, 0, one_window_a_day)
    assert queries == ["heat"]
