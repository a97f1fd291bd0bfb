"""One record per film: the catalog's records of a film its sources list under different
titles, merged (the step after numbering in omega/data/catalog.py).

The sources are first matched by exact normalised title and year, so MovieLens'
'X2: X-Men United' and 'Independence Day (a.k.a. ID4)' were films apart from IMDb's
'X2' and 'Independence Day'. Records are one film when a variant of one's title
(`omega.titles.title_variants`, rule by rule, surest first) names the others in its
year (a year either side for a film only vega lists: its year is a release date) and
they all agree: no source lists two of them (a source lists a film once, so records that
share one are a remake or a namesake), IMDb votes did not shrink tenfold, runtimes are
within a quarter, and a short is named by an alternative title. The survivor is the
record listed by the surest source (IMDb's ggplot2movies, then MovieLens, then vega) and
keeps its id; the others' ids are retired. Each field keeps the survivor's value, or
another's where the survivor has none; lists are joined; the fuller title is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from omega.titles import TITLE_RULES, normalize_title, title_fullness, title_variants

Record = dict[str, Any]
LISTINGS = ("ggplot2movies", "movielens", "vega-datasets")  # the sources that list films
SOURCE_ORDER = (*LISTINGS, "wikipedia", "oscars", "tmdb")
SCALARS = ("runtime_min", "mpaa", "movielens_id", "movielens_ratings", "director",
           "creative_type", "rt_rating", "overview", "poster_path")
LISTS = ("cast", "awards", "oscars", "keywords")
# IMDb votes only grow: vega's count (2010) this many times below ggplot2movies' (2005)
# is another film's (it may be far above: a 2005 film was counted in its first months)
VOTES_SHRINK = 10
RUNTIME_APART = 0.25  # runtimes this far apart (a share of the longer): two films


@dataclass
class MergeReport:
    """What a build merged beyond exact titles (records per rule of omega/titles.py), left
    out for want of a title (rows per source), and the ids both retired: what
    `omega-catalog` reports, and deletes from the catalog topic."""

    merged: Counter[str] = field(default_factory=Counter)
    dropped: Counter[str] = field(default_factory=Counter)
    retired: list[int] = field(default_factory=list)

    def line(self) -> str:
        """'700 merged (alternative title 608, …); 6 without a title left out (…)'."""
        def counts(counter: Counter[str]) -> str:
            return ", ".join(f"{name} {n:,}" for name, n in counter.most_common())
        return (f"{sum(self.merged.values()):,} records of films listed under another title "
                f"merged ({counts(self.merged) or 'none'}); "
                f"{sum(self.dropped.values()):,} without a title left out "
                f"({counts(self.dropped) or 'none'})")


def _listings(record: Record) -> set[str]:
    return set(record["sources"]) & set(LISTINGS)


def _rank(record: Record) -> tuple[int, int]:
    """Surest listing first, then the lower id: which of two twins survives."""
    return min(LISTINGS.index(s) for s in _listings(record)), record["title_id"]


def _names_index(records: Iterable[Record], variants: dict[int, dict[str, list[str]]]
                 ) -> dict[tuple[str, int | None], list[int]]:
    """Title ids by each full name a record goes under (its title and the alternative
    titles it gives) and its year."""
    index: dict[tuple[str, int | None], list[int]] = {}
    for record in records:
        names = [normalize_title(record["title"]),
                 *variants[record["title_id"]].get(TITLE_RULES[0], ())]
        for name in names:
            index.setdefault((name, record["year"]), []).append(record["title_id"])
    return index


def _agree(one: Record, other: Record, rule: str) -> bool:
    """Whether what both records know of their film agrees: no source lists both, IMDb
    votes did not shrink, runtimes are close where both have them, and a short (ggplot2's
    flag) is matched by an alternative title only: the looser rules drop words, and a
    short shares its name with features ('Dish' is not 'The Dish')."""
    if _listings(one) & _listings(other):
        return False
    old, new = sorted((one, other), key=lambda r: "ggplot2movies" not in r["sources"])
    if old["votes"] and new["votes"] and new["votes"] * VOTES_SHRINK < old["votes"]:
        return False
    runtimes = sorted(r["runtime_min"] for r in (one, other) if r["runtime_min"])
    if len(runtimes) == 2 and runtimes[1] - runtimes[0] > RUNTIME_APART * runtimes[1]:
        return False
    short = "Short" in one["genres"] or "Short" in other["genres"]
    return not short or rule == TITLE_RULES[0]


def _twins(record: Record, rule: str, names: list[str],
           index: dict[tuple[str, int | None], list[int]],
           film_of: Callable[[int], Record]) -> list[Record]:
    """The other records that `names` (the record's title's variants by `rule`) name and
    that agree with it, in its year, else one either side for a vega-only film. Several
    are one film too when they all agree with each other (IMDb's, MovieLens' and vega's
    'March of the Penguins'); when two of them do not, none is taken: a namesake or a
    remake is not merged on a guess."""
    year = record["year"]
    years = (year,) if year is None or _listings(record) != {"vega-datasets"} else (
        year, year - 1, year + 1)
    for at in years:
        found = {film_of(i)["title_id"]: film_of(i)
                 for name in names for i in index.get((name, at), ())}
        found.pop(record["title_id"], None)
        others = [f for f in found.values() if _agree(record, f, rule)]
        if all(_agree(a, b, rule) for i, a in enumerate(others) for b in others[i + 1:]):
            if others:
                return others
        else:
            return []
    return []


def _absorb(survivor: Record, other: Record) -> None:
    """The other record's fields where the survivor has none; lists and sources joined."""
    if title_fullness(other["title"]) > title_fullness(survivor["title"]):
        survivor["title"] = other["title"]
    if survivor["year"] is None:
        survivor["year"] = other["year"]
    if survivor["votes"] is None and other["votes"] is not None:
        survivor["votes"], survivor["rating"] = other["votes"], other["rating"]
    for name in SCALARS:
        if survivor[name] is None:
            survivor[name] = other[name]
    for name in LISTS:
        survivor[name] = survivor[name] + [v for v in other[name] if v not in survivor[name]]
    survivor["genres"] = sorted(set(survivor["genres"]) | set(other["genres"]))
    survivor["sources"] = sorted(set(survivor["sources"]) | set(other["sources"]),
                                 key=lambda s: (SOURCE_ORDER + (s,)).index(s))


def merge_twins(records: list[Record], report: MergeReport | None = None) -> list[Record]:
    """The records, ordered by id, with each film's twins merged into one and the records
    without a title left out; `report` counts both. Rule by rule, surest first: a title's
    own alternative title outranks another film's looser claim ('187: Documented' does
    not take 'One Eight Seven', whose MovieLens title is '187 (One Eight Seven)')."""
    report = report if report is not None else MergeReport()
    titled = [r for r in records if r["title"] is not None]
    variants = {r["title_id"]: dict(title_variants(r["title"])) for r in titled}
    index = _names_index(titled, variants)
    by_id = {r["title_id"]: r for r in records}
    merged_into: dict[int, int] = {}

    def film_of(title_id: int) -> Record:
        while title_id in merged_into:
            title_id = merged_into[title_id]
        return by_id[title_id]

    for rule in TITLE_RULES:
        for record in titled:
            names = variants[record["title_id"]].get(rule)
            if not names or record["title_id"] in merged_into:
                continue
            film = [record, *_twins(record, rule, names, index, film_of)]
            survivor, *others = sorted(film, key=_rank)
            for other in others:
                _absorb(survivor, other)
                merged_into[other["title_id"]] = survivor["title_id"]
                report.merged[rule] += 1
    for record in records:
        if record["title"] is None:
            report.dropped[record["sources"][0]] += 1
            report.retired.append(record["title_id"])
        elif record["title_id"] in merged_into:
            report.retired.append(record["title_id"])
    return [r for r in titled if r["title_id"] not in merged_into]
