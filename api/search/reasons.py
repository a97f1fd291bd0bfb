"""Why a result is there, in words: "Directed by Steven Spielberg", "Oscar, Best Actor:
Tom Hanks (1995)", "Often watched with Toy Story (1995)", "Same series as Toy Story
(1995)", "Trending on TVs today", "Popular: 250K IMDb votes". Each says a fact the
result's scored parts (`Scored`) or the catalog hold, nothing more."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.search.awards import award_reasons
from api.search.query import QueryIntent
from api.search.signals import Signals
from api.search.similar import series_key, shared_people
from api.views import Views
from omega.titles import person_key


@dataclass
class Scored:
    title_id: int
    score: float
    parts: dict[str, float]
    signals: dict[str, str]  # where popularity and trending came from
    driven_by: str  # the part that added most to the score
    shared: list[str]


def _thousands(n: float) -> str:
    return f"{n / 1e6:.1f}M" if n >= 1e6 else f"{n / 1e3:.0f}K" if n >= 1e4 else f"{n:,.0f}"


def kin_reasons(views: Views, record: dict[str, Any], parts: Mapping[str, float],
                anchors: Sequence[int]) -> list[str]:
    """'Same series as Toy Story (1995)', 'Also directed by Michael Mann'."""
    out = []
    for anchor in anchors:
        mine = views.titles.get(anchor, {})
        if parts.get("series") and series_key(mine.get("title") or "") == series_key(
                record.get("title") or ""):
            out.append(f"Same series as {views.display(anchor)}")
        if parts.get("people") and (shared := shared_people(record, mine)):
            out.append(shared)
        if out:
            break
    return out


def match_reasons(views: Views, item: Scored, signals: Signals, intent: QueryIntent | None,
                  anchors: Sequence[int], coview: Mapping[int, tuple[float, int]]) -> list[str]:
    """Why a result is there, in words, from its scored parts and the query."""
    title_id, parts = item.title_id, item.parts
    record = views.titles.get(title_id, {})
    similarity = parts["similarity"]
    reasons = [f"{round(similarity * 100)}% semantic match"] if similarity > 0 else []
    if intent is not None:
        for key, name, role in intent.people:
            if role == "director" and record.get("director") and key == person_key(
                    record["director"]):
                reasons.append(f"Directed by {name}")
            elif role == "cast" and key in {person_key(c) for c in record.get("cast") or ()}:
                reasons.append(f"Starring {name}")
        reasons += award_reasons(intent.awards, record.get("awards") or [])
        reasons += [f"Genre: {g}" for g in intent.genres if g in record.get("genres", [])]
        if intent.period and record.get("year"):
            reasons.append(f"From {intent.period}: {record['year']}")
        if intent.min_rating is not None and record.get("rating") is not None:
            reasons.append(f"Highly rated: {record['rating']:.1f}/10")
        if intent.length and record.get("runtime_min"):
            reasons.append(f"Length: {record['runtime_min']} min")
        if intent.moods and item.shared:
            reasons.append(f"Mood {intent.moods[0]}: {', '.join(item.shared)}")
    if parts.get("coview", 0) > 0 and title_id in coview:  # gated out when no genre shared
        reasons.append(f"Often watched with {views.display(coview[title_id][1])}")
    reasons += kin_reasons(views, record, parts, anchors)
    for anchor in anchors:
        shared = sorted(set(record.get("genres", []))
                        & set(views.titles.get(anchor, {}).get("genres", [])))
        if shared and intent is not None and intent.like_title_id == anchor:
            reasons.append(f"Shares {', '.join(shared)} with {views.display(anchor)}")
    if title_id in signals.top_day:
        reasons.append("Trending on TVs today")
    elif title_id in signals.top_week:
        reasons.append("Trending on TVs this week")
    votes = record.get("votes") or 0
    if votes >= 10_000:
        reasons.append(f"Popular: {_thousands(votes)} IMDb votes")
    elif (record.get("movielens_ratings") or 0) >= 50:
        reasons.append(f"Popular on MovieLens: {record['movielens_ratings']} ratings")
    return reasons
