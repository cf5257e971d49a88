"""Hostile BibTeX both ways: any .bib imports cleanly or fails by file:line; no text breaks out of a field.

Reading: any bytes given to ``slmbib import FILE.bib`` give records saved under
``refs/papers/`` (safe names, loadable, re-import changes nothing) or one
``file:line: message`` per problem, with nothing written.

Writing: records holding hostile titles, names and venues from a remote
service are exported and parsed back with bibtexparser: exactly one entry per
record and nothing else, every field reads back as the text it came from, and
no LaTeX command appears that the encoder did not write itself.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import bibtexparser
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from slmbib import merge
from slmbib.errors import InputErrors
from slmbib.latex import clean, to_text
from slmbib.models import Link, Record, Value
from slmbib.reading.bibread import import_bib
from slmbib.store import check_record_id, load_records, save_records
from slmbib.writing.export import export_bibliography
from slmbib.writing.keys import assign_keys, check_key
from slmbib.writing.write import render

from ..test_latex_text import ALLOWED_COMMANDS
from ..workspace import CACHES
from .harness import snapshot

_HOSTILE = [
    "}",
    "{",
    "}}",
    "\\",
    r"\input{/etc/passwd}",
    r"\write18{touch pwned}",
    r"\immediate\write18{x}",
    r"\def\x{y}",
    r"\catcode`\%=12",
    r"\end{document}",
    "@comment{",
    '@preamble{"\\input x"}',
    "@string{a = b}",
    "}, note = {injected",
    "\n@article{fake, title = {x}}\n",
    '"',
    ",",
    "=",
    "#",
    "%",
    "&",
    "$",
    "_",
    "^",
    "~",
    " and ",
    "others",
    "\x00",
    "\r\n",
    "\x1b[2J",
    "\u2028",
    "Gödel",
    "Łukasz",
]
_hostile_text = st.lists(
    st.one_of(st.sampled_from(_HOSTILE), st.text(st.characters(max_codepoint=0x17F), max_size=6)),
    min_size=1,
    max_size=8,
).map("".join)

# -- reading ----------------------------------------------------------------------------------------

_bib_keys = st.one_of(
    st.sampled_from(["ok2024", "../../etc/passwd", "/abs", "con", "a b", "x" * 150, "k}", "DBLP:conf/x/Y20"]),
    st.text(st.characters(max_codepoint=0x7F), min_size=1, max_size=12),
)
_bib_values = st.one_of(
    _hostile_text.map(lambda text: "{" + text + "}"),
    _hostile_text.map(lambda text: '"' + text + '"'),
    st.sampled_from(["2024", "jan", "undefined", "a # b", "{unbalanced", "{x}}"]),
)
_bib_fields = st.lists(
    st.tuples(
        st.sampled_from(["title", "author", "year", "doi", "url", "eprint", "journal", "month", "x"]),
        _bib_values,
    ),
    max_size=6,
).map(lambda pairs: ",\n".join(f"  {name} = {value}" for name, value in pairs))
_bib_entries = st.builds(
    lambda kind, key, body: f"@{kind}{{{key},\n{body}\n}}\n",
    st.sampled_from(["article", "inproceedings", "misc", "comment", "string", "preamble", "nonsense"]),
    _bib_keys,
    _bib_fields,
)
_bib_files = st.one_of(
    st.lists(_bib_entries, min_size=1, max_size=4).map(lambda entries: "".join(entries).encode()),
    st.tuples(st.lists(_bib_entries, max_size=3), st.binary(max_size=20)).map(
        lambda pair: "".join(pair[0]).encode() + pair[1]
    ),
    st.binary(max_size=200),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bib_files)
def test_any_bib_file_imports_cleanly_or_names_each_problems_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        refs = Path(folder) / "refs"
        bib = Path(folder) / "hostile.bib"
        bib.write_bytes(data)
        try:
            import_bib(refs, [bib])
        except InputErrors as caught:
            event("refused")
            lines = data.count(b"\n") + 1
            for problem in map(str, caught.problems):
                found = re.match(rf"^{re.escape(str(bib))}:(\d+): .+", problem)
                assert found, problem
                assert 1 <= int(found.group(1)) <= lines
                assert problem.isprintable(), problem
            assert not (refs / "papers").exists()
            return
        event("imported")
        records = load_records(refs)
        written = {path.relative_to(folder).as_posix() for path in Path(folder).rglob("*") if path.is_file()}
        written -= {"hostile.bib", "refs/.lock", *(cache.as_posix() for cache in CACHES)}
        assert written == {f"refs/papers/{name}.yaml" for name in records}
        for record_id, record in records.items():
            assert check_record_id(record_id) == record_id
            assert check_key(record.key) == record.key
        before = snapshot(refs)
        import_bib(refs, [bib])
        assert snapshot(refs) == before


def test_an_entry_titled_without_latin_letters_imports_again_as_itself(tmp_path: Path) -> None:
    """Its title gave no identity, so the second import claimed its own key for a new record."""
    bib = tmp_path / "zh.bib"
    bib.write_text("@article{zh2024,\n  title = {中文标题},\n  author = {王 小明},\n  year = {2024}\n}\n")
    import_bib(tmp_path / "refs", [bib])
    before = snapshot(tmp_path / "refs")
    import_bib(tmp_path / "refs", [bib])
    assert snapshot(tmp_path / "refs") == before


def test_an_entry_without_a_title_is_imported_and_found_again(tmp_path: Path) -> None:
    """Issue 15 item 18: one untitled entry refused the whole file."""
    bib = tmp_path / "untitled.bib"
    bib.write_text("@misc{fine2024, title = {Fine}}\n\n@misc{untitled2024,\n  year = {2024}\n}\n")
    summary = import_bib(tmp_path / "refs", [bib])
    assert summary.reported == []
    assert {record.key for record in load_records(tmp_path / "refs").values()} == {"fine2024", "untitled2024"}
    before = snapshot(tmp_path / "refs")
    import_bib(tmp_path / "refs", [bib])
    assert snapshot(tmp_path / "refs") == before


# -- writing ----------------------------------------------------------------------------------------

# Fields that come back from the parse as the record's plain text (unless slmbib wrote its own
# container for an arXiv preprint).
_TEXT_FIELDS = {
    **{"title": "title", "publisher": "publisher"},
    **{"journal": "venue", "booktitle": "venue", "howpublished": "venue"},
}
_ARXIV_CONTAINER = re.compile(r"^arXiv preprint arXiv:\d{4}\.\d{5}$")
_ALLOWED_FIELDS = {
    *("author", "title", "journal", "booktitle", "howpublished", "year", "month", "volume", "number"),
    *("pages", "publisher", "doi", "url", "eprint", "eprinttype", "eprintclass", "note", "key"),
}
_ascii_hostile = st.lists(
    st.one_of(
        st.sampled_from([item for item in _HOSTILE if item.isascii() and item.isprintable()]),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6),
    ),
    min_size=1,
    max_size=8,
).map("".join)


@st.composite
def _remote_records(draw: st.DrawFn, number: int) -> Record:
    """A record as a sync would store it, every text a remote service could send."""
    source = draw(st.sampled_from(["s2", "arxiv"]))
    title = draw(_ascii_hostile.filter(lambda text: clean(text) != ""))
    authors = draw(st.lists(_ascii_hostile.filter(lambda text: any(c.isalnum() for c in text)), max_size=3))
    fields = {
        "title": Value(title, source),
        "year": Value(draw(st.integers(1990, 2030)), source),
        "venue": Value(draw(_ascii_hostile), source),
        "entry_type": Value(draw(st.sampled_from(["article", "inproceedings", "misc", "online"])), source),
        "pages": Value(draw(_ascii_hostile), source),
        "publisher": Value(draw(_ascii_hostile), source),
        "arxiv_primary_class": Value(draw(_ascii_hostile), source),
    }
    if authors:
        fields["authors"] = Value(authors, source)
    return Record(
        id=f"r{number}",
        identifiers={"doi": draw(_ascii_hostile), "arxiv": draw(st.sampled_from(["2401.00001", "x}y"]))},
        links=(
            Link(
                draw(st.sampled_from(["https://a.b/c}{", "javascript:alert(1)", "https://ok.org/"])), "paper"
            ),
        ),
        fields=fields,
    )


_record_sets = st.integers(1, 4).flatmap(lambda count: st.tuples(*(_remote_records(n) for n in range(count))))
_COMMAND = re.compile(r"\\([A-Za-z]+)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_record_sets)
def test_hostile_remote_text_stays_inside_its_field(records: tuple[Record, ...]) -> None:
    keyed, _ = assign_keys({record.id: record for record in records})
    ordered = sorted(keyed.values(), key=lambda record: record.key)
    text = render(ordered, "bibtex").text
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    # The file's own header comment, then one entry per record: no @comment, @string or @preamble.
    assert [type(block).__name__ for block in library.blocks] == ["ImplicitComment"] + ["Entry"] * len(
        records
    )
    assert [entry.key for entry in library.entries] == [record.key for record in ordered]
    for record, entry in zip(ordered, library.entries, strict=True):
        check_key(entry.key)
        fields = {item.key: item.value for item in entry.fields}
        assert set(fields) <= _ALLOWED_FIELDS, set(fields) - _ALLOWED_FIELDS
        for name, value in fields.items():
            assert set(_COMMAND.findall(value)) <= ALLOWED_COMMANDS, (name, value)
            if name in _TEXT_FIELDS and not _ARXIV_CONTAINER.match(value):
                assert to_text(value) == clean(str(record.get(_TEXT_FIELDS[name]))), (name, value)
        if record.get("authors"):
            written = [name.replace(",", " ").split() for name in fields["author"].split(" and ")]
            assert len(written) == len(record.get("authors"))


# -- issue 13: merging under attack -----------------------------------------------------------------


def test_one_title_by_many_first_authors_merges_in_linear_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13 item 14: 2,000 entries of one title and different first authors took 81 s.

    The work is counted, not timed: how many pairs of records merging compares.
    """
    compared = 0
    real_conflict = merge.conflict

    def counting(a: Record, b: Record) -> bool:
        nonlocal compared
        compared += 1
        return real_conflict(a, b)

    monkeypatch.setattr(merge, "conflict", counting)
    counts = []
    for size in (200, 2000):
        compared = 0
        records = [
            Record(
                id=f"r{number}",
                fields={
                    "title": Value("Introduction to the Special Issue", "bib"),
                    "authors": Value([f"Author{number} Family{number}"], "bib"),
                    "year": Value(2000, "bib"),
                },
            )
            for number in range(size)
        ]
        assert len(merge.merge_records(records).records) == size
        counts.append(compared)
    assert counts[1] <= 10 * counts[0] + 100, counts


def test_an_absorbed_records_override_is_kept(tmp_path: Path) -> None:
    """Issue 13 item 18: the absorbed record's file was deleted with its override."""
    refs = tmp_path / "refs"
    one = Record(id="a", identifiers={"arxiv": "2401.00001"}, override={"title": "Maintainer's Title"})
    two = Record(
        id="b", identifiers={"arxiv": "2401.00001"}, override={"title": "Another Title", "year": 2020}
    )
    three = Record(id="c", identifiers={"arxiv": "2401.00002"}, override={"note": "kept"})
    four = Record(id="d", identifiers={"arxiv": "2401.00002"}, override={"year": 2021})
    save_records(refs, [one, two, three, four])
    export_bibliography(refs, None)
    records = load_records(refs)
    # Disagreeing overrides keep both records; agreeing ones merge and keep every value.
    assert records["a"].override == {"title": "Maintainer's Title"}
    assert records["b"].override == {"title": "Another Title", "year": 2020}
    assert "d" not in records and records["c"].override == {"note": "kept", "year": 2021}


def test_a_paper_id_alone_does_not_merge_unrelated_records() -> None:
    """Issue 13 item 19: one S2 answer giving unrelated records one paperId merged them."""

    def synced(record_id: str, title: str) -> Record:
        return Record(
            id=record_id, identifiers={"s2": "0" * 40, "corpus_id": "1"}, fields={"title": Value(title, "s2")}
        )

    apart = merge.merge_records([synced("a", "Small Models at Work"), synced("b", "A Survey of Tokenizers")])
    assert len(apart.records) == 2
    together = merge.merge_records([synced("a", "Small Models at Work"), synced("b", "Small models at work")])
    assert len(together.records) == 1
