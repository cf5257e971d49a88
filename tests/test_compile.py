"""The exported bibliography compiles: pdflatex with bibtex (plain, plainnat, abbrvnat) and with biber.

Every entry is cited with its own ``\\cite``.  A build passes with no error and
no warning at all, except the one the README lists as unavoidable: natbib's
author-year styles warn ``empty year`` for an entry that has no date anywhere.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from slmbib.models import Record
from slmbib.writing.export import export_bibliography
from slmbib.writing.keys import assign_keys
from slmbib.writing.write import render

from .corpus import FULL, HOSTILE, HOSTILE_NAMES, HOSTILE_TITLES
from .seeds import REPO
from .texbuild import STYLES, build, folded, pdf_text, squeeze

_KEY = re.compile(r"^@\w+\{([^,]+),", re.MULTILINE)


def _keyed(records: list[Record]) -> list[Record]:
    keyed, _ = assign_keys({record.id: record for record in records})
    return sorted(keyed.values(), key=lambda record: record.key)


def _unavoidable(style: str, undated: tuple[str, ...]) -> set[str]:
    """The warnings the README lists as unavoidable, for the entries they concern."""
    if style in ("plainnat", "abbrvnat") and undated:
        assert "`plainnat` and `abbrvnat` say `empty year`" in (REPO / "README.md").read_text(
            encoding="utf-8"
        )
        return {f"Warning--empty year in {key}" for key in undated}
    return set()


@pytest.fixture(scope="module")
def committed_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, tuple[str, ...]]:
    """survey.bib from a copy of the committed refs/, as the README's first command writes it."""
    project = tmp_path_factory.mktemp("project")
    shutil.copytree(REPO / "refs", project / "refs")
    result = export_bibliography(project / "refs", project / "survey.bib")
    return (project / "survey.bib").read_text(encoding="utf-8"), result.missing_year


@pytest.mark.parametrize("style", STYLES)
def test_committed_refs_compile_cleanly(
    style: str, committed_export: tuple[str, tuple[str, ...]], tmp_path: Path
) -> None:
    text, undated = committed_export
    keys = _KEY.findall(text)
    assert len(keys) > 100
    done = build(tmp_path, text, keys, style)
    assert set(done.problems) <= _unavoidable(style, undated), done.problems
    for key in keys:
        assert f"{{{key}}}" in done.bbl


@pytest.mark.parametrize("style", STYLES)
def test_full_records_compile_cleanly(style: str, tmp_path: Path) -> None:
    records = _keyed(FULL)
    rendered = render(records, "bibtex")
    done = build(tmp_path, rendered.text, rendered.keys, style)
    assert done.problems == ()
    # OT1 builds Ł and ö from a letter and an accent, so the PDF's text has the letters only;
    # the .bbl shows the accents arrived whole, abbrvnat's initials included.
    text = folded(pdf_text(done.pdf))
    names = ["Łukasz Kaiser", "Kurt Gödel", "Hans Müller"]
    if style == "abbrvnat":
        assert folded("Ł. Kaiser") in text and folded("S. Kierkegaard") in text
        assert "{\\L}.~Kaiser" in done.bbl
    elif style == "biblatex":
        # biblatex shortens lists of more than three authors to "et al.".
        assert all(folded(name) in text for name in names)
    else:
        assert all(folded(name) in text for name in [*names, "José Núñez", "Søren Kierkegaard"])
        assert "{\\L}ukasz" in done.bbl and 'G{\\"o}del' in done.bbl
    assert folded("MobileLLM") in text and folded("arXiv preprint arXiv:2402.14905") in text


def test_biblatex_format_compiles_cleanly(tmp_path: Path) -> None:
    rendered = render(_keyed(FULL + HOSTILE), "biblatex")
    done = build(tmp_path, rendered.text, rendered.keys, "biblatex")
    assert done.problems == ()
    assert squeeze("Alpaca: A Strong, Replicable Instruction-Following Model") in squeeze(pdf_text(done.pdf))


@pytest.mark.parametrize("style", STYLES)
def test_hostile_text_compiles_and_reads_literally(style: str, tmp_path: Path) -> None:
    (tmp_path / "evil.tex").write_text("\\errmessage{INJECTED}\n", encoding="utf-8")
    (tmp_path / "x.tex").write_text("\\errmessage{INJECTED}\n", encoding="utf-8")
    rendered = render(_keyed(HOSTILE), "bibtex")
    done = build(tmp_path, rendered.text, rendered.keys, style)
    assert done.problems == ()
    assert not (tmp_path / "pwned").exists()
    text = squeeze(pdf_text(done.pdf))
    for title in HOSTILE_TITLES:
        # OT1 draws the underscore as a rule, which has no text to extract.
        assert squeeze(title.replace("_", "")) in text, title
    if style != "abbrvnat":
        for name in HOSTILE_NAMES:
            assert all(squeeze(part) in text for part in name.split()), name
