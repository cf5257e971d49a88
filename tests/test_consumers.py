"""What real consumers read back from a synced export: Zotero's rule, citation-js, Better BibTeX, TeX.

citation-js (``@citation-js/core`` + ``@citation-js/plugin-bibtex``) and Better BibTeX's parser
(``@retorquere/bibtex-parser``) are npm packages, listed in ``tests/node/package.json`` and kept
outside the repository in ``$SLMBIB_NODE_PREFIX`` (default ``~/.cache/slmbib-node``).  ``.ci/run``
installs them; a test run that finds them missing installs them there itself, and fails, saying why,
when it cannot: a consumer that is not checked must not look like one that passed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import bibtexparser
import pytest

from slmbib.enriching.syncing import sync
from slmbib.identity import arxiv_doi
from slmbib.latex import ascii_fold
from slmbib.models import Record
from slmbib.store import load_records
from slmbib.survey import load_own
from slmbib.writing.export import export_bibliography

from .replay_server import ReplayServer
from .seeds import REPO
from .sync_corpus import make_refs, options, seed_records, serve_own_works, serve_papers
from .texbuild import STYLES, build

NODE_PACKAGES = ("@citation-js/core", "@citation-js/plugin-bibtex", "@retorquere/bibtex-parser")
NODE_DIR = Path(__file__).resolve().parent / "node"
READ_BIB = NODE_DIR / "read_bib.mjs"
_KEY = re.compile(r"^@\w+\{([^,]+),", re.MULTILINE)


def node_prefix() -> Path:
    return Path(os.environ.get("SLMBIB_NODE_PREFIX") or Path.home() / ".cache" / "slmbib-node")


def installed_node_consumers() -> Path:
    """The folder holding the consumer packages, installing them first when they are missing."""
    prefix = node_prefix()
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to read the export with citation-js and Better BibTeX's parser")
    if any(not (prefix / "node_modules" / name).is_dir() for name in NODE_PACKAGES):
        prefix.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(NODE_DIR / "package.json", prefix / "package.json")
        done = subprocess.run(
            ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"npm could not install the consumer packages into {prefix}: {done.stderr[-2000:]}")
    return prefix


def read_with_node_consumers(bib: Path) -> dict[str, Any]:
    """What citation-js and Better BibTeX's parser read from ``bib``."""
    prefix = installed_node_consumers()
    done = subprocess.run(
        ["node", "--input-type=module", "-e", READ_BIB.read_text(encoding="utf-8"), str(bib.resolve())],
        cwd=prefix,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Record]]:
    """The seed records and the list's own works, synced against the replay server, exported."""
    folder = tmp_path_factory.mktemp("synced")
    refs = make_refs(folder, seed_records())
    shutil.copytree(REPO / "refs" / "own", refs / "own")
    with ReplayServer() as server:
        serve_papers(server)
        serve_own_works(server)
        sync(refs, options(server, folder / "cache.sqlite"))
    export_bibliography(refs, folder / "refs.bib")
    records = {**load_records(refs), **load_own(refs)}
    return folder / "refs.bib", {record.key: record for record in records.values()}


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower())


def test_every_arxiv_entry_has_the_form_zoteros_importer_reads(
    synced: tuple[Path, dict[str, Record]],
) -> None:
    bib, records = synced
    library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
    with_arxiv = {key for key, record in records.items() if record.identifiers.get("arxiv")}
    assert len(with_arxiv) >= 6
    for entry in library.entries:
        fields = {item.key: item.value for item in entry.fields}
        arxiv = records[entry.key].identifiers.get("arxiv")
        # Zotero's BibTeX.js keeps eprint only together with eprinttype = {arxiv}.
        assert ("eprint" in fields) == bool(arxiv), entry.key
        if arxiv:
            assert (fields["eprint"], fields["eprinttype"]) == (arxiv, "arxiv")
            assert "archivePrefix" not in fields


def test_citation_js_and_better_bibtex_keep_every_id_author_and_title(
    synced: tuple[Path, dict[str, Record]],
) -> None:
    bib, records = synced
    read = read_with_node_consumers(bib)
    assert read["better_bibtex"]["errors"] == []
    csl = {item["id"]: item for item in read["citation_js"]}
    bbt = {entry["key"]: entry["fields"] for entry in read["better_bibtex"]["entries"]}
    assert set(csl) == set(bbt) == set(records)
    for key, record in records.items():
        arxiv = record.identifiers.get("arxiv", "")
        doi = str(record.get("doi") or "")
        item, fields = csl[key], bbt[key]
        # Better BibTeX: the id as eprint beside its type, the DOI, every author, the title.
        if arxiv:
            assert (fields["eprint"], fields["eprinttype"]) == (arxiv, "arxiv"), key
        if doi:
            assert fields["doi"] == doi and item["DOI"] == doi, key
        authors = record.get("authors") or []
        assert len(fields.get("author", [])) == len(authors) == len(item.get("author", [])), key
        assert _fold(fields["title"]) == _fold(record.title) == _fold(item["title"]), key
        # citation-js has no CSL variable for an eprint: the id survives in the DOI or the note.
        if arxiv:
            kept = [item.get("DOI", ""), item.get("note", ""), item.get("container-title", "")]
            assert any(arxiv in value for value in kept), (key, item)
            if record.get("entry_type") == "preprint":
                assert item["DOI"] == arxiv_doi(arxiv), key


def test_the_survey_is_read_as_its_published_version(synced: tuple[Path, dict[str, Record]]) -> None:
    bib, _ = synced
    read = read_with_node_consumers(bib)
    survey = next(item for item in read["citation_js"] if item["id"] == "wang2024comprehensive")
    assert survey["type"] == "article-journal" and survey["DOI"] == "10.1145/3768165"
    assert survey["container-title"] == "ACM Transactions on Intelligent Systems and Technology"
    assert survey["issued"] == {"date-parts": [[2025]]} and survey["note"] == "arXiv:2411.03350"


@pytest.mark.parametrize("style", STYLES)
def test_every_arxiv_id_is_printed_in_every_style(
    style: str, synced: tuple[Path, dict[str, Record]], tmp_path: Path
) -> None:
    bib, records = synced
    text = bib.read_text(encoding="utf-8")
    keys = _KEY.findall(text)
    done = build(tmp_path, text, keys, style)
    undated = [key for key in keys if not records[key].get("year") and not records[key].listings[0].year]
    allowed = {f"Warning--empty year in {key}" for key in undated} if style != "plain" else set()
    assert set(done.problems) <= allowed, done.problems
    for key, record in records.items():
        arxiv = record.identifiers.get("arxiv")
        if arxiv:
            entry = done.bbl.split(key, 1)[1].split("\\bibitem" if style != "biblatex" else "\\endentry")[0]
            assert arxiv in entry, (style, key)
