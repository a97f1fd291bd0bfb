"""Search, similar titles and recommendations: retrieval and blended scores (the words
that explain them: api/search/reasons.py).

score = w_sim · similarity + w_pop · popularity + w_trend · trending
        (+ w_coview · co-view + w_overlap · genre overlap, for "like X" and liked titles)
        (+ a small bonus per soft mood-genre match)

- similarity: cosine of the query and title vectors (MiniLM, blended with co-view).
- popularity: the public prior (IMDb votes and a Bayesian-average rating; MovieLens rating
  counts where IMDb has none), shrunk toward the DP TV total of the week only as far as
  that total stands above its noise: the weight of the DP evidence is lcb / (lcb + zσ),
  with lcb = total − zσ its lower confidence bound and σ the known noise of the sum.
  A title whose DP total is within the noise keeps its prior; noise never ranks.
- trending: the lower confidence bound of the DP TV total of the day, log-scaled against
  the largest one; 0 within the noise.
- co-view: each released "watched together" edge from an anchor (X, or a liked title),
  its lower confidence bound over a weighted geometric mean of the two titles' DP week
  totals (an asymmetric cosine of their audiences), against the anchor's strongest edge,
  times the film's share of the anchors' main genres.
- genre overlap: the share of X's main genres the title has (api/search/similar.py);
  series, era and people likewise.

Every card says which signal drove its score (`drivenBy`) and where its popularity came
from (`signals`). Weights live in settings (OMEGA_RANK_*); docs/search.md has the
measurements behind the defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from api.search.backends import TitleSearch
from api.search.cards import title_card
from api.search.query import QueryIntent, embedding_text
from api.search.reasons import Scored, match_reasons
from api.search.signals import Prior, Signals
from api.search.similar import (
    era_closeness,
    main_genre_share,
    main_genres,
    people_overlap,
    series_key,
)
from api.views import Views
from omega.dp.ranges import discrete_laplace_variance
from omega.index import Hit, TitleFilter
from omega.titles import (
    known_votes,
    normalize_title,
    title_payload,
)

COVIEW_POOL = 50  # released neighbours of an anchor taken into the candidate pool
RELATED_POOL = 30  # an anchor's series, director's and lead cast's films, best known first
# A co-view edge over (anchor total)^(1−β) · (neighbour total)^β: β = 0.5 is the cosine of
# the two audiences; β > 0.5 asks more of a popular neighbour (asymmetric cosine, as
# item-to-item recommenders correct for popularity), so a film everyone watches does not
# top every list.
COVIEW_POPULARITY_EXPONENT = 0.8


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Weights:
    similarity: float = 0.6
    popularity: float = 0.4
    trending: float = 0.1
    genre_bonus: float = 0.05
    coview: float = 0.3
    genre_overlap: float = 0.2
    anchored_popularity: float = 0.4  # popularity's weight for "like X" and liked titles
    series: float = 0.3  # the same series as an anchor (api/search/similar.py)
    era: float = 0.1  # years apart from the anchor, soft
    people: float = 0.1  # the anchor's director or lead cast


def intent_filter(intent: QueryIntent) -> TitleFilter | None:
    where = TitleFilter(genres=tuple(intent.genres), year_from=intent.year_from,
                        year_to=intent.year_to, min_rating=intent.min_rating,
                        runtime_max=intent.runtime_max, runtime_min=intent.runtime_min,
                        directors=tuple(k for k, _, role in intent.people if role == "director"),
                        cast=tuple(k for k, _, role in intent.people if role == "cast"),
                        awards=tuple(intent.awards))
    return None if where == TitleFilter() else where


class Ranker:
    def __init__(self, views: Views, index: TitleSearch, encoder: Encoder,
                 weights: Weights, prior: Prior | None = None,
                 edge_noise: Callable[[float], float] | None = None,
                 known_votes: int = 5000) -> None:
        self.views, self.index, self.encoder, self.weights = views, index, encoder, weights
        self.known_votes = known_votes  # 0: no second retrieval among well-known titles
        self.prior = prior or Prior()
        # ε of the released edges → their noise's standard deviation (api/state.py binds
        # omega.dp.accounting.pair_noise_std to the settings); default: Laplace, P = 10.
        self.edge_noise = edge_noise or (
            lambda epsilon: math.sqrt(discrete_laplace_variance(epsilon, 10)))
        self._signals: tuple[int, Signals] | None = None
        self._priors: dict[int, float] = {}

    def signals(self) -> Signals:
        """Popularity and trending, recomputed only when a new release arrived."""
        version = self.views.release_version
        if self._signals is None or self._signals[0] != version:
            self._signals = (version, Signals.from_views(self.views, self.prior.confidence_z))
        return self._signals[1]

    def public_prior(self, title_id: int) -> float:
        value = self._priors.get(title_id)
        if value is None:
            value = self._priors[title_id] = self.prior(self.views.titles.get(title_id, {}))
        return value

    def query_text(self, intent: QueryIntent) -> str | None:
        """The text to embed for `intent`; None when the like-title's vector is the query."""
        if intent.like_title_id is not None and self.index.vector(intent.like_title_id) is not None:
            return intent.text or None
        return embedding_text(intent)

    def query_vector(self, intent: QueryIntent, encoded: np.ndarray | None = None) -> np.ndarray:
        """The query's vector; `encoded` is `query_text`'s embedding when the caller has it."""
        text = self.query_text(intent)
        if text is not None and encoded is None:
            encoded = self.encoder.encode([text])[0]
        like = None if intent.like_title_id is None else self.index.vector(intent.like_title_id)
        if like is None:
            assert encoded is not None, "no like-title vector, so its text was embedded"
            return encoded
        if encoded is None:
            return like
        mixed = 0.7 * like + 0.3 * encoded
        return (mixed / np.linalg.norm(mixed)).astype(np.float32)

    def search(self, intent: QueryIntent, limit: int, extra: TitleFilter | None = None,
               encoded: np.ndarray | None = None) -> tuple[list[dict[str, Any]], bool]:
        """Ranked results with reasons; the flag says whether filters had to be relaxed."""
        vector = self.query_vector(intent, encoded)
        where = merge_filters(intent_filter(intent), extra)
        exclude = self.same_title(intent.like_title_id)
        pool = max(limit * 4, 40)
        hits = self.index.search(vector, pool, self.like_filter(intent, where), exclude)
        if self.known_votes and sum(1 for h in hits if known_votes(self.views.titles.get(
                h.title_id, {})) >= self.known_votes) < limit:
            # The nearest well-known titles too: the nearest 40 of 63,000 are mostly films
            # few have heard of, and the prior can only rank what retrieval brought. (Not
            # when the first retrieval already brought enough: a second index query is
            # a quarter of a search's CPU.)
            known = TitleFilter(**{**(where or TitleFilter()).__dict__,
                                   "min_known_votes": self.known_votes})
            seen = {h.title_id for h in hits}
            hits += [h for h in self.index.search(vector, pool // 2, known, exclude)
                     if h.title_id not in seen]
        relaxed = False
        if not hits and where is not None and extra is None:
            hits, relaxed = self.index.search(vector, pool, None, exclude), True
        soft = set(intent.mood_genres) | set(intent.genres)
        anchors = [] if intent.like_title_id is None else [intent.like_title_id]
        hits = self.with_coview(hits, anchors, vector, None if relaxed else where, exclude)
        hits = self.with_related(hits, anchors, vector, None if relaxed else where, exclude)
        return self.rank(hits, soft, intent, anchors=anchors, limit=limit), relaxed

    def like_filter(self, intent: QueryIntent, where: TitleFilter | None
                    ) -> TitleFilter | None:
        """For "like X" without a genre of its own: `where` within X's main genres, so the
        nearest vectors are films a viewer would file next to X."""
        if intent.like_title_id is None or intent.genres:
            return where
        genres = self.views.titles.get(intent.like_title_id, {}).get("genres") or []
        if not genres:
            return where
        return merge_filters(where, TitleFilter(genres=tuple(sorted(main_genres(genres)))))

    def with_related(self, hits: list[Hit], anchors: Sequence[int], vector: np.ndarray,
                     where: TitleFilter | None, exclude: set[int]) -> list[Hit]:
        """`hits` plus the anchors' series and the films of their director and lead cast
        (api/views.py `related`), best known first."""
        def related(anchor: int) -> list[int]:
            return sorted(self.views.related(anchor),
                          key=lambda t: (-known_votes(self.views.titles.get(t, {})), t))
        return self._joined(hits, anchors, related, RELATED_POOL, vector, where, exclude)

    def with_coview(self, hits: list[Hit], anchors: Sequence[int], vector: np.ndarray,
                    where: TitleFilter | None, exclude: set[int]) -> list[Hit]:
        """`hits` plus the anchors' released co-view neighbours: a pair TVs watched
        together need not be near in text."""
        def neighbours(anchor: int) -> list[int]:
            return [t for t, _ in self.views.watched_with(anchor, COVIEW_POOL)]
        return self._joined(hits, anchors, neighbours, COVIEW_POOL, vector, where, exclude)

    def _joined(self, hits: list[Hit], anchors: Sequence[int],
                candidates: Callable[[int], list[int]], pool: int, vector: np.ndarray,
                where: TitleFilter | None, exclude: set[int]) -> list[Hit]:
        """`hits` plus the first `pool` of each anchor's `candidates` not yet among them
        that pass `where`, each scored by its cosine to `vector`."""
        seen = {h.title_id for h in hits} | exclude
        extra = []
        for anchor in anchors:
            for title_id in [t for t in candidates(anchor) if t not in seen][:pool]:
                record = self.views.titles.get(title_id)
                if record is None or (where is not None
                                      and not where.matches(title_payload(record))):
                    continue
                seen.add(title_id)
                other = self.index.vector(title_id)
                extra.append(Hit(title_id, float(other @ vector) if other is not None
                                 else 0.0, {}))
        return hits + extra

    def same_title(self, title_id: int | None) -> set[int]:
        """The like-title and its remakes and duplicates: never recommend X for 'like X'."""
        if title_id is None:
            return set()
        name = self.views.titles.get(title_id, {}).get("title")
        same = {title_id}
        if name:
            same |= set(self.views.by_name.get(normalize_title(name), []))
        return same

    def coview_strengths(self, anchors: Sequence[int]) -> dict[int, tuple[float, int]]:
        """Title → (strength 0..1, anchor) over the anchors' released edges.

        An edge's strength is its lower confidence bound over a weighted geometric mean of
        the two titles' DP week totals (COVIEW_POPULARITY_EXPONENT), so that a blockbuster
        everyone watches is not every film's nearest neighbour. Scaled against the
        anchor's strongest edge."""
        sigma = self.edge_noise(self._edge_epsilon())
        z = self.prior.confidence_z
        week = self.signals().week
        out: dict[int, tuple[float, int]] = {}
        for anchor in anchors:
            own = max(week.lcb.get(anchor, 0.0), 1.0)
            edges = []
            for title_id, count in self.views.watched_with(anchor, 200):
                lcb = count - z * sigma
                if lcb > 0:
                    other = max(week.lcb.get(title_id, 0.0), lcb)
                    beta = COVIEW_POPULARITY_EXPONENT
                    edges.append((title_id, lcb / (max(own, lcb) ** (1 - beta) * other ** beta)))
            if not edges:
                continue
            top = max(cosine for _, cosine in edges)
            for title_id, cosine in edges:
                strength = cosine / top
                if strength > out.get(title_id, (0.0, 0))[0]:
                    out[title_id] = (strength, anchor)
        return out

    def _edge_epsilon(self) -> float:
        return self.views.edge_epsilon or 0.1

    def score(self, hits: Sequence[Hit], soft_genres: set[str], anchors: Sequence[int],
              coview: Mapping[int, tuple[float, int]]) -> list[Scored]:
        """Every hit's parts and score, best first; `coview` is `coview_strengths(anchors)`."""
        signals, w = self.signals(), self.weights
        anchor_records = [self.views.titles.get(a, {}) for a in anchors]
        anchor_main: set[str] = set()
        for record in anchor_records:
            anchor_main |= main_genres(record.get("genres", []))
        series = {series_key(r["title"]) for r in anchor_records if r.get("title")} - {None}
        scored = []
        for hit in hits:
            title_id = hit.title_id
            genres = set(self.views.titles.get(title_id, {}).get("genres", []))
            prior = self.public_prior(title_id)
            confidence = signals.week.confidence(title_id)
            popularity = prior + confidence * (signals.week.strength(title_id) - prior)
            parts = {"similarity": max(0.0, min(1.0, hit.score)), "popularity": popularity,
                     "trending": signals.day.strength(title_id)}
            weighted = {"similarity": w.similarity, "popularity": w.popularity,
                        "trending": w.trending}
            if anchors:
                record = self.views.titles.get(title_id, {})
                weighted["popularity"] = w.anchored_popularity
                parts["genreOverlap"] = main_genre_share(genres, anchor_main)
                # watched together, and of X's kind: a film everyone watches is co-viewed
                # with every film, so its edge counts only as far as it shares X's genres
                parts["coview"] = coview.get(title_id, (0.0, 0))[0] * parts["genreOverlap"]
                parts["series"] = float(series_key(record.get("title") or "") in series)
                parts["era"] = max(era_closeness(record.get("year"), a.get("year"))
                                   for a in anchor_records)
                parts["people"] = max(people_overlap(record, a) for a in anchor_records)
                weighted |= {"coview": w.coview, "genreOverlap": w.genre_overlap,
                             "series": w.series, "era": w.era, "people": w.people}
            shared = sorted(genres & soft_genres)
            contributions = {k: weighted[k] * parts[k] for k in weighted}
            total = sum(contributions.values()) + w.genre_bonus * min(len(shared), 2)
            signal_of = {"popularity": "public prior" if confidence == 0 else
                         f"DP TV viewing this week ({confidence:.0%}) and public prior",
                         "trending": "DP TV viewing today" if parts["trending"] > 0 else
                         "none: today's DP count is within its noise"}
            driven_by = max(contributions, key=lambda k: contributions[k])
            parts["prior"] = prior
            scored.append(Scored(title_id, round(total, 4), parts, signal_of, driven_by,
                                 shared))
        scored.sort(key=lambda s: (-s.score, s.title_id))
        return scored

    def rank(self, hits: Sequence[Hit], soft_genres: set[str],
             intent: QueryIntent | None = None, liked: Sequence[int] = (),
             limit: int | None = None, anchors: Sequence[int] = ()) -> list[dict[str, Any]]:
        """Score every hit, then build cards and reasons for the best `limit` only."""
        anchors = list(anchors) + [t for t in liked if t not in anchors]
        coview = self.coview_strengths(anchors) if anchors else {}
        scored = self.score(hits, soft_genres, anchors, coview)
        signals = self.signals()
        out = []
        for item in scored[:limit]:
            card = title_card(self.views, item.title_id)
            card["score"] = item.score
            card["scores"] = {k: round(v, 4) for k, v in item.parts.items()}
            card["signals"] = item.signals
            card["drivenBy"] = item.driven_by
            card["matchReasons"] = match_reasons(self.views, item, signals, intent, anchors,
                                                 coview)
            out.append(card)
        return out

def merge_filters(a: TitleFilter | None, b: TitleFilter | None) -> TitleFilter | None:
    if a is None or b is None:
        return a or b
    return TitleFilter(
        genres=a.genres or b.genres,
        year_from=max((y for y in (a.year_from, b.year_from) if y is not None), default=None),
        year_to=min((y for y in (a.year_to, b.year_to) if y is not None), default=None),
        min_rating=max((r for r in (a.min_rating, b.min_rating) if r is not None),
                       default=None),
        runtime_max=a.runtime_max or b.runtime_max, runtime_min=a.runtime_min or b.runtime_min,
        min_known_votes=a.min_known_votes or b.min_known_votes,
        directors=tuple(dict.fromkeys(a.directors + b.directors)),
        cast=tuple(dict.fromkeys(a.cast + b.cast)),
        awards=tuple(dict.fromkeys(a.awards + b.awards)))
