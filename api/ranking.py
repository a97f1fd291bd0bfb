"""Search, similar titles and recommendations: retrieval, blended scores, match reasons.

score = w_sim · similarity + w_pop · popularity + w_trend · trending (+ a small bonus per
soft genre match), with similarity the cosine of query and title vectors, popularity
the DP week total and trending the DP day total, each log-scaled to 0..1 against the
largest released total. Titles with no release count 0: below the DP threshold nothing
is known, and nothing is made up. Weights default to the seed product's 0.6/0.3/0.1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from api.query import QueryIntent, embedding_text
from api.views import Views
from omega.index import Hit, TitleFilter
from omega.titles import normalize_title

TRENDING_TOP = 20


class TitleSearch(Protocol):
    def search(self, vector: np.ndarray, limit: int, where: TitleFilter | None = None,
               exclude: set[int] | None = None) -> list[Hit]: ...
    def vector(self, title_id: int) -> np.ndarray | None: ...


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Weights:
    similarity: float = 0.6
    popularity: float = 0.3
    trending: float = 0.1
    genre_bonus: float = 0.05


@dataclass
class Signals:
    """DP popularity (week) and trending (day) totals, scaled 0..1."""

    week: dict[int, int]
    day: dict[int, int]
    top_week: list[int]  # the TRENDING_TOP titles with the largest totals, largest first
    top_day: list[int]
    # log1p of the largest total, the scale's top; worked out once per release, not once
    # per hit (a search scores 40+ hits against totals of up to the whole catalog).
    week_scale: float = 0.0
    day_scale: float = 0.0

    @classmethod
    def from_views(cls, views: Views) -> Signals:
        week, _ = views.totals("week")
        day, _ = views.totals("day")

        def top(totals: dict[int, int]) -> list[int]:
            ranked = sorted((t for t, c in totals.items() if c > 0),
                            key=lambda t: (-totals[t], t))
            return ranked[:TRENDING_TOP]

        def scale(totals: dict[int, int]) -> float:
            return math.log1p(max(max(totals.values(), default=0), 0))

        return cls(week, day, top(week), top(day), scale(week), scale(day))

    @staticmethod
    def _scaled(totals: dict[int, int], scale: float, title_id: int) -> float:
        count = totals.get(title_id, 0)
        if scale <= 0 or count <= 0:
            return 0.0
        return math.log1p(count) / scale

    def popularity(self, title_id: int) -> float:
        return self._scaled(self.week, self.week_scale, title_id)

    def trending(self, title_id: int) -> float:
        return self._scaled(self.day, self.day_scale, title_id)


def title_card(views: Views, title_id: int) -> dict[str, Any]:
    record = views.titles.get(title_id, {})
    return {"titleId": title_id, "title": record.get("title", f"title {title_id}"),
            "year": record.get("year"), "genres": record.get("genres", []),
            "rating": record.get("rating"), "votes": record.get("votes"),
            "runtimeMin": record.get("runtime_min"), "mpaa": record.get("mpaa")}


def intent_filter(intent: QueryIntent) -> TitleFilter | None:
    where = TitleFilter(genres=tuple(intent.genres), year_from=intent.year_from,
                        year_to=intent.year_to, min_rating=intent.min_rating,
                        runtime_max=intent.runtime_max, runtime_min=intent.runtime_min)
    return None if where == TitleFilter() else where


class Ranker:
    def __init__(self, views: Views, index: TitleSearch, encoder: Encoder,
                 weights: Weights) -> None:
        self.views, self.index, self.encoder, self.weights = views, index, encoder, weights
        self._signals: tuple[int, Signals] | None = None

    def signals(self) -> Signals:
        """Popularity and trending, recomputed only when a new release arrived."""
        version = self.views.release_version
        if self._signals is None or self._signals[0] != version:
            self._signals = (version, Signals.from_views(self.views))
        return self._signals[1]

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
        hits = self.index.search(vector, pool, where, exclude)
        relaxed = False
        if not hits and where is not None and extra is None:
            hits, relaxed = self.index.search(vector, pool, None, exclude), True
        soft = set(intent.mood_genres)
        if intent.like_title_id is not None:
            soft |= set(self.views.titles.get(intent.like_title_id, {}).get("genres", []))
        return self.rank(hits, soft, intent, limit=limit), relaxed

    def same_title(self, title_id: int | None) -> set[int]:
        """The like-title and its remakes and duplicates: never recommend X for 'like X'."""
        if title_id is None:
            return set()
        name = self.views.titles.get(title_id, {}).get("title")
        same = {title_id}
        if name:
            same |= set(self.views.by_name.get(normalize_title(name), []))
        return same

    def rank(self, hits: Sequence[Hit], soft_genres: set[str],
             intent: QueryIntent | None = None,
             liked: Sequence[int] = (), limit: int | None = None) -> list[dict[str, Any]]:
        """Score every hit, then build cards and reasons for the best `limit` only."""
        signals = self.signals()
        w = self.weights
        scored = []
        for hit in hits:
            genres = set(self.views.titles.get(hit.title_id, {}).get("genres", []))
            similarity = max(0.0, min(1.0, hit.score))
            popularity = signals.popularity(hit.title_id)
            trending = signals.trending(hit.title_id)
            shared = sorted(genres & soft_genres)
            score = round(w.similarity * similarity + w.popularity * popularity
                          + w.trending * trending + w.genre_bonus * min(len(shared), 2), 4)
            scored.append((-score, hit.title_id, similarity, popularity, trending, shared))
        scored.sort(key=lambda s: (s[0], s[1]))
        out = []
        for neg_score, title_id, similarity, popularity, trending, shared in scored[:limit]:
            card = title_card(self.views, title_id)
            card["score"] = -neg_score
            card["scores"] = {"similarity": round(similarity, 4),
                              "popularity": round(popularity, 4),
                              "trending": round(trending, 4)}
            card["matchReasons"] = self.reasons(title_id, similarity, shared, signals,
                                                intent, liked)
            out.append(card)
        return out

    def reasons(self, title_id: int, similarity: float, shared: list[str], signals: Signals,
                intent: QueryIntent | None, liked: Sequence[int]) -> list[str]:
        record = self.views.titles.get(title_id, {})
        reasons = [f"{round(similarity * 100)}% semantic match"] if similarity > 0 else []
        if intent is not None:
            reasons += [f"Genre: {g}" for g in intent.genres if g in record.get("genres", [])]
            if intent.period and record.get("year"):
                reasons.append(f"From {intent.period}: {record['year']}")
            if intent.min_rating is not None and record.get("rating") is not None:
                reasons.append(f"Highly rated: {record['rating']:.1f}/10")
            if intent.length and record.get("runtime_min"):
                reasons.append(f"Length: {record['runtime_min']} min")
            if intent.moods and shared:
                reasons.append(f"Mood {intent.moods[0]}: {', '.join(shared)}")
        anchors = list(liked)
        if intent is not None and intent.like_title_id is not None:
            anchors.append(intent.like_title_id)
        for anchor in anchors:
            together = dict(self.views.watched_with(anchor, limit=50))
            if title_id in together:
                reasons.append(f"Often watched with {self.views.display(anchor)}")
            elif shared and intent is not None and intent.like_title_id == anchor:
                reasons.append(f"Shares {', '.join(shared)} with {self.views.display(anchor)}")
        if title_id in signals.top_day:
            reasons.append("Trending today")
        elif title_id in signals.top_week:
            reasons.append("Trending this week")
        return reasons


def merge_filters(a: TitleFilter | None, b: TitleFilter | None) -> TitleFilter | None:
    if a is None or b is None:
        return a or b
    return TitleFilter(
        genres=a.genres or b.genres,
        year_from=max((y for y in (a.year_from, b.year_from) if y is not None), default=None),
        year_to=min((y for y in (a.year_to, b.year_to) if y is not None), default=None),
        min_rating=max((r for r in (a.min_rating, b.min_rating) if r is not None),
                       default=None),
        runtime_max=a.runtime_max or b.runtime_max, runtime_min=a.runtime_min or b.runtime_min)
