"""Other projects' .bib test suites through import and export (tests/data/bib-corpus/).

Each file imports (entries BibTeX could not read reported by ``file:line``, the rest
imported); every field of every imported entry is in its export, with the same
meaning after LaTeX decoding; export -> import -> export gives the same bytes; and the
export compiles with bibtex (plain, plainnat) and biber with no more errors than the
input.  The compile comparison leaves out the files larger than 200 KB (biber takes
minutes on one of 7,000 entries) and those with no entry to cite.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .bibcorpus import CORPUS, FILES, bibliography, compare_compiles, lost_fields

pytestmark = pytest.mark.corpus

_FORMATS = ("bibtex", "biblatex")
_COMPILED_SIZE = 200_000


class _Exported:
    def __init__(self, source: Path) -> None:
        self.source = source
        self.text = source.read_text(encoding="utf-8-sig", errors="replace")
        self.out: dict[str, str] = {}
        self.merged: set[str] = set()
        for fmt in _FORMATS:
            self.out[fmt], self.reported, self.merged = bibliography(source, fmt)


@pytest.fixture(scope="module")
def corpus() -> list[_Exported]:
    return [_Exported(path) for path in FILES]


def test_the_corpus_is_here() -> None:
    assert len(FILES) == 205 and (CORPUS / "SOURCE.md").exists()


def test_every_file_imports_and_reports_what_it_skips_by_line(corpus: list[_Exported]) -> None:
    for done in corpus:
        lines = done.text.count("\n") + 1
        for problem in done.reported:
            found = re.match(rf"^{re.escape(str(done.source))}:(\d+): \S", problem)
            assert found and 1 <= int(found.group(1)) <= lines, problem


@pytest.mark.parametrize("fmt", _FORMATS)
def test_every_field_of_every_entry_is_kept(corpus: list[_Exported], fmt: str) -> None:
    lost = [
        f"{done.source.name}: {line}"
        for done in corpus
        for line in lost_fields(done.text, done.out[fmt], fmt, done.merged)
    ]
    assert lost == [], "\n".join(lost[:20])


@pytest.mark.parametrize("fmt", _FORMATS)
def test_export_import_export_is_byte_stable(corpus: list[_Exported], fmt: str, tmp_path: Path) -> None:
    unstable = []
    for number, done in enumerate(corpus):
        again = tmp_path / f"{number}.bib"
        again.write_text(done.out[fmt], encoding="utf-8")
        if bibliography(again, fmt)[0] != done.out[fmt]:
            unstable.append(done.source.name)
    assert unstable == []


@pytest.mark.parametrize("style", ["plain", "plainnat", "biblatex"])
def test_the_export_compiles_with_no_more_errors_than_the_input(
    corpus: list[_Exported], style: str, tmp_path: Path
) -> None:
    fmt = "biblatex" if style == "biblatex" else "bibtex"
    pairs = [
        (done.source.name, done.text, done.out[fmt])
        for done in corpus
        if done.source.stat().st_size <= _COMPILED_SIZE and "\n@" in done.out[fmt]
    ]
    assert len(pairs) > 150
    assert compare_compiles(tmp_path, style, pairs) == []
