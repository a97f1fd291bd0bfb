"""Cast from Wikipedia's film lists and every Oscar nomination, merged onto the catalog's
films without adding one; the CatalogTitle v3 schema that carries them."""

from __future__ import annotations

from typing import Any

from omega.data.catalog import build_catalog
from omega.data.catalog_people import award_line, category_name, ceremony_year
from omega.kafka.avro import AvroCodec, SchemaStore
from omega.settings import REPO_ROOT
from omega.titles import award_tags, title_payload, title_text


def film(title: str, year: int, votes: int = 10) -> dict[str, object]:
    return {"title": title, "year": year, "length": 100, "rating": 7.0, "votes": votes,
            "mpaa": "R"}


def wiki(title: str, year: int, cast: list[str], genres: list[str] | None = None,
         director: str | None = None) -> dict[str, object]:
    return {"title": title, "year": year, "cast": cast, "genres": genres or [],
            "director": director}


def nomination(film: str, year_film: int, category: str, nominees: list[str],
               winner: bool) -> dict[str, object]:
    return {"ceremony": year_film - 1927, "year_film": year_film, "category": category,
            "film": film, "nominees": nominees, "winner": winner}


def by_title(catalog: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["title"]: r for r in catalog}


def test_wikipedia_fills_cast_director_and_mapped_genres_and_adds_no_film() -> None:
    movies = [film("Toy Story", 1995), film("Heat", 1995), film("Little Buddha", 1993),
              film("Carmen", 1915)]
    vega = [{"Title": "Heat", "Release Date": "Dec 15 1995", "Director": "Michael Mann"}]
    rows = [wiki("Toy Story", 1995, ["Tim Allen", "Tom Hanks", "Don Rickles"],
                 ["Animated", "Family", "Biography"], "John Lasseter"),
            wiki("Heat", 1995, ["Al Pacino", "Robert De Niro"], ["Crime"], "Someone Else"),
            wiki("Little Buddha", 1994, ["Keanu Reeves"]),  # released a year after IMDb's
            wiki("Carmen", 1915, ["Geraldine Farrar"]),  # two films of one name and year:
            wiki("Carmen", 1915, ["Theda Bara"]),  # neither is matched
            wiki("Only On Wikipedia", 2001, ["Nobody"])]
    plain = build_catalog(movies, [], vega)
    catalog = build_catalog(movies, [], vega, wikipedia=rows)
    assert [r["title_id"] for r in catalog] == [r["title_id"] for r in plain], "no film added"
    films = by_title(catalog)
    toy = films["Toy Story"]
    assert toy["cast"] == ["Tim Allen", "Tom Hanks", "Don Rickles"]
    assert toy["director"] == "John Lasseter" and toy["genres"] == ["Animation", "Children"]
    assert toy["sources"] == ["ggplot2movies", "wikipedia"]
    assert films["Heat"]["director"] == "Michael Mann", "vega's director is kept"
    assert films["Heat"]["genres"] == ["Crime"]
    assert films["Little Buddha"]["cast"] == ["Keanu Reeves"]
    assert films["Carmen"]["cast"] == []


def test_a_year_either_side_never_takes_a_film_an_exact_row_took() -> None:
    movies = [film("Hamlet", 1990)]
    rows = [wiki("Hamlet", 1991, ["Someone"]), wiki("Hamlet", 1990, ["Mel Gibson"])]
    assert build_catalog(movies, [], wikipedia=rows)[0]["cast"] == ["Mel Gibson"]


def test_every_oscar_nomination_lands_on_its_film_wins_first() -> None:
    movies = [film("Godfather, The", 1972), film("Schindler's List", 1993),
              film("Shawshank Redemption, The", 1994), film("Amarcord", 1973)]
    movielens = [{"movieId": 7, "title": "Lives of Others, The (Das leben der Anderen)",
                  "year": 2006, "genres": "Drama"}]
    oscars = [nomination("The Godfather", 1972, "DIRECTING", ["Francis Ford Coppola"], False),
              nomination("The Godfather", 1972, "BEST PICTURE", ["Albert S. Ruddy"], True),
              nomination("The Godfather", 1972, "ACTOR IN A SUPPORTING ROLE", ["Al Pacino"],
                         False),
              nomination("Schindler's List", 1993, "DIRECTING", ["Steven Spielberg"], True),
              nomination("The Shawshank Redemption", 1994, "ACTOR IN A LEADING ROLE",
                         ["Morgan Freeman"], False),
              nomination("The Lives of Others", 2006, "INTERNATIONAL FEATURE FILM",
                         ["Germany"], True),  # by MovieLens' alternative title
              nomination("Amarcord", 1975, "DIRECTING", ["Federico Fellini"], False),
              nomination("A Film Nobody Has", 1950, "BEST PICTURE", ["Nobody"], True)]
    catalog = build_catalog(movies, movielens, [], oscars)
    assert len(catalog) == 5, "an unmatched nomination adds no film"
    films = by_title(catalog)
    godfather = films["Godfather, The"]
    assert godfather["awards"] == ["Oscar, Best Picture (1973)",
                                   "Oscar nominee, Best Director: Francis Ford Coppola (1973)",
                                   "Oscar nominee, Best Supporting Actor: Al Pacino (1973)"]
    assert godfather["oscars"][0] == {"ceremony": 45, "ceremony_year": 1973,
                                      "category": "Best Picture", "name": "Albert S. Ruddy",
                                      "nominees": ["Albert S. Ruddy"], "won": True}
    assert godfather["cast"] == ["Al Pacino"] and godfather["director"] == "Francis Ford Coppola"
    schindler = films["Schindler's List"]["oscars"]
    assert [(o["category"], o["name"], o["won"]) for o in schindler] == [
        ("Best Director", "Steven Spielberg", True)]
    shawshank = films["Shawshank Redemption, The"]
    assert shawshank["awards"] == ["Oscar nominee, Best Actor: Morgan Freeman (1995)"]
    assert films["Lives of Others, The (Das leben der Anderen)"]["awards"] == [
        "Oscar, Best International Feature Film (2007)"]
    assert films["Amarcord"]["director"] == "Federico Fellini", "two years before the Oscar"


def test_oscars_index_tags_and_embedded_text() -> None:
    catalog = build_catalog([film("Shawshank Redemption, The", 1994), film("Fargo", 1996)], [],
                            [], [nomination("Fargo", 1996, "BEST PICTURE", ["Ethan Coen"], False),
                                 nomination("Fargo", 1996, "ACTRESS IN A LEADING ROLE",
                                            ["Frances McDormand"], True)])
    fargo = by_title(catalog)["Fargo"]
    assert award_tags(fargo) == ["nominated:acting", "nominated:best actress",
                                 "nominated:best picture", "oscar", "oscar-nominated",
                                 "won:acting", "won:best actress"]
    assert title_payload(fargo)["awards"] == award_tags(fargo)
    assert "Oscar winner: Best Actress." in title_text(fargo)
    assert "awards" not in title_payload(by_title(catalog)["Shawshank Redemption, The"])
    v2 = {"title": "Heat", "awards": ["Oscar, Best actor: Al Pacino (1996)"]}
    assert award_tags(v2) == award_tags(v2 | {"oscars": []}) == ["oscar"], (
        "a v2 record's awards were wins, as a v3 reader decodes it too")


def test_historical_category_names_are_the_ones_viewers_use() -> None:
    assert category_name("ACTOR IN A LEADING ROLE") == "Best Actor"
    assert category_name("DIRECTING (Dramatic Picture)") == "Best Director"
    assert category_name("CINEMATOGRAPHY (Black-and-White)") == "Best Cinematography"
    assert category_name("SPECIAL FOREIGN LANGUAGE FILM AWARD") == (
        "Best International Feature Film")
    assert category_name("SHORT SUBJECT (Comedy)") == "Best Short Subject"
    assert category_name("HONORARY AWARD") == "Honorary Award"
    assert [ceremony_year(n) for n in (1, 3, 6, 66, 98)] == [1929, 1930, 1934, 1994, 2026]
    assert award_line({"won": False, "category": "Best Picture", "name": "Jan Chapman",
                       "ceremony_year": 1994}) == "Oscar nominee, Best Picture (1994)"


def test_v3_reads_v2_catalog_records_and_round_trips_nominations(codec: AvroCodec) -> None:
    old = SchemaStore()
    old.add_file(REPO_ROOT / "schemas" / "catalog_title.v2.avsc")
    record = {"title_id": 7, "title": "Heat", "year": 1995, "cast": ["Al Pacino"]}
    decoded = codec.decode(AvroCodec(old).encode("omega.CatalogTitle", record),
                           "omega.CatalogTitle")
    assert decoded["oscars"] == [] and decoded["cast"] == ["Al Pacino"]
    assert codec.store.get("omega.CatalogTitle").source.endswith("catalog_title.v3.avsc")
    fargo = by_title(build_catalog([film("Fargo", 1996)], [], [], [
        nomination("Fargo", 1996, "ACTRESS IN A LEADING ROLE", ["Frances McDormand"], True)]))
    assert codec.decode(codec.encode("omega.CatalogTitle", fargo["Fargo"]),
                        "omega.CatalogTitle") == fargo["Fargo"]
