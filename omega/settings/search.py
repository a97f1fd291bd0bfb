"""Search: the vector index, ranking weights and the public popularity prior."""

from __future__ import annotations

from pydantic import Field

from omega.settings.base import Group


class SearchSettings(Group):
    """The index and how results are ranked (docs/search.md)."""

    qdrant_url: str | None = Field(default=None, description="Qdrant server; unset = Edge.")
    index_quantization: str = Field(
        default="int8", pattern="^(none|int8)$",
        description="int8: scalar-quantised copies for the graph walk, hits rescored with "
                    "the float vectors (recall within 0.01, a third to a half of the "
                    "search time; docs/vectors.md).")
    blend_alpha: float = Field(default=0.3, ge=0, description="Pull of co-view neighbours.")
    max_query_chars: int = Field(default=200, gt=0, description="Longest search query.")
    rank_weight_similarity: float = Field(default=0.6, ge=0,
                                          description="Search: weight of vector similarity.")
    rank_weight_popularity: float = Field(default=0.4, ge=0,
                                          description="Search: weight of the popularity prior.")
    rank_weight_trending: float = Field(default=0.1, ge=0,
                                        description="Search: weight of DP trending.")
    rank_genre_bonus: float = Field(default=0.05, ge=0,
                                    description="Search: bonus per genre the query asked for.")
    rank_weight_coview: float = Field(
        default=0.3, ge=0, description="'Like X' and recommendations: weight of released "
                                       "DP co-view edges from X.")
    rank_weight_popularity_like: float = Field(
        default=0.2, ge=0, description="'Like X' and recommendations: weight of popularity "
                                       "(who asks for films like X wants X's kin, not the "
                                       "most popular films).")
    rank_weight_genre_overlap: float = Field(
        default=0.3, ge=0, description="'Like X': weight of the share of X's main genres "
                                       "(without Drama and Comedy when X has others) a "
                                       "film has.")
    rank_weight_series: float = Field(
        default=0.3, ge=0, description="'Like X': weight of being in X's series ('Toy Story "
                                       "2' for 'Toy Story').")
    rank_weight_era: float = Field(
        default=0.1, ge=0, description="'Like X': weight of closeness in years to X (1 the "
                                       "same year, 0 at 20 years apart).")
    rank_weight_people: float = Field(
        default=0.1, ge=0, description="'Like X': weight of X's director, or the share of "
                                       "X's lead cast, in a film.")
    rank_similarity_floor: float = Field(
        default=0.45, ge=0, le=1,
        description="Search: below this similarity of the best result, a query of words "
                    "alone (no genre, person, year or title understood) fits nothing; the "
                    "API says so (metadata.nothingFits) and shows the closest 3.")
    rank_known_votes: int = Field(
        default=5000, ge=0, description="Search also retrieves the nearest titles with at "
                                        "least this many IMDb votes (MovieLens ratings × "
                                        "350), so the prior has well-known films to rank; "
                                        "0 = off.")
    rank_confidence_z: float = Field(
        default=2.0, gt=0, description="DP totals count only above their lower confidence "
                                       "bound, total − z·σ.")
    prior_votes_ref: float = Field(
        default=500_000, gt=1, description="IMDb votes that make the popularity prior 1.")
    prior_min_votes: float = Field(
        default=1_000, ge=0, description="m of the prior's Bayesian-average rating.")
    prior_mean_rating: float = Field(
        default=6.0, ge=0, le=10, description="C of the prior's Bayesian-average rating.")
    prior_rating_share: float = Field(
        default=0.25, ge=0, le=1, description="Share of the rating in the prior (the rest "
                                              "is log-scaled votes).")
    prior_volume_power: float = Field(
        default=2.0, gt=0, description="The prior's votes part is (log votes / log "
                                       "prior_votes_ref) to this power: higher favours the "
                                       "well-known more.")
