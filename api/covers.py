"""Cover art for titles without a poster: an SVG of the title, its year and a colour for
its genre, made from the catalog record alone, so every card has a picture without TMDB.

Pure and deterministic (the same record gives the same bytes, so an ETag holds); no
script, no style, no external reference, only generic font families: safe to serve under
`default-src 'none'` and to show with `<img>`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, MARGIN = 200, 300, 16
MAX_LINES = 4
SIZES = (26, 22, 18)  # the title's font sizes, largest first: the first that fits is used
NEUTRAL = "#3c4043"  # no genre, or none in the palette
# One colour per catalog genre; each keeps white text at 4.5:1 contrast or more.
PALETTE = {
    "Action": "#b3261e", "Adventure": "#8a5a00", "Animation": "#00796b",
    "Children": "#00838f", "Comedy": "#c2410c", "Crime": "#37474f",
    "Documentary": "#5d4037", "Drama": "#4527a0", "Fantasy": "#7b1fa2",
    "Film-Noir": "#424242", "Horror": "#7f0000", "IMAX": "#01579b",
    "Musical": "#ad1457", "Mystery": "#283593", "Romance": "#c2185b",
    "Sci-Fi": "#1565c0", "Short": "#546e7a", "Thriller": "#004d40",
    "War": "#4e5b31", "Western": "#9a4a00",
}
NARROW, WIDE = set("ijlft.,;:'!|() "), set("mwMW@")


def genre_colour(genres: Sequence[str]) -> tuple[str | None, str]:
    """The first genre the palette knows, and its colour (None and neutral without one)."""
    for genre in genres:
        if genre in PALETTE:
            return genre, PALETTE[genre]
    return None, NEUTRAL


def darker(colour: str, keep: float = 0.45) -> str:
    """The gradient's lower stop: the colour toward black."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(c * keep):02x}" for c in (r, g, b))


def em(char: str) -> float:
    """A bold sans-serif glyph's rough advance in em: wrapping needs no font file."""
    if unicodedata.east_asian_width(char) in "WF":
        return 1.0
    if char in NARROW:
        return 0.33
    if char in WIDE:
        return 0.95
    return 0.72 if char.isupper() or char.isdigit() else 0.58


def width(text: str, size: float) -> float:
    return sum(em(c) for c in text) * size


def clean(text: str) -> str:
    """One line of text XML can carry: whitespace runs as one space, control characters,
    surrogates and non-characters dropped."""
    text = " ".join(text.split())
    return "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs", "Cn")
                    and c not in "\ufffe\uffff")


def split_word(word: str, room: float, size: float) -> list[str]:
    """A word too wide for a line, hyphenated into pieces that fit."""
    pieces: list[str] = []
    while width(word, size) > room:
        cut = 1
        while cut < len(word) - 1 and width(word[:cut + 1] + "-", size) <= room:
            cut += 1
        pieces.append(word[:cut] + "-")
        word = word[cut:]
    return [*pieces, word]


def wrap(text: str, size: float, room: float = WIDTH - 2 * MARGIN,
         max_lines: int = MAX_LINES) -> tuple[list[str], bool]:
    """`text` in lines at most `room` wide (long words hyphenated), and whether all of it
    fits in `max_lines`; when not, the last line ends in an ellipsis."""
    lines: list[str] = []
    for word in text.split(" "):
        for piece in split_word(word, room, size):
            joined = f"{lines[-1]} {piece}" if lines else ""
            if lines and not lines[-1].endswith("-") and width(joined, size) <= room:
                lines[-1] = joined
            else:
                lines.append(piece)  # a hyphenated piece fills its line: the rest goes on
    if len(lines) <= max_lines:
        return lines, True
    last = lines[max_lines - 1].rstrip("-")
    while last and width(last + "…", size) > room:
        last = last[:-1]
    return [*lines[:max_lines - 1], last.rstrip() + "…"], False


def layout(title: str) -> tuple[int, list[str]]:
    """The largest font size at which the whole title fits without hyphenating a word;
    else with hyphens; else the smallest size, ellipsised."""
    room = WIDTH - 2 * MARGIN
    for hyphens in (False, True):
        for size in SIZES:
            lines, whole = wrap(title, size)
            if whole and (hyphens or all(width(w, size) <= room for w in title.split(" "))):
                return size, lines
    return SIZES[-1], lines


def pattern(title_id: int) -> str:
    """Three faint circles placed by a hash of the id: covers of one genre look apart."""
    digest = hashlib.sha256(str(title_id).encode()).digest()
    return "".join(f'<circle cx="{digest[i] * WIDTH // 255}" cy="{digest[i + 1] * HEIGHT // 255}"'
                   f' r="{30 + digest[i + 2] % 70}" fill-opacity=".08"/>' for i in (0, 3, 6))


def cover_svg(title_id: int, title: str, year: int | None, genres: Sequence[str]) -> str:
    """The cover: genre colour as a gradient, the id's pattern, genre, title and year."""
    genre, colour = genre_colour(genres)
    name = clean(title) or f"Title {title_id}"
    size, lines = layout(name)
    step = round(size * 1.15)
    top = HEIGHT // 2 - (len(lines) - 1) * step // 2 + size // 3
    spans = "".join(f'<tspan x="{MARGIN}" y="{top + i * step}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    label = (f'<text x="{MARGIN}" y="34" font-size="12" letter-spacing="1.5" '
             f'fill-opacity=".85">{escape(genre.upper())}</text>' if genre else "")
    when = (f'<text x="{MARGIN}" y="{HEIGHT - 22}" font-size="16" font-weight="400" '
            f'fill-opacity=".85">'
            f'{year}</text>' if year else "")
    caption = f"{name} ({year})" if year else name
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" fill="#fff" font-family="sans-serif" '
            f'font-weight="700"><title>{escape(caption)}</title>'
            f'<defs><linearGradient id="g" x2="0" y2="1"><stop stop-color="{colour}"/>'
            f'<stop offset="1" stop-color="{darker(colour)}"/></linearGradient></defs>'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#g)"/>{pattern(title_id)}'
            f'{label}<text font-size="{size}">{spans}</text>{when}</svg>')
