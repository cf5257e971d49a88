"""Rendering: entry forms, field order, verbatim identifiers, round trips through bibtexparser."""

from __future__ import annotations

import json
import random
import re
from dataclasses import replace

import bibtexparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slmbib.latex import ascii_fold, to_text
from slmbib.models import Link, Record, Value
from slmbib.names import person, split_names
from slmbib.writing.bibtex import BibEntry, bibtex_layout
from slmbib.writing.citation import MONTHS, latex_safe_doi
from slmbib.writing.keys import assign_keys
from slmbib.writing.write import render

from .corpus import FULL, HOSTILE, LONG_AUTHORS

KEYED, _ = assign_keys({record.id: record for record in FULL + HOSTILE})


def _entry(record_id: str, fmt: str = "bibtex") -> str:
    return render([KEYED[record_id]], fmt, header=False).text


def _fields(entry: str) -> list[str]:
    return re.findall(r"^  (\w+) = ", entry, re.MULTILINE)


def test_arxiv_preprint_is_an_article_natbib_biber_and_zotero_read() -> None:
    entry = _entry("arxiv-2402.14905")
    assert entry.startswith("@article{liu2024mobilellm,\n")
    assert "  journal = {arXiv preprint arXiv:2402.14905},\n" in entry
    assert "  doi = {10.48550/arXiv.2402.14905},\n" in entry
    assert "  eprint = {2402.14905},\n  eprinttype = {arxiv},\n  eprintclass = {cs.LG},\n" in entry
    assert "  month = feb,\n" in entry
    assert "url" not in _fields(entry) and "note" not in _fields(entry)
    assert "archivePrefix" not in entry and "primaryClass" not in entry


def test_a_published_arxiv_paper_keeps_its_doi_and_names_its_arxiv_id() -> None:
    entry = _entry("arxiv-1706.03762")
    assert entry.startswith("@inproceedings{")
    assert "  eprint = {1706.03762},\n  eprinttype = {arxiv},\n" in entry
    assert "  note = {arXiv:1706.03762},\n" in entry  # plain and natbib styles print no eprint
    assert "doi" not in _fields(entry)  # not arXiv's: the entry is the published version


def test_a_preprint_never_takes_a_published_doi() -> None:
    # A list gave the ACL DOI, but nothing says the record is that version yet.
    record = replace(KEYED["arxiv-2402.14905"], identifiers={"arxiv": "2402.14905", "doi": "10.18653/v1/x"})
    entry = render([record], header=False).text
    assert "doi = {10.48550/arXiv.2402.14905}" in entry and "10.18653" not in entry
    # A preprint by hand without an arXiv id has no DOI to give.
    by_hand = Record(
        id="x", key="x2024", fields={"title": Value("T", "manual"), "entry_type": Value("preprint", "manual")}
    )
    assert "doi" not in _fields(render([by_hand], header=False).text)


def test_conference_paper_and_journal_article() -> None:
    conference = _entry("acl-n19-1423")
    assert conference.startswith("@inproceedings{devlin2019bert,")
    assert _fields(conference) == [
        "author",
        "title",
        "booktitle",
        "year",
        "month",
        "pages",
        "publisher",
        "doi",
    ]
    assert "pages = {4171--4186}" in conference and "doi = {10.18653/v1/N19-1423}" in conference
    article = _entry("doi-10.1038-nature14539")
    assert _fields(article) == [
        *("author", "title", "journal", "year", "month", "volume", "number", "pages", "publisher", "doi"),
    ]
    assert "month = may," in article and "{may}" not in article


def test_web_page_has_url_and_access_date() -> None:
    entry = _entry("url-crfm.stanford.edu-2023-03-13-alpaca.html")
    assert entry.startswith("@misc{")
    assert "  howpublished = {Stanford CRFM blog},\n" in entry
    assert "  url = {https://crfm.stanford.edu/2023/03/13/alpaca.html},\n" in entry
    assert "  urldate = {2024-11-05},\n  note = {Accessed: 2024-11-05},\n" in entry
    biblatex = _entry("url-crfm.stanford.edu-2023-03-13-alpaca.html", "biblatex")
    assert biblatex.startswith("@online{") and "urldate = {2024-11-05}" in biblatex and "note" not in biblatex


def test_identifiers_are_never_escaped() -> None:
    assert "  doi = {10.18653/v1/N19-1423},\n" in _entry("acl-n19-1423")
    assert "  url = {https://cdn.openai.com/papers/gpt-4-system-card.pdf?x=1&y=a_b%20c},\n" in _entry(
        "name-gpt-4-system-card"
    )


@pytest.mark.parametrize(
    ("url", "written"),
    [
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        ("https://example.org/a}b{c\\d e", "https://example.org/a%7Db%7Bc%5Cd%20e"),
    ],
)
def test_urls_are_made_safe(url: str, written: str | None) -> None:
    record = Record(id="x", key="x2024web", links=(Link(url, "blog"),), fields={"title": Value("Web", "s2")})
    entry = render([record], header=False).text
    if written is None:
        assert "url" not in _fields(entry)
    else:
        assert f"url = {{{written}}}" in entry


def test_authors_are_full_unless_the_source_truncated_them() -> None:
    llama = _entry("arxiv-2407.21783")
    assert llama.count(" and ") == len(LONG_AUTHORS) - 1 and "others" not in llama
    assert "Person59, AuthorCh}" in llama
    qwen = _entry("arxiv-2309.16609")
    assert "author = {Bai, Jinze and Bai, Shuai and Chu, Yunfei and others}" in qwen


def test_authors_given_as_one_bibtex_string_are_split() -> None:
    record = Record(
        id="x",
        key="x2024",
        fields={"title": Value("T", "manual"), "authors": Value("Ada Lovelace and Turing, Alan", "manual")},
    )
    assert "author = {Lovelace, Ada and Turing, Alan}" in render([record], header=False).text


def test_entries_without_authors_are_misc_with_a_sort_key() -> None:
    record = replace(KEYED["arxiv-2402.14905"], fields={"year": Value(2024, "readme")})
    entry = render([record], header=False).text
    assert entry.startswith("@misc{liu2024mobilellm,")
    assert "  howpublished = {arXiv preprint arXiv:2402.14905},\n" in entry
    assert "  key = {MobileLLM},\n" in entry
    assert render([record]).missing_authors == ("liu2024mobilellm",)


def test_latex_a_user_wrote_is_kept_as_written() -> None:
    entry = _entry("bib-devlin")
    assert r"title = {{RoBERTa}: A Robustly Optimized {BERT} Pretraining Approach \& 50\% More}" in entry
    # Names too, as written: BibTeX splits them itself (here "{\L}ukasz" is a given name).
    assert r"author = {Liu, Yinhan and M{\"u}ller, Hans and {\L}ukasz Kaiser}" in entry


def test_unbalanced_latex_from_a_user_is_escaped_instead() -> None:
    record = Record(id="x", key="x2024", fields={"title": Value(r"Broken } brace \& more", "bib")})
    entry = render([record], header=False).text
    assert r"title = {Broken \textbraceright{} brace \textbackslash{}\& more}" in entry


def test_output_is_deterministic_and_ordered_as_given() -> None:
    records = sorted(KEYED.values(), key=lambda record: record.key)
    first = render(records).text
    assert render(records).text == first
    shuffled = records[:]
    random.Random(4).shuffle(shuffled)
    blocks = sorted(block.strip() for block in first.split("\n\n"))
    assert sorted(block.strip() for block in render(shuffled).text.split("\n\n")) == blocks
    assert first.startswith("% Written by `slmbib export`") and first.endswith("}\n") and "\r" not in first


def _plain_names(value: str) -> list[str]:
    names = []
    for name in split_names(value):
        who = person(name, latex=True)
        parts = (who.given, who.family, who.suffix)
        names.append(" ".join(to_text(part) for part in parts if part))
    return names


def test_export_parses_back_to_the_same_fields() -> None:
    records = sorted(KEYED.values(), key=lambda record: record.key)
    rendered = render(records)
    library = bibtexparser.parse_string(rendered.text)
    assert library.failed_blocks == []
    # Letters pdflatex cannot draw are written approximately (and reported): compare those folded.
    approximated = {key for key, _ in rendered.approximated}
    assert [entry.key for entry in library.entries] == [record.key for record in records]
    for record, entry in zip(records, library.entries, strict=True):
        fields = {name: entry.fields_dict[name].value for name in entry.fields_dict}
        if record.provenance("title") != "bib":
            assert to_text(fields["title"]) == " ".join(record.title.split())
            authors = [" ".join(name.replace(",", " ").split()) for name in record.get("authors")]
            written = _plain_names(fields["author"].removesuffix(" and others"))
            fold = ascii_fold if record.key in approximated else str
            assert [" ".join(sorted(fold(name).split())) for name in written] == [
                " ".join(sorted(fold(name).split())) for name in authors
            ], record.id
        assert fields["year"] == str(record.get("year"))
        for name in ("journal", "booktitle", "volume", "pages", "publisher"):
            if name in fields and record.get(name) and name != "pages":
                assert to_text(fields[name]) == record.get(name)
        if latex_safe_doi(record.identifiers.get("doi", "")):
            assert fields["doi"] == record.identifiers["doi"]
        if "eprint" in fields:
            assert fields["eprint"] == record.identifiers["arxiv"]


def test_csl_json_is_plain_unicode_for_zotero() -> None:
    records = sorted(KEYED.values(), key=lambda record: record.key)
    items = {item["id"]: item for item in json.loads(render(records, "csl-json").text)}
    assert set(items) == {record.key for record in records}
    roberta = items["liu2019roberta"]
    assert roberta["title"] == "RoBERTa: A Robustly Optimized BERT Pretraining Approach & 50% More"
    assert roberta["author"][2] == {"family": "Kaiser", "given": "Łukasz"}
    assert roberta["type"] == "article" and roberta["number"] == "arXiv:1907.11692"
    assert roberta["publisher"] == "arXiv"
    nature = items["lecun2015deep"]
    assert nature["type"] == "article-journal" and nature["issued"] == {"date-parts": [[2015, 5, 27]]}
    assert nature["container-title"] == "Nature" and nature["page"] == "436-444"
    hostile = next(item for item in items.values() if item["title"].startswith("Escaping"))
    assert hostile["title"] == r"Escaping \input{/etc/passwd} and \write18{touch pwned}"
    assert items[KEYED["url-crfm.stanford.edu-2023-03-13-alpaca.html"].key]["accessed"] == {
        "date-parts": [[2024, 11, 5]]
    }


def test_biblatex_uses_its_own_fields_and_keeps_old_keys() -> None:
    record = replace(KEYED["arxiv-2402.14905"], aliases=("mobilellm2024",))
    entry = render([record], "biblatex", header=False).text
    assert entry.startswith("@online{liu2024mobilellm,\n  ids = {mobilellm2024},\n")
    assert (
        "date = {2024-02}" in entry and "eprinttype = {arxiv}" in entry and "eprintclass = {cs.LG}" in entry
    )
    article = render([KEYED["doi-10.1038-nature14539"]], "biblatex", header=False).text
    assert "journaltitle = {Nature}" in article and "date = {2015-05-27}" in article


def test_a_doi_latex_would_misread_is_withheld_from_latex_and_reported() -> None:
    record = KEYED["doi-10.5555-muller"]
    rendered = render([record], header=False)
    assert "doi" not in _fields(rendered.text) and "muller_2024" not in rendered.text
    assert rendered.shortened == (
        (record.key, "DOI '10.5555/muller_2024%3' not written: LaTeX would read part of it as commands"),
    )
    assert json.loads(render([record], "csl-json").text)[0]["DOI"] == "10.5555/muller_2024%3"


def test_csl_json_carries_every_arxiv_id_and_doi() -> None:
    items = {item["id"]: item for item in json.loads(render(list(KEYED.values()), "csl-json").text)}
    preprint = items[KEYED["arxiv-2402.14905"].key]
    assert preprint["number"] == "arXiv:2402.14905" and preprint["DOI"] == "10.48550/arXiv.2402.14905"
    published = items[KEYED["acl-n19-1423"].key]
    assert published["DOI"] == "10.18653/v1/N19-1423" and "note" not in published
    assert items[KEYED["arxiv-1706.03762"].key]["note"] == "arXiv:1706.03762"


def test_a_web_page_without_a_year_is_dated_by_its_url_or_access_date() -> None:
    blog = Record(
        id="x",
        key="alpaca",
        links=(Link("https://crfm.stanford.edu/2023/03/13/alpaca.html", "blog"),),
        fields={"title": Value("Alpaca", "readme")},
    )
    assert "year = {2023}" in render([blog], header=False).text
    card = Record(
        id="y",
        key="beluga",
        links=(Link("https://huggingface.co/stabilityai/StableBeluga2", "model"),),
        fields={"title": Value("Stable Beluga", "readme"), "accessed": Value("2024-11-05", "readme")},
    )
    assert "year = {2024}" in render([card], header=False).text
    assert render([replace(card, fields={"title": Value("Stable Beluga", "readme")})]).missing_year == (
        "beluga",
    )


def _laid_out_by_bibtexparser(preambles: list[str], entries: list[BibEntry]) -> str:
    """The same blocks built as bibtexparser objects and written by its writer, as the exporter once did."""
    from bibtexparser.middlewares.enclosing import AddEnclosingMiddleware
    from bibtexparser.model import Entry, Field, Preamble

    library = bibtexparser.Library()
    for text in preambles:
        library.add(Preamble("{" + text + "}"))
    for entry_type, key, pairs in entries:
        fields = []
        for name, value, bare in pairs:
            fields.append(Field(name, value))
            if bare:
                fields[-1].enclosing = "no-enclosing"
        library.add(Entry(entry_type, key, fields))
    layout = bibtexparser.BibtexFormat()
    layout.indent = "  "
    layout.block_separator = "\n"
    layout.trailing_comma = True
    enclose = AddEnclosingMiddleware(
        reuse_previous_enclosing=False, enclose_integers=True, default_enclosing="{"
    )
    return str(bibtexparser.write_string(library, unparse_stack=[enclose], bibtex_format=layout))


_FIELD_VALUES = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)
_FIELDS = st.lists(
    st.one_of(
        st.tuples(st.from_regex(r"[a-zA-Z]{1,12}", fullmatch=True), _FIELD_VALUES, st.just(False)),
        st.tuples(st.just("month"), st.sampled_from(MONTHS), st.just(True)),
    ),
    max_size=8,
)


@given(
    preambles=st.lists(_FIELD_VALUES, max_size=2, unique=True),
    entries=st.lists(
        st.tuples(
            st.sampled_from(["article", "misc", "online"]),
            st.from_regex(r"[a-z]{1,8}", fullmatch=True),
            _FIELDS,
        ),
        max_size=5,
        unique_by=lambda entry: entry[1],
    ),
)
@settings(max_examples=300, deadline=None)
def test_entries_are_laid_out_as_bibtexparser_writes_them(
    preambles: list[str], entries: list[BibEntry]
) -> None:
    assert bibtex_layout(preambles, entries) == _laid_out_by_bibtexparser(preambles, entries)
