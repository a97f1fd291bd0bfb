"""Generated cover art (api/covers.py): well-formed, escaped, wrapped, deterministic SVG
with a readable colour for every genre."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from api.covers import (
    HEIGHT,
    MARGIN,
    MAX_LINES,
    NEUTRAL,
    PALETTE,
    SIZES,
    WIDTH,
    cover_svg,
    genre_colour,
    width,
    wrap,
)
from api.search.query import GENRE_SYNONYMS

NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(\"x\")</script> & 'Tom' <![CDATA[ ]]> --> \x07bell"
LONGEST = ("Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb, and then "
           "Some More Words to Make It the Catalog's Longest Title of 151 Characters (Really)")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything that is not well-formed XML


def title_lines(root: ET.Element) -> list[str]:
    return [span.text or "" for span in root.iter(f"{NS}tspan")]


def luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_a_hostile_title_is_text_never_markup() -> None:
    svg = cover_svg(7, HOSTILE, 1999, ["Horror"])
    root = parse(svg)
    assert "<script" not in svg and "<![CDATA" not in svg and "\x07" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg and "&quot;" in svg
    assert [e.tag for e in root.iter() if e.tag in (f"{NS}script", f"{NS}style")] == []
    assert root.findtext(f"{NS}title") == HOSTILE.replace("\x07", "") + " (1999)"
    shown = " ".join(line.removesuffix("-") for line in title_lines(root))
    assert shown.replace(" ", "") == HOSTILE.replace("\x07", "").replace(" ", "")


def test_nothing_is_fetched_scripted_or_styled() -> None:
    svg = cover_svg(862, LONGEST, 1964, ["Comedy", "War"])
    assert svg.count("http") == 1  # the xmlns only: no image, font or link
    for banned in ("href", "<script", "<style", "style=", "@import", "url(http"):
        assert banned not in svg, banned
    assert not re.search(r"\son\w+=", svg)  # no event handler attribute
    assert 'font-family="sans-serif"' in svg
    root = parse(svg)
    assert (root.get("width"), root.get("height")) == (str(WIDTH), str(HEIGHT))
    assert len(svg.encode()) < 2048


def test_titles_wrap_onto_at_most_four_lines_that_fit() -> None:
    room = WIDTH - 2 * MARGIN
    for title in ("Heat", "Night of the Living Dead", LONGEST, "WWWWWW MMMMMM WWWWWW MMMM"):
        root = parse(cover_svg(1, title, None, []))
        text = next(root.iter(f"{NS}text"))
        size = int(text.get("font-size") or 0)
        lines = title_lines(root)
        assert 1 <= len(lines) <= MAX_LINES and size in SIZES, title
        assert all(width(line, size) <= room for line in lines), (title, lines)
    assert title_lines(parse(cover_svg(1, "Heat", None, []))) == ["Heat"]
    assert int(next(parse(cover_svg(1, "Heat", None, [])).iter(f"{NS}text"))
               .get("font-size") or 0) == SIZES[0]  # a short title, large


def test_a_long_title_ends_in_an_ellipsis_and_a_long_word_is_hyphenated() -> None:
    lines, whole = wrap(LONGEST, SIZES[-1])
    assert not whole and len(lines) == MAX_LINES and lines[-1].endswith("…")
    word = "Supercalifragilisticexpialidocious"
    lines, whole = wrap(word, SIZES[0])
    assert whole and len(lines) > 1 and all(line.endswith("-") for line in lines[:-1])
    assert "".join(line.removesuffix("-") for line in lines) == word
    assert wrap("A Fish Called Wanda", 18) == (["A Fish Called", "Wanda"], True)


def test_the_same_record_gives_the_same_bytes_and_ids_differ() -> None:
    one = cover_svg(21256, "Heat", 1995, ["Action", "Crime"])
    assert one == cover_svg(21256, "Heat", 1995, ["Action", "Crime"])
    other = cover_svg(21257, "Heat", 1995, ["Action", "Crime"])
    assert one != other  # the id's pattern
    assert one.replace("<circle", "").split("<text")[1:] == other.replace(
        "<circle", "").split("<text")[1:]  # the same words
    assert ">1995</text>" in one and ">ACTION</text>" in one
    assert "1995" not in cover_svg(21256, "Heat", None, ["Action"])


def test_the_colour_is_the_first_known_genres_else_neutral() -> None:
    assert genre_colour(["Crime", "Drama"]) == ("Crime", PALETTE["Crime"])
    assert genre_colour(["Biopic", "Drama"]) == ("Drama", PALETTE["Drama"])
    assert genre_colour([]) == genre_colour(["Biopic"]) == (None, NEUTRAL)
    assert f'stop-color="{PALETTE["Western"]}"' in cover_svg(1, "Unforgiven", 1992, ["Western"])
    assert f'stop-color="{NEUTRAL}"' in cover_svg(1, "Untitled", None, [])


@pytest.mark.parametrize("genre", [*PALETTE, None])
def test_every_colour_keeps_white_text_readable(genre: str | None) -> None:
    """WCAG AA for normal text (4.5:1), at the gradient's lightest stop."""
    colour = PALETTE[genre] if genre else NEUTRAL
    assert 1.05 / (luminance(colour) + 0.05) >= 4.5


def test_every_genre_the_search_knows_has_its_own_colour() -> None:
    known = {g for genres in GENRE_SYNONYMS.values() for g in genres}
    assert known <= set(PALETTE), known - set(PALETTE)
    assert len(set(PALETTE.values())) == len(PALETTE) and NEUTRAL not in PALETTE.values()
