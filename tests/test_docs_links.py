"""The README and docs/ point only at what exists in this repository: every relative link
and every file path they name in backticks, and nothing outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# folders of the repository a path in backticks starts with
TOP = ("omega/", "api/", "streams/", "producers/", "consumers/", "bench/", "tests/",
       "docs/", "infra/", "schemas/", "notebooks/", ".ci/")
SUFFIXES = (".py", ".md", ".avsc", ".json", ".toml", ".yml", ".yaml", ".js", ".css",
            ".html", ".png", ".svg", ".xml", ".gz", ".jsonl", ".ipynb")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
# placeholders, globs, bare extensions and runtime folders are not files of the repository
NOT_A_FILE = re.compile(r"[*{}<>$]|^\.omega-data|^/|^~|^\.[a-z]+$")
# what a user makes from the repository's files: `make certs`, a copy of infra/.env.example
GENERATED = {"infra/tls/out/", "infra/.env"}


def named_paths(doc: Path) -> list[str]:
    text = doc.read_text()
    out = [m for m in LINK.findall(text) if not re.match(r"[a-z]+:", m) and not m.startswith("#")]
    for span in CODE.findall(text):
        span = span.rstrip(".,;:)")
        span = re.sub(r":\d+$", "", span)  # path:line
        if NOT_A_FILE.search(span) or "://" in span:
            continue
        if span.startswith(TOP) or (span.endswith(SUFFIXES) and "/" in span):
            out.append(span)
        elif span.endswith(".md"):
            out.append(span)
    return out


def exists(doc: Path, name: str) -> bool:
    name = name.split("#", 1)[0]
    if not name or name in GENERATED:
        return True
    return any((base / name).exists() for base in (doc.parent, ROOT))


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_path_a_doc_names_exists_in_the_repository(doc: Path) -> None:
    names = named_paths(doc)
    missing = sorted({n for n in names if not exists(doc, n)})
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: str(d.relative_to(ROOT)))
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    text = doc.read_text()
    assert "../shared" not in text and "DESIGN.md" not in text
    for name in named_paths(doc):
        target = next(((base / name.split("#", 1)[0]).resolve()
                       for base in (doc.parent, ROOT)
                       if (base / name.split("#", 1)[0]).exists()), None)
        assert target is None or target.is_relative_to(ROOT), f"{name} is outside"


def test_the_scan_finds_what_it_should() -> None:
    sample = ROOT / "docs" / "architecture.md"
    names = named_paths(sample)
    assert "design.md" in names and "streams/direct.py" in names
    assert not exists(sample, "omega/no_such_module.py")
