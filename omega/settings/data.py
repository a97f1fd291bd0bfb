"""Where this host keeps its data, and the catalog's sources (TMDB optional)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from omega.settings.base import REPO_ROOT, Group


class DataSettings(Group):
    """The data folder, the pinned catalog sources and TMDB."""

    data_dir: Path = Field(default=REPO_ROOT / ".omega-data", description="Broker data, keys, "
                           "worker state, indexes and logs of this host.")
    sources_dir: Path = Field(
        default=REPO_ROOT / ".omega-data" / "sources",
        description="Pinned catalog sources fetched by `make setup` (vega-datasets movies).")
    tmdb_api_key: str | None = Field(default=None, repr=False,
                                     description="TMDB v3 API key; unset = no TMDB calls.")
    tmdb_base_url: str = Field(default="https://api.themoviedb.org/3",
                               description="TMDB's API (tests point it at a fake).")
    tmdb_image_base_url: str = Field(
        default="https://image.tmdb.org/t/p/w342",
        description="Where TMDB's posters are; the API fetches and caches them, so the page "
                    "loads only from its own origin (and viewers' addresses stay here).")
    tmdb_rate_per_s: float = Field(default=40, gt=0, description="TMDB requests per second.")
    tmdb_titles: int = Field(default=2000, ge=0,
                             description="omega-catalog enriches this many titles, most "
                                         "voted first (two TMDB calls each, cached).")
