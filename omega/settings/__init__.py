"""Every knob of Omega, read from OMEGA_* environment variables.

The fields live in groups, one module each: `kafka`, `streams` (the counter and the
releaser), `privacy`, `search`, `api` and `data`. `Settings` joins them, so one object
reaches every process and the variable names stay flat (`OMEGA_WINDOW_SECONDS`); code
that needs one concern can take its group's type (a `Settings` is each of them).
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic_settings import SettingsConfigDict

from omega.settings.api import (
    DEV_KEY_REFUSED,
    DEV_KEY_WARNING,
    DEV_SYNC_SECRET,
    SYNC_TOKEN_TTL_S,
    ApiSettings,
)
from omega.settings.base import REPO_ROOT, Group
from omega.settings.data import DataSettings
from omega.settings.kafka import KafkaSettings
from omega.settings.privacy import PrivacySettings
from omega.settings.search import SearchSettings
from omega.settings.streams import StreamsSettings

__all__ = ["DEV_KEY_REFUSED", "DEV_KEY_WARNING", "DEV_SYNC_SECRET", "GROUPS", "REPO_ROOT",
           "SYNC_TOKEN_TTL_S", "Settings", "get_settings"]


class Settings(DataSettings, ApiSettings, SearchSettings, PrivacySettings, StreamsSettings,
               KafkaSettings):
    """Omega settings; build them with `get_settings()`, never at import time. (pydantic
    takes the bases' fields last base first: this order lists them as GROUPS does.)"""

    model_config = SettingsConfigDict(env_prefix="OMEGA_", extra="ignore")

    def subprocess_env(self, **overrides: object) -> dict[str, str]:
        """This process's environment with OMEGA_* replaced by exactly these settings (and
        `overrides`), so a child process builds the same Settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMEGA_")}
        for name, value in {**self.model_dump(), **overrides}.items():
            if value is not None:
                env[f"OMEGA_{name.upper()}"] = str(value)
        return env


# The groups in the order docs/settings.md shows them.
GROUPS: tuple[tuple[str, type[Group]], ...] = (
    ("Kafka", KafkaSettings), ("Streams", StreamsSettings), ("Privacy", PrivacySettings),
    ("Search", SearchSettings), ("API", ApiSettings), ("Data and catalog", DataSettings))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
