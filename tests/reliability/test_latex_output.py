"""What a service or a list supplies never reaches LaTeX raw, and never too much of it.

Issue 13, items 1 (a DOI is TeX too: ``^^5c`` is a backslash), 13 (a 100,000-character
title), 15 (a 200,000-character title, 100,000 authors) and 22 (``]`` ends natbib's label).
Entries come through a sync from the loopback server, as a hostile service would send them,
and are compiled with the natbib styles without the url package, where a DOI is typeset as
plain text.  A service's oversized text is refused where its answer is read (see
test_sync_hostile); the export's caps are for text no service vouched for, here an imported
``.bib`` field and a maintainer's override.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slmbib.enriching.syncing import sync
from slmbib.models import Value
from slmbib.store import load_records
from slmbib.writing.citation import MAX_AUTHORS, MAX_TITLE
from slmbib.writing.export import export_bibliography

from ..replay_server import ReplayServer
from ..sync_corpus import make_refs, options, record
from ..texbuild import build, pdf_text, squeeze

_KEY = re.compile(r"^@\w+\{([^,]+),", re.MULTILINE)
# What TeX reads as \input{/etc/passwd} when it typesets the DOI as text.
INJECTING_DOI = "10.1234/^^5cinput^^7b/etc/passwd^^7d"
BREAKING_DOIS = [f"10.1234/a{char}b" for char in "%#$&_~^"]


def _synced_export(tmp_path: Path, papers: list[dict[str, object]]) -> tuple[str, list[str]]:
    """Sync one record per paper from a server that answers ``papers``; the bibliography and its report."""
    records = []
    with ReplayServer() as server:
        for number, paper in enumerate(papers, 1):
            arxiv_id = f"2401.{number:05d}"
            server.add_paper(arxiv_id=arxiv_id, published="2024-01-02", **paper)  # type: ignore[arg-type]
            records.append(record(f"arxiv-{arxiv_id}", f"Paper {number}", "2024", arxiv=arxiv_id))
        refs = make_refs(tmp_path, records)
        result = sync(refs, options(server, tmp_path / "cache.sqlite"))
        assert result.statuses["resolved"] == len(papers), result.unresolved
    exported = export_bibliography(refs, tmp_path / "refs.bib")
    return (tmp_path / "refs.bib").read_text(encoding="utf-8"), exported.lines()


@pytest.mark.parametrize("style", ["plainnat", "abbrvnat"])
def test_a_doi_from_a_service_never_reaches_tex(style: str, tmp_path: Path) -> None:
    papers: list[dict[str, object]] = [
        {"title": f"Paper {number}", "authors": ["Ada Lovelace"], "doi": doi, "venue": "Journal of Tests"}
        for number, doi in enumerate([INJECTING_DOI, *BREAKING_DOIS, "10.1234/fine-1(2):3"], 1)
    ]
    text, report = _synced_export(tmp_path, papers)
    assert "^^" not in text and "etc/passwd" not in text
    assert "doi = {10.1234/fine-1(2):3}" in text
    withheld = [line for line in report if "not written: LaTeX would read part of it as commands" in line]
    assert len(withheld) == 1 + len(BREAKING_DOIS)
    done = build(tmp_path / "tex", text, _KEY.findall(text), style, url=False)
    assert done.problems == ()
    assert "root:" not in pdf_text(done.pdf)


def _export_one(tmp_path: Path, **fields: object) -> tuple[str, list[str]]:
    """Export one record holding ``fields`` as an imported ``.bib`` gave them; the bibliography and report."""
    values = {name: Value(value, "bib") for name, value in fields.items()}
    refs = make_refs(tmp_path, [record("arxiv-2401.00001", "Paper 1", "2024", arxiv="2401.00001", **values)])
    exported = export_bibliography(refs, tmp_path / "refs.bib")
    return (tmp_path / "refs.bib").read_text(encoding="utf-8"), exported.lines()


def test_a_100000_character_title_is_cut_and_reported(tmp_path: Path) -> None:
    text, report = _export_one(tmp_path, title="a" + "!" * 100_000 + "a", authors=["Ada Lovelace"])
    title = re.search(r"^  title = \{(.*)\},$", text, re.MULTILINE)
    assert title is not None and len(title.group(1)) <= MAX_TITLE + 10
    assert any(f"title cut to {MAX_TITLE} characters (it has 100,002)" in line for line in report)


def test_huge_text_is_capped_so_tex_can_typeset_it(tmp_path: Path) -> None:
    words = " ".join(f"word{number}" for number in range(30_000))  # about 200,000 characters
    authors = [f"Given{number} Family{number}" for number in range(100_000)]
    text, report = _export_one(tmp_path, title=words, authors=authors)
    assert "title cut to" in " ".join(report) and f"authors cut to the first {MAX_AUTHORS:,}" in " ".join(
        report
    )
    assert text.count(" and ") == MAX_AUTHORS and "and others}" in text
    record_authors = next(iter(load_records(tmp_path / "refs").values())).get("authors")
    assert len(record_authors) == 100_000  # refs/ keeps what was imported; only the output is cut
    done = build(tmp_path / "tex", text, _KEY.findall(text), "plainnat", url=False)
    assert done.problems == ()
    assert squeeze("Given2999 Family2999") in squeeze(pdf_text(done.pdf))


@pytest.mark.parametrize("style", ["plainnat", "abbrvnat", "plain", "biblatex"])
def test_brackets_in_names_and_titles_keep_natbib_labels_whole(style: str, tmp_path: Path) -> None:
    papers: list[dict[str, object]] = [
        {"title": "Robust [Bracketed] Models]", "authors": ["Ada ]Lovelace[", "Grace Hopper"]},
        {"title": "Another [one", "authors": ["[Bot] Author"]},
    ]
    text, _ = _synced_export(tmp_path, papers)
    done = build(tmp_path / "tex", text, _KEY.findall(text), style, url=False)
    assert done.problems == ()
    assert squeeze("Robust [Bracketed] Models]") in squeeze(pdf_text(done.pdf))
