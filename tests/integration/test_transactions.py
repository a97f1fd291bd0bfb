"""The worker's exactly-once commits flush Faust's producer buffer first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from omega.settings import Settings
from streams.app import build_app
from streams.transport import FlushingTransactionManager

pytestmark = pytest.mark.integration


def test_the_worker_commits_through_the_flushing_transaction_manager(
    kafka_settings: Callable[..., Settings],
) -> None:
    app = build_app(kafka_settings(processing_guarantee="exactly_once"))
    assert type(app.consumer.transactions) is FlushingTransactionManager
