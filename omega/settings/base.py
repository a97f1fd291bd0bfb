"""What every settings group shares: the OMEGA_ prefix, and where the repository is."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Group(BaseSettings):
    """One group of settings; `Settings` (omega/settings/__init__.py) joins them all."""

    model_config = SettingsConfigDict(env_prefix="OMEGA_", extra="ignore")
