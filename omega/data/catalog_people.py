"""Who is in a film and which Oscars it was up for: the vendored Wikipedia cast lists and
the Academy Award nominations (omega/data/vendored.py), merged onto the catalog's films.

Neither source adds a film: a row whose film the catalog lacks is left out, so ids and
the film count stay as the listing sources make them. A row matches a film by normalised
title (its own, or an alternative title it gives: MovieLens' 'Lives of Others, The (Das
leben der Anderen)' is 'The Lives of Others') and year, or a year either side (a
festival year against a release year); of namesakes in one year, the best known. A
looser name (no leading article, no subtitle, no spaces) counts only in the row's own
year and when one film has it. Both merges run before the listing is numbered and
twins are merged (omega/data/catalog.py), and change no title or year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from omega.titles import (
    ACTING_CATEGORIES,
    TITLE_RULES,
    known_votes,
    normalize_title,
    person_key,
    title_variants,
)

Record = dict[str, Any]

# Wikipedia's genres that are one of the catalog's (MovieLens') genres, or wholly inside
# one; the rest (Biography, Historical, Sports, Spy, Teen…) have none and are not added,
# nor is 'Short' (ggplot2's flag, which decides how omega/data/twins.py may merge a film)
WIKIPEDIA_GENRES = {"Action": "Action", "Adventure": "Adventure", "Animated": "Animation",
                    "Comedy": "Comedy", "Crime": "Crime", "Documentary": "Documentary",
                    "Drama": "Drama", "Family": "Children", "Fantasy": "Fantasy",
                    "Horror": "Horror", "Musical": "Musical", "Mystery": "Mystery",
                    "Noir": "Film-Noir", "Romance": "Romance", "Science Fiction": "Sci-Fi",
                    "Slasher": "Horror", "Superhero": "Action", "Thriller": "Thriller",
                    "War": "War", "Western": "Western"}

# The Academy's canonical category names (DLu/oscar_data's CanonicalCategory, which
# already folds 'ACTOR' into 'ACTOR IN A LEADING ROLE', 'OUTSTANDING PICTURE' and 'BEST
# MOTION PICTURE' into 'BEST PICTURE'…) as a viewer says them; the black-and-white and
# colour halves of a craft award are one category
CATEGORY_NAMES = {
    "BEST PICTURE": "Best Picture",
    "DIRECTING": "Best Director",
    "DIRECTING (Comedy Picture)": "Best Director",
    "DIRECTING (Dramatic Picture)": "Best Director",
    "ACTOR IN A LEADING ROLE": "Best Actor",
    "ACTRESS IN A LEADING ROLE": "Best Actress",
    "ACTOR IN A SUPPORTING ROLE": "Best Supporting Actor",
    "ACTRESS IN A SUPPORTING ROLE": "Best Supporting Actress",
    "WRITING (Original Screenplay)": "Best Original Screenplay",
    "WRITING (Adapted Screenplay)": "Best Adapted Screenplay",
    "WRITING (Original Story)": "Best Original Story",
    "WRITING (Title Writing)": "Best Title Writing",
    "ANIMATED FEATURE FILM": "Best Animated Feature",
    "INTERNATIONAL FEATURE FILM": "Best International Feature Film",
    "SPECIAL FOREIGN LANGUAGE FILM AWARD": "Best International Feature Film",
    "DOCUMENTARY (Feature)": "Best Documentary Feature",
    "DOCUMENTARY (Short Subject)": "Best Documentary Short",
    "SHORT FILM (Animated)": "Best Animated Short",
    "SHORT FILM (Live Action)": "Best Live Action Short",
    "UNIQUE AND ARTISTIC PICTURE": "Best Unique and Artistic Picture",
    "CINEMATOGRAPHY": "Best Cinematography",
    "FILM EDITING": "Best Film Editing",
    "ART DIRECTION": "Best Production Design",
    "COSTUME DESIGN": "Best Costume Design",
    "MAKEUP AND HAIRSTYLING": "Best Makeup and Hairstyling",
    "MUSIC (Original Score)": "Best Original Score",
    "MUSIC (Original Song)": "Best Original Song",
    "MUSIC (Original Song Score or Adaptation Score)": "Best Musical or Adaptation Score",
    "SOUND MIXING": "Best Sound",
    "SOUND RECORDING": "Best Sound",
    "SOUND EDITING": "Best Sound Editing",
    "VISUAL EFFECTS": "Best Visual Effects",
    "ASSISTANT DIRECTOR": "Best Assistant Director",
    "DANCE DIRECTION": "Best Dance Direction",
    "CASTING": "Best Casting",
}
ACTING = ACTING_CATEGORIES
# categories whose award is the film's own: its card names no one
FILM_CATEGORIES = ("Best Picture", "Best Animated Feature", "Best International Feature Film",
                   "Best Documentary Feature", "Best Documentary Short", "Best Animated Short",
                   "Best Live Action Short", "Best Short Subject",
                   "Best Unique and Artistic Picture")
LEADING = ("Best Picture", "Best Director", *ACTING, "Best Original Screenplay",
           "Best Adapted Screenplay", "Best Animated Feature", "Best International Feature Film",
           "Best Documentary Feature")
# the ceremonies not held in the year after their films' (1 = 1929): later, n + 1928
CEREMONY_YEARS = {1: 1929, 2: 1930, 3: 1930, 4: 1931, 5: 1932}


def category_name(canonical: str) -> str:
    """'ACTOR IN A LEADING ROLE' → 'Best Actor'; a category named nowhere above keeps its
    words ('SHORT SUBJECT (Comedy)' → 'Best Short Subject', 'HONORARY AWARD' →
    'Honorary Award')."""
    base = canonical.split(" (")[0]  # 'CINEMATOGRAPHY (Color)': one with its B&W half
    if canonical in CATEGORY_NAMES or base in CATEGORY_NAMES:
        return CATEGORY_NAMES.get(canonical) or CATEGORY_NAMES[base]
    if base == "SHORT SUBJECT":
        return "Best Short Subject"
    return base.title().replace(" And ", " and ").replace(" Of ", " of ")


def ceremony_year(ceremony: int) -> int:
    """The year the `ceremony`-th Academy Awards were held (66 → 1994)."""
    return CEREMONY_YEARS.get(ceremony, ceremony + 1928)


def _compact(name: str) -> str:
    """A normalised name without spaces or 'and': 'Good Fellas' is 'Goodfellas', 'Fanny &
    Alexander' is 'Fanny and Alexander'."""
    return "".join(word for word in name.split() if word != "and")


def _names(title: str) -> tuple[list[str], list[str]]:
    """A title's normalised name and alternative titles, then its looser names (without
    a leading article or a subtitle; compacted). Not without a possessive credit: across
    sources "Craig's Wife" and "The Farmer's Wife" would both be 'wife'."""
    sure, loose = [normalize_title(title)], []
    for rule, names in title_variants(title):
        if rule == TITLE_RULES[0]:
            sure.extend(names)
        elif rule != "possessive credit":
            loose.extend(names)
    loose += [_compact(n) for n in (*sure, *loose)]
    return sure, loose


class TitleIndex:
    """The catalog's titled films by (name, year): by their own title, by the alternative
    titles they give, and by their looser names (`_names`), in that order of trust."""

    def __init__(self, films: Iterable[Record]) -> None:
        self.tables: tuple[dict[tuple[str, int], list[Record]], ...] = ({}, {}, {})
        for film in films:
            if film["title"] is None or film["year"] is None:
                continue
            (own, *alternative), loose = _names(film["title"])
            for table, names in zip(self.tables, ([own], alternative, loose), strict=True):
                for name in dict.fromkeys(names):
                    table.setdefault((name, film["year"]), []).append(film)

    def find(self, title: str, years: Sequence[int]) -> Record | None:
        """The film called `title` (or one of its names) in the first of `years` that has
        one: of namesakes by a sure name the best known; by a looser name only one film,
        and only in the first year ('Killer!' of 1990 is not 1989's 'The Killer')."""
        sure, loose = _names(title)
        for year in years:
            for table in self.tables:
                looser = table is self.tables[2]
                if looser and year != years[0]:
                    continue
                for name in (*sure, *(loose if looser else ())):
                    films = table.get((name, year))
                    if films and (not looser or len(films) == 1):
                        return max(films, key=known_votes)  # the first listed of equals
        return None


def _add_cast(film: Record, names: Iterable[str], first: bool = False) -> None:
    """Names added to the film's cast, after it (or before it: a billing order), each
    person once."""
    ordered = [*names, *film["cast"]] if first else [*film["cast"], *names]
    people = {person_key(n): n for n in reversed(ordered) if n}
    film["cast"] = list(dict.fromkeys(people[person_key(n)] for n in ordered if n))


def _add_source(film: Record, source: str) -> None:
    if source not in film["sources"]:
        film["sources"] = film["sources"] + [source]


def merge_wikipedia(index: TitleIndex, rows: Iterable[Record]) -> int:
    """Lead cast (in billing order, ahead of the Oscar nominees already there), director
    where the film has none, and genres that map onto the catalog's (WIKIPEDIA_GENRES),
    from Wikipedia's film lists. Exact years first, then a year either side for the rows
    still unmatched, onto films no row took; a title listed twice in one year is two
    films, and neither is matched. Returns how many films were matched."""
    rows = list(rows)
    listed: dict[tuple[str, int], int] = {}
    for row in rows:
        key = (normalize_title(row["title"]), row["year"])
        listed[key] = listed.get(key, 0) + 1
    rows = [r for r in rows if listed[(normalize_title(r["title"]), r["year"])] == 1]
    taken: set[int] = set()
    for offsets in ((0,), (-1, 1)):
        unmatched = []
        for row in rows:
            film = index.find(row["title"], [row["year"] + d for d in offsets])
            if film is None or id(film) in taken:
                unmatched.append(row)
                continue
            taken.add(id(film))
            _add_cast(film, row["cast"], first=True)
            film["director"] = film["director"] or row["director"]
            genres = {WIKIPEDIA_GENRES[g] for g in row["genres"] if g in WIKIPEDIA_GENRES}
            film["genres"] = sorted(set(film["genres"]) | genres)
            _add_source(film, "wikipedia")
        rows = unmatched
    return len(taken)


def merge_oscars(index: TitleIndex, rows: Iterable[Record]) -> int:
    """Every Academy Award nomination onto its film (of the nomination's film year, a year
    either side, or two before: a foreign film reaches US cinemas late), as `oscars`
    entries; acting nominees join the cast, and a Best Director nominee becomes the
    director of a film that has none. Returns how many nominations matched a film."""
    matched = 0
    for row in rows:
        year = row["year_film"]
        film = index.find(row["film"], (year, year - 1, year + 1, year - 2))
        if film is None:
            continue
        matched += 1
        category = category_name(row["category"])
        nominees = list(row["nominees"])
        entry = {"ceremony": row["ceremony"], "ceremony_year": ceremony_year(row["ceremony"]),
                 "category": category, "name": ", ".join(nominees), "nominees": nominees,
                 "won": bool(row["winner"])}
        if entry not in film["oscars"]:
            film["oscars"] = film["oscars"] + [entry]
        if category in ACTING:
            _add_cast(film, nominees)
        if category == "Best Director" and nominees and not film["director"]:
            film["director"] = nominees[0]
        _add_source(film, "oscars")
    return matched


def _oscar_order(entry: Record) -> tuple[Any, ...]:
    """Wins first, then the leading categories in their usual order, then the rest."""
    category = entry["category"]
    rank = LEADING.index(category) if category in LEADING else len(LEADING)
    return (not entry["won"], rank, category, entry["ceremony"], entry["name"])


def sorted_oscars(oscars: Iterable[Record]) -> list[Record]:
    """A film's nominations as its card lists them: wins first (_oscar_order)."""
    return sorted(oscars, key=_oscar_order)


def award_line(entry: Record) -> str:
    """How a card shows one nomination: 'Oscar, Best Picture (1973)', 'Oscar, Best
    Director: Steven Spielberg (1994)', 'Oscar nominee, Best Actor: Al Pacino (1973)';
    the year is the ceremony's."""
    what = "Oscar" if entry["won"] else "Oscar nominee"
    who = "" if entry["category"] in FILM_CATEGORIES or not entry["name"] else (
        f": {entry['name']}")
    return f"{what}, {entry['category']}{who} ({entry['ceremony_year']})"


def award_lines(oscars: Iterable[Record]) -> list[str]:
    """The `awards` a card shows, wins first, from a film's `oscars` entries."""
    return [award_line(e) for e in sorted_oscars(oscars)]
