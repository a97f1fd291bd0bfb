"""Regenerates the vendored catalog sources in omega/data/vendor/ from checkouts of their public
repositories (never run by the build: the files are committed; omega/data/vendor/ATTRIBUTION.md
says which commits they come from).

    python -m omega.data.vendor_build --wikipedia path/to/wikipedia-movie-data \\
        --oscars path/to/oscar_data [--out omega/data/vendor]

prints each file's SHA-256, to pin in omega/data/vendored.py. The output is deterministic: rows
sorted, gzip without a name or a time, so the same commits give the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from omega.data.vendored import OSCARS_FILE, VENDOR_DIR, WIKIPEDIA_FILE

_TOKEN = (r"(?:[A-Z][a-zà-öø-ÿ'’\-]+(?:[A-Z][a-zà-öø-ÿ'’\-]+)?|[A-Z]\.(?:\s?[A-Z]\.)*"
          r"|Ma?c[A-Z][a-z]+)")
_PARTICLE = r"(?:de|da|del|della|di|van|von|der|den|la|le|du|St\.)"
_NAME = rf"{_TOKEN}(?:\s(?:{_PARTICLE}\s)*{_TOKEN}){{1,3}}(?:,? Jr\.)?"
# a name ends where a sentence goes on: punctuation, or a word that is no part of a name
# ("directed by New York actor Edward Burns" names no one)
_FOLLOW = (r"(?=\s*(?:[,.;:(\u2013\u2014]|$|(?:and|from|in|with|for|who|as|on|at|based|"
           r"starring|produced|written|released|during|after|its|his|her|their|the|is|was|"
           r"which|that|it|co-written|co-produced|under|about|to|by|making|marking|also|"
           r"adapted)\b))")
_DIRECTED = re.compile(r"(?<!co-)\b(?i:directed)(?: and (?:co-)?(?:produced|written|edited|"
                       r"co-written|photographed|choreographed))?(?:,? and (?:co-)?"
                       r"(?:produced|written))? by (?:and starring )?"
                       rf"(?P<name>{_NAME}){_FOLLOW}")
# a sentence about another film ('based on the 1946 film directed by Jean Cocteau')
_OTHER_FILM = re.compile(r"\b(?:based on|remake|same name|short films?|sequel to|adaptation "
                         r"of|original|earlier|previous|novel|play|inspired|documentary "
                         r"about)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\"”])[.!?]\s+")
_NOT_A_NAME = re.compile(r"[()\[\]?:]")
_NOT_FIRST = {"and", "&", "of", "the", "with"}  # a fragment of the sentence before
_NOT_A_MONONYM = {"The", "A", "An", "And", "With"}
_NAME_PARTICLES = {"de", "da", "del", "della", "di", "du", "van", "von", "der", "den", "la",
                   "le", "y", "bin", "al", "e", "dos", "das", "do", "ten", "ter", "el", "des",
                   "zu", "af", "vom", "the", "and", "&", "of"}


def director_of(extract: str | None) -> str | None:
    """The director a Wikipedia lead names ('… is a 1993 American film directed and
    produced by Steven Spielberg'): the first 'directed by' followed by a person's name
    in a sentence about the film itself; None when no sentence says it plainly."""
    text = extract or ""
    for found in _DIRECTED.finditer(text):
        before = text[:found.start()]
        starts = [end.end() for end in _SENTENCE_END.finditer(before)]
        if _OTHER_FILM.search(before[starts[-1] if starts else 0:]):
            continue
        return found["name"].replace(", Jr.", " Jr.")
    return None


def _name_word(word: str) -> bool:
    """A word a name may have: capitalised ('O'Connor', '50'), a particle ('von', 'de'),
    'and' of a double act ('Laurel and Hardy'), or a capital inside ('deWilde')."""
    return (word[0].isupper() or word[0].isdigit() or word[0] in "\"'“"
            or word in _NAME_PARTICLES or any(c.isupper() for c in word[1:]))


def cast_names(cast: Iterable[str]) -> list[str]:
    """The cast list's people, in order, once each: without the scraper's fragments
    ('(voices)', 'and', 'Narrated by', a documentary's subject words); 'Robert Downey,
    Jr.' is written 'Robert Downey Jr.'."""
    out: list[str] = []
    for raw in cast:
        name = " ".join(str(raw).split()).replace(", Jr.", " Jr.")
        words = name.split()
        if not words or len(words) > 6 or _NOT_A_NAME.search(name) or name in out:
            continue
        if words[0] in _NOT_FIRST or (len(words) == 1 and (
                words[0] in _NOT_A_MONONYM or words[0].endswith("."))):
            continue  # 'and Lauren K. Sokolov', 'the 1999', 'The', 'Sr.'
        if all(_name_word(w) for w in words) and words[-1] not in _NAME_PARTICLES:
            out.append(name)
    return out


def wikipedia_rows(repo: Path) -> list[dict[str, Any]]:
    """title, year, cast, genres and director of every film in the decade files
    (movies-1900s.json … movies-2020s.json); a film listed twice under one article is
    kept once, with both listings' cast."""
    films: dict[tuple[str, int, str], dict[str, Any]] = {}
    files = sorted(repo.glob("movies-[12][0-9][0-9]0s.json"))
    if not files:
        raise SystemExit(f"no movies-<decade>s.json files in {repo}: is it a checkout of "
                         "prust/wikipedia-movie-data?")
    for path in files:
        for movie in json.loads(path.read_text(encoding="utf-8")):
            title, year = str(movie["title"]).strip(), int(movie["year"])
            key = (title, year, movie.get("href") or "")
            row = films.setdefault(key, {"title": title, "year": year, "cast": [],
                                         "genres": [], "director": None})
            row["cast"] = cast_names([*row["cast"], *movie.get("cast", [])])
            row["genres"] = sorted(set(row["genres"]) | set(movie.get("genres", [])))
            row["director"] = row["director"] or director_of(movie.get("extract"))
    rows = [r for r in films.values() if r["cast"] or r["genres"] or r["director"]]
    return sorted(rows, key=lambda r: (r["year"], r["title"], json.dumps(r, sort_keys=True)))


def oscar_rows(repo: Path) -> list[dict[str, Any]]:
    """One row per nomination and film from oscars.csv (tab-separated, upstream's
    format): ceremony, year_film (the first year of '1927/28'), the canonical category,
    film, nominees, winner. Scientific and technical awards, and awards naming no film,
    are left out: they attach to no film of the catalog."""
    path = repo / "oscars.csv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for nom in csv.DictReader(handle, delimiter="\t", doublequote=False, escapechar="\\"):
            if nom["Class"] == "SciTech" or not nom["Film"]:
                continue
            nominees = [n.strip() for n in (nom["Nominees"] or nom["Name"]).split("|")]
            for film in dict.fromkeys(f.strip() for f in nom["Film"].split("|") if f.strip()):
                rows.append({"ceremony": int(nom["Ceremony"]),
                             "year_film": int(nom["Year"].split("/")[0]),
                             "category": nom["CanonicalCategory"], "film": film,
                             "nominees": [n for n in nominees if n],
                             "winner": nom["Winner"] == "True"})
    return sorted(rows, key=lambda r: (r["ceremony"], r["category"], r["film"], r["nominees"],
                                       r["winner"]))


def write_jsonl_gz(rows: list[dict[str, Any]], path: Path) -> str:
    """Rows as gzip JSON Lines, byte for byte the same for the same rows; its SHA-256."""
    body = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    data = gzip.compress(body.encode("utf-8"), compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m omega.data.vendor_build",
        description="Rebuild omega/data/vendor/ from checkouts of prust/wikipedia-movie-data and "
                    "DLu/oscar_data, and print the SHA-256 to pin in omega/data/vendored.py.")
    parser.add_argument("--wikipedia", type=Path, required=True,
                        help="checkout of prust/wikipedia-movie-data")
    parser.add_argument("--oscars", type=Path, required=True,
                        help="checkout of DLu/oscar_data")
    parser.add_argument("--out", type=Path, default=VENDOR_DIR)
    args = parser.parse_args(argv)
    for name, rows in ((WIKIPEDIA_FILE, wikipedia_rows(args.wikipedia)),
                       (OSCARS_FILE, oscar_rows(args.oscars))):
        digest = write_jsonl_gz(rows, args.out / name)
        sys.stderr.write(f"{args.out / name}: {len(rows):,} rows, SHA-256 {digest}\n")


if __name__ == "__main__":
    main()
