"""Materialized views the API answers from, kept up to date from Kafka by one thread
(api/follower.py).

Everything here is public catalog data or a DP release: the catalog, trend releases
(TV and web), released co-view edges, title vectors. Nothing per device is read.

A tombstone on the catalog topic retires a title id (a twin merged into another record,
omega/data/twins.py; ids are never reused): the title leaves every view, its vector leaves
the index, and its trend counts and co-view edges are no longer shown.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from api.search.replica import VectorReplica
from api.search.similar import LEAD_CAST, series_key
from omega.dp.above_noise import noise_threshold
from omega.dp.ranges import RANGES_MS, range_totals
from omega.titles import display_title, normalize_title, person_key, title_payload
from omega.validation import DeltaLimits, DeltaRejected, WatchedTitle

log = logging.getLogger(__name__)

Record = dict[str, Any]
RARE_TITLE_WORD = 25  # a bare surname in fewer titles than this names its person


@dataclass
class Views:
    """The state; read by request threads, written by `ViewFollower` under `lock`."""

    replica: VectorReplica | None
    lock: threading.RLock = field(default_factory=threading.RLock)
    titles: dict[int, Record] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)
    releases: dict[str, list[Record]] = field(default_factory=lambda: defaultdict(list))
    edges: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    searches: list[Record] = field(default_factory=list)  # released trending searches
    # people the sources know: person key → (display name, roles), and surname → keys
    people: dict[str, tuple[str, Counter[str]]] = field(default_factory=dict)
    surnames: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    title_words: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # "like X" candidates beyond the vector's: a series (api/search/similar.py) and a director
    # or lead actor → their titles
    by_series: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_person: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    latest_year: int | None = None
    # The highest id seen: a bound while the catalog loads. Ids have gaps (retired ids),
    # so once it is read a title is known by `titles` itself (`check_titles`).
    max_title_id: int = 0
    retired: set[int] = field(default_factory=set)  # ids whose catalog tombstone was read
    catalog_version: int = 0
    edge_epsilon: float | None = None  # ε of the released edges (their noise's scale)
    skipped: int = 0
    caught_up: bool = False
    release_version: int = 0
    _totals: dict[tuple[str, str], tuple[int, Any]] = field(default_factory=dict)
    _genres: tuple[int, list[str]] = (0, [])

    # -- catalog ------------------------------------------------------------------------
    def add_title(self, record: Record) -> None:
        with self.lock:
            title_id = record["title_id"]
            old = self.titles.get(title_id)
            if old is not None:
                name = normalize_title(old["title"])
                self.by_name[name] = [i for i in self.by_name.get(name, []) if i != title_id]
                self._relate(title_id, old, add=False)
            self.titles[title_id] = record
            self.retired.discard(title_id)
            self.catalog_version += 1
            self.max_title_id = max(self.max_title_id, title_id)
            ids = self.by_name.setdefault(normalize_title(record["title"]), [])
            ids.append(title_id)
            ids.sort(key=lambda i: (-(self.titles[i].get("votes") or 0),
                                    self.titles[i].get("movielens_id") is None, i))
            if old is None:
                for word in set(normalize_title(record["title"]).split()):
                    self.title_words[word] += 1
            self._add_people(record)
            self._relate(title_id, record, add=True)
            year = record.get("year")
            if year is not None and (self.latest_year is None or year > self.latest_year):
                self.latest_year = year
        if self.replica is not None:
            self.replica.set_payload(title_id, title_payload(record))

    def remove_title(self, title_id: int) -> None:
        """A catalog tombstone: the id is retired. (The people index keeps the names: a
        merged twin's people are its surviving record's.)"""
        with self.lock:
            self.retired.add(title_id)
            old = self.titles.pop(title_id, None)
            if old is not None:
                name = normalize_title(old["title"])
                self.by_name[name] = [i for i in self.by_name.get(name, []) if i != title_id]
                self._relate(title_id, old, add=False)
                for word in set(name.split()):
                    self.title_words[word] -= 1
                self.catalog_version += 1
            for other in self.edges.pop(title_id, {}):
                self.edges[other].pop(title_id, None)
            self.release_version += 1  # the trend totals drop its counts
        if self.replica is not None:
            self.replica.remove([title_id])

    def delta_limits(self, limits: DeltaLimits) -> DeltaLimits:
        """`limits` with title ids up to the highest the catalog has issued."""
        if self.max_title_id > limits.title_universe_size:
            return replace(limits, title_universe_size=self.max_title_id)
        return limits

    def check_titles(self, watched: Iterable[WatchedTitle]) -> None:
        """Refuse ids the catalog does not hold (retired or never issued) once it is read;
        while it loads, `delta_limits` bounds them."""
        if not self.caught_up or not self.titles:
            return
        for index, title in enumerate(watched):
            if title.title_id not in self.titles:
                why = ("retired: its film was merged into another id"
                       if title.title_id in self.retired else "never issued")
                raise DeltaRejected(
                    "unknown_title", f"delta.titles[{index}].title_id is {title.title_id}, "
                    f"not in the catalog ({why}); send the delta without it")

    def resolve(self, phrase: str) -> tuple[int, str] | None:
        """The best-known catalog title called `phrase` (most votes), or None."""
        key = normalize_title(phrase)
        if not key:
            return None
        ids = self.by_name.get(key) or (self.by_name.get(f"the {key}") if
                                        not key.startswith("the ") else None)
        if not ids:
            return None
        return ids[0], self.display(ids[0])

    def _relate(self, title_id: int, record: Record, add: bool) -> None:
        keys = [(self.by_series, series_key(record["title"]))]
        keys += [(self.by_person, person_key(n)) for n in
                 [record.get("director"), *(record.get("cast") or [])[:LEAD_CAST]] if n]
        for index, key in keys:
            if key and add:
                index[key].add(title_id)
            elif key:
                index.get(key, set()).discard(title_id)

    def related(self, title_id: int) -> set[int]:
        """Titles of X's series, by X's director, or with X's lead cast: candidates for
        "like X" that its vector may not reach."""
        record = self.titles.get(title_id)
        if record is None:
            return set()
        out = set(self.by_series.get(series_key(record["title"]) or "", ()))
        for name in [record.get("director"), *(record.get("cast") or [])[:LEAD_CAST]]:
            if name:
                out |= self.by_person.get(person_key(name), set())
        out.discard(title_id)
        return out

    def _add_people(self, record: Record) -> None:
        named = [(record["director"], "director")] if record.get("director") else []
        named += [(name, "cast") for name in record.get("cast") or ()]
        for name, role in named:
            key = person_key(name)
            if not key:
                continue
            roles = self.people.setdefault(key, (name, Counter()))[1]
            roles[role] += 1
            self.surnames[key.split()[-1]].add(key)

    def person(self, phrase: str, role: str | None = None) -> tuple[str, str, str] | None:
        """The person a phrase names, as (key, name, role): a full name, or a surname that
        names one known person (in `role`, when a cue asks for one), or one with three
        times the films of any other of that name ("Hitchcock": Alfred, not Patricia).
        Without a cue (`role` None) a one-word name must be rare in titles ("Spielberg"
        yes, "Stone" or the singer "Rain" no). The role is `role` when the sources know
        them in it, else the one they have most films in (an actor who directed once is
        an actor)."""
        key = person_key(phrase)
        rare = self.title_words.get(key, 0) < RARE_TITLE_WORD
        found = self.people.get(key)
        if found is not None and " " not in key and role is None and not rare:
            found = None
        if found is None and " " not in key and len(key) >= 4 and (role is not None or rare):
            resolved = self._by_surname(key, role)
            if resolved is not None:
                key, found = resolved, self.people[resolved]
        if found is None:
            return None
        name, roles = found
        chosen = role if role is not None and role in roles else max(
            roles, key=lambda r: (roles[r], r == "director"))
        return key, name, chosen

    def _by_surname(self, surname: str, role: str | None) -> str | None:
        keys = [k for k in self.surnames.get(surname, ()) if role is None
                or role in self.people[k][1]]
        films = sorted(((sum(self.people[k][1].values()), k) for k in keys), reverse=True)
        if len(films) == 1 or (len(films) > 1 and films[0][0] >= 3 * films[1][0]):
            return films[0][1]
        return None

    def display(self, title_id: int) -> str:
        record = self.titles.get(title_id)
        return f"title {title_id}" if record is None else display_title(record)

    # -- releases -----------------------------------------------------------------------
    def add_release(self, record: Record) -> None:
        with self.lock:
            self.releases[record.get("source", "tv")].append(record)
            self.release_version += 1

    def totals(self, span: str, source: str = "tv") -> tuple[dict[int, int], dict[str, Any]]:
        """Each title's noisy device counts summed over the last day or week of released
        windows: device-windows, not devices; with the span's noise threshold and the titles
        at or above it, highest first (omega/dp/above_noise.py). Computed once per new
        release, not per request."""
        cached = self._totals.get((span, source))
        if cached is not None and cached[0] == self.release_version:
            result: tuple[dict[int, int], dict[str, Any]] = cached[1]
            return result
        version = self.release_version
        result = self._compute_totals(span, source)
        self._totals[(span, source)] = (version, result)
        return result

    def _compute_totals(self, span: str, source: str) -> tuple[dict[int, int], dict[str, Any]]:
        with self.lock:
            releases = list(self.releases.get(source, ()))
        if not releases:
            return {}, {"windows": 0, "from": None, "to": None}
        end = max(r["window_end_ms"] for r in releases)
        start = end - RANGES_MS[span]
        totals = range_totals(releases, start, end)
        for title_id in [t for t in totals if t in self.retired]:
            del totals[title_id]
        windows = {r["window_start_ms"] for r in releases if r["window_start_ms"] >= start}
        first = releases[-1]
        threshold = noise_threshold(len(windows), first["epsilon"], first["sensitivity"],
                                    max(len(totals), 1))
        above = sorted(((t, c) for t, c in totals.items() if c >= threshold),
                       key=lambda tc: (-tc[1], tc[0]))
        return dict(totals), {"windows": len(windows), "from": start, "to": end,
                              "windowMs": first["window_end_ms"] - first["window_start_ms"],
                              "epsilonPerWindow": first["epsilon"],
                              "sensitivity": first["sensitivity"], "titles": len(totals),
                              "threshold": threshold, "aboveNoise": above}

    # -- trending searches --------------------------------------------------------------
    def add_search_release(self, record: Record) -> None:
        with self.lock:
            self.searches.append(record)

    def search_totals(self, span: str, limit: int = 10) -> tuple[list[tuple[str, int]], int,
                                                                   float | None]:
        """The released searches of the span's windows, by summed noisy session count;
        with the number of windows that released any, and their ε."""
        with self.lock:
            releases = list(self.searches)
        if not releases:
            return [], 0, None
        end = max(r["window_end_ms"] for r in releases)
        totals = range_totals(releases, end - RANGES_MS[span], end, key="query")
        windows = {r["window_start_ms"] for r in releases
                   if r["window_start_ms"] >= end - RANGES_MS[span]}
        ranked = sorted(totals.items(), key=lambda qc: (-qc[1], qc[0]))[:limit]
        return ranked, len(windows), releases[-1]["epsilon"]

    def genres(self) -> list[str]:
        """The catalog's genres (recomputed only when the catalog has grown)."""
        with self.lock:
            if self._genres[0] != self.catalog_version:
                self._genres = (self.catalog_version, sorted(
                    {g for r in self.titles.values() for g in r.get("genres") or ()}))
            return self._genres[1]

    # -- co-view edges ------------------------------------------------------------------
    def add_edge(self, record: Record) -> None:
        a, b, count = record["title_a"], record["title_b"], record["noisy_count"]
        with self.lock:
            if a in self.retired or b in self.retired:
                return
            self.edges[a][b] = self.edges[b][a] = count
            self.edge_epsilon = record["epsilon"]

    def watched_with(self, title_id: int, limit: int = 10) -> list[tuple[int, int]]:
        with self.lock:
            neighbours = dict(self.edges.get(title_id, {}))
        ranked = sorted(neighbours.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(t, c) for t, c in ranked if c > 0][:limit]
