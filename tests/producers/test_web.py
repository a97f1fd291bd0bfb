"""The fleet's web side: its session plans, and a clear exit when there is no API."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from devstack.processes import free_port
from producers.web import QUERIES, main, plan_session, query_weights


def test_a_session_searches_one_to_q_distinct_queries_mostly_the_common_ones() -> None:
    rng = random.Random(3)
    weights = query_weights(len(QUERIES), 1.2)
    plans = [plan_session(rng, QUERIES, weights, 3) for _ in range(3000)]
    assert {len(p) for p in plans} == {1, 2, 3}
    assert all(len(set(p)) == len(p) for p in plans)
    sessions = Counter(q for p in plans for q in p)
    ranked = [q for q, _ in sessions.most_common()]
    assert ranked[0] == QUERIES[0] and ranked[1] == QUERIES[1]
    # Zipf 1.2 over 20 queries: the top one is in about half of the sessions
    assert 0.45 < sessions[QUERIES[0]] / len(plans) < 0.65


def test_no_api_is_a_clear_exit() -> None:
    api = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SystemExit) as exited:
        main(["--api", api, "--sessions", "5", "--wait-s", "0"])
    assert str(exited.value).startswith(f"omega-web: the API at {api} does not answer")
