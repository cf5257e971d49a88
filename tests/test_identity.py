"""What identifies a paper: one rule each, agreed on by every stage that asks.

The ids come from the survey's own lists (``refs/lists``) and from three other
real paper lists (``tests/data/lists``, see its PROVENANCE.md).  The
disagreements the stages used to have are each pinned by a case below.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from slmbib.commands.add import paper_link
from slmbib.enriching import arxiv, s2
from slmbib.enriching.resolve import judge_title_match, s2_fields
from slmbib.identity import (
    KEPT_SOURCES,
    REMOTE_SOURCES,
    SOURCE_RANK,
    ArxivId,
    arxiv_doi,
    arxiv_id_from_doi,
    arxiv_id_in_text,
    arxiv_year,
    clean_doi,
    first_author_family,
    is_arxiv_doi,
    is_doi,
    is_preprint_venue,
    is_published,
    name_key,
    normalise_title,
    parse_arxiv_id,
    record_year,
    without_written_identifiers,
    written_identifiers,
    year_in,
)
from slmbib.merge import merge_records
from slmbib.models import Listing, Record, Value
from slmbib.reading.bibread import entry_record
from slmbib.reading.identify import identify
from slmbib.writing.citation import arxiv_id, citation, entry_kind, safe_doi
from slmbib.writing.keys import base_key

from .seeds import SEEDS

LISTS = (*SEEDS, *sorted((Path(__file__).parent / "data" / "lists").glob("*+*.md")))
# Loose on purpose: every arXiv link as written, whatever follows the id.
_ARXIV_LINK = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^\s)\]>\"'<]+")
_DOI_LINK = re.compile(r"https?://(?:dx\.)?doi\.org/[^\s)\]>\"'<]+")


def _links(pattern: re.Pattern[str]) -> list[str]:
    return sorted({url for path in LISTS for url in pattern.findall(path.read_text(encoding="utf-8"))})


ARXIV_LINKS = _links(_ARXIV_LINK)
DOI_LINKS = _links(_DOI_LINK)


def _record(record_id: str = "x", **fields: object) -> Record:
    source = str(fields.pop("source", "s2"))
    return Record(id=record_id, fields={name: Value(value, source) for name, value in fields.items()})


def test_the_lists_hold_many_ids() -> None:
    assert len(LISTS) == 5
    assert len(ARXIV_LINKS) > 900 and len(DOI_LINKS) >= 6


@pytest.mark.parametrize("url", ARXIV_LINKS)
def test_every_listed_arxiv_id_means_the_same_to_every_stage(url: str) -> None:
    written = re.sub(r"^.*?/(?:abs|pdf|html)/", "", url)
    expected = re.fullmatch(r"(\d{4}\.\d{4,5})(?:v(\d+))?(?:\.pdf)?/?", written)
    found = identify(url)
    if expected is None:  # 1911.02972v: a version sign without its number names no id
        assert "arxiv" not in found.identifiers and parse_arxiv_id(written) is None
        return
    arxiv_id_ = expected.group(1)
    version = int(expected.group(2)) if expected.group(2) else None
    assert (found.identifiers["arxiv"], found.arxiv_version) == (arxiv_id_, version)
    assert parse_arxiv_id(f"{arxiv_id_}v{version}" if version else arxiv_id_) == ArxivId(arxiv_id_, version)
    assert arxiv_id_from_doi(arxiv_doi(arxiv_id_)) == arxiv_id_
    record = Record(id="x", identifiers={"arxiv": found.identifiers["arxiv"]})
    assert arxiv_id(record) == arxiv_id_
    assert s2.record_keys(record.identifiers) == [f"arxiv:{arxiv_id_}"]


@pytest.mark.parametrize("url", DOI_LINKS)
def test_every_listed_doi_link_gives_its_doi(url: str) -> None:
    doi = url.split("doi.org/", 1)[1]
    assert identify(url).identifiers["doi"] == doi == clean_doi(url) == safe_doi(f"doi:{doi}")
    assert is_arxiv_doi(doi) == bool(parse_arxiv_id(arxiv_id_from_doi(doi)))


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2402.14905", ArxivId("2402.14905")),
        ("2402.14905v3", ArxivId("2402.14905", 3)),
        ("arXiv:2402.14905v3", ArxivId("2402.14905", 3)),
        ("hep-th/9901001v2", ArxivId("hep-th/9901001", 2)),
        ("math.GT/0309136", ArxivId("math.GT/0309136")),
        ("MATH.gt/0309136v1", ArxivId("math.GT/0309136", 1)),
        ("abc", None),
        ("2402.149", None),
        ("2402.14905/../x", None),
    ],
)
def test_arxiv_ids_are_parsed_into_arxivs_own_spelling(text: str, parsed: ArxivId | None) -> None:
    assert parse_arxiv_id(text) == parsed


def test_an_old_style_id_is_one_id_to_every_stage() -> None:
    """Link reader, feed reader and writer used to disagree on its case and version type."""
    found = identify("https://arxiv.org/abs/math.GT/0309136v2")
    assert (found.identifiers, found.arxiv_version) == ({"arxiv": "math.GT/0309136"}, 2)
    feed = arxiv.parse_feed(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/math.GT/0309136v2</id>'
        b"<title>T</title></entry></feed>"
    )
    assert list(feed.entries) == ["math.GT/0309136"] and feed.entries["math.GT/0309136"].version == 2
    record = Record(id="x", identifiers={"arxiv": "math.GT/0309136"})
    assert arxiv_id(record) == "math.GT/0309136"
    assert s2.record_keys(record.identifiers) == ["arxiv:math.gt/0309136"]


def test_an_arxiv_id_in_free_text() -> None:
    assert arxiv_id_in_text("arXiv preprint arXiv:2401.00001v2") == ArxivId("2401.00001", 2)
    assert arxiv_id_in_text("CoRR abs/hep-th/9901001") == ArxivId("hep-th/9901001")
    assert arxiv_id_in_text("Proceedings of ACL 2401.00001") is None
    values = {"journal": "arXiv preprint arXiv:hep-th/9901001", "title": "T"}
    assert entry_record("article", "k", values).identifiers == {"arxiv": "hep-th/9901001"}
    assert arxiv_year("2306.00978") == 2023 and arxiv_year("hep-th/9901001") is None


def test_arxivs_doi_is_its_id_to_every_stage() -> None:
    doi = "10.48550/ARXIV.2401.00001"
    assert arxiv_id_from_doi(doi) == "2401.00001" and is_arxiv_doi(doi)
    preprint = Record(
        id="x", identifiers={"arxiv": "2401.00001", "doi": doi}, fields={"doi": Value(doi, "bib")}
    )
    assert not is_published(preprint)
    # Written as arXiv's own DOI, in the spelling arXiv registers, whatever the record's case.
    assert citation(Record(**{**preprint.__dict__, "key": "k"})).doi == "10.48550/arXiv.2401.00001"
    fields, peer_reviewed = s2_fields(s2.Paper("a" * 40, identifiers={"doi": doi}, title="T"))
    assert "doi" not in fields and not peer_reviewed
    merged = merge_records(
        [Record(id="a", identifiers={"doi": doi}), Record(id="b", identifiers={"arxiv": "2401.00001"})]
    )
    assert [record.id for record in merged.records] == ["a"]


@pytest.mark.parametrize(
    ("written", "doi"),
    [
        ("10.1145/3477495.3531986", "10.1145/3477495.3531986"),
        ("doi:10.1145/3477495.3531986", "10.1145/3477495.3531986"),
        ("DOI: 10.1145/3477495.3531986", "10.1145/3477495.3531986"),
        ("https://dx.doi.org/10.1145/x", "10.1145/x"),
        ("10.1145/{x}", ""),
        ("10.1145/x\\y", ""),
        ("10.12/x", ""),
        ("11.1145/x", ""),
    ],
)
def test_a_doi_has_one_shape(written: str, doi: str) -> None:
    assert clean_doi(written) == doi == safe_doi(written)


def test_a_doi_export_would_drop_is_no_identifier_either() -> None:
    """The link reader and S2 took DOIs with braces that the writer then refused."""
    assert not is_doi("10.1145/{x}")
    assert identify("https://doi.org/10.1145/{x}").identifiers == {}
    assert s2.record_keys({"doi": "10.1145/{x}"}) == []
    assert paper_link("doi:10.1145/3477495.3531986").identifiers == {"doi": "10.1145/3477495.3531986"}


def test_titles_compare_without_case_accents_markup_or_foreign_letters() -> None:
    assert normalise_title("Ünïcode — Tïtles,  Too!") == "unicode titles too"
    assert normalise_title('G{\\"o}del and {\\L}ukasiewicz', latex=True) == "godel and lukasiewicz"
    assert normalise_title("Gödel and Łukasiewicz") == "godel and lukasiewicz"


def test_a_title_match_reads_a_bib_title_as_latex() -> None:
    """The title judge used to drop \\L and keep the braces' letters apart: another title."""
    record = _record(title='On {\\L}ukasiewicz Logics for G{\\"o}del Machines', source="bib")
    paper = s2.Paper("p", title="On Łukasiewicz logics for Gödel machines")
    assert judge_title_match(record, paper).state == "found"


def test_a_title_match_compares_family_names_folded() -> None:
    """The title judge used to read Łukasiewicz as 'ukasiewicz', unlike merge and keys."""
    record = _record(title="A Study of Many Valued Logics", authors=["Jan Łukasiewicz"])
    paper = s2.Paper("p", title="A study of many-valued logics", authors=("Jan Lukasiewicz",))
    assert judge_title_match(record, paper).state == "found"
    other = s2.Paper("p", title="A study of many-valued logics", authors=("Alfred Tarski",))
    assert judge_title_match(record, other).state == "ambiguous"


@pytest.mark.parametrize(
    ("author", "latex", "family"),
    [
        ("Zechun Liu", False, "liu"),
        ("Liu, Zechun", False, "liu"),
        ("Jan Łukasiewicz", False, "lukasiewicz"),
        ("{\\L}ukasiewicz, Jan", True, "lukasiewicz"),
        ("Ludwig van Beethoven", False, "beethoven"),
    ],
)
def test_a_first_authors_family_name(author: str, latex: bool, family: str) -> None:
    record = _record(authors=[author], source="bib" if latex else "s2")
    assert name_key(first_author_family(record)) == family


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("2024", 2024),
        (2024, 2024),
        ("2024.2", 2024),
        ("2023.10", 2023),
        ("Feb 2024", 2024),
        ("2024-05-01", 2024),
        ("{2019}", 2019),
        ("ICLR 2025", 2025),
        ("20240215", None),
        ("1716", 1716),
        ("0999", None),
        ("3000", None),
        ("", None),
        (None, None),
    ],
)
def test_a_year_is_read_one_way(text: object, year: int | None) -> None:
    assert year_in(text) == year


def test_keys_and_the_title_judge_take_the_same_year() -> None:
    """keys took the date and a year written after a month; the title judge took neither."""
    listing = Listing(source="refs/lists/a.md", line=1, section="S", name="Method", year="Feb 2024")
    record = Record(
        id="x",
        listings=(listing,),
        fields={"title": Value("A Long Enough Title", "readme")},
    )
    assert record_year(record) == 2024 and base_key(record) == "long2024"
    paper = s2.Paper("p", title="A long enough title", year=2021)
    assert judge_title_match(record, paper).state == "ambiguous"
    dated = _record(title="A Long Enough Title", date="2024-02-01")
    assert record_year(dated) == 2024 and judge_title_match(dated, paper).state == "ambiguous"


@pytest.mark.parametrize(
    ("venue", "preprint"),
    [
        ("ArXiv", True),
        ("arXiv.org", True),
        ("CoRR", True),
        ("arXiv preprint arXiv:2401.00001", True),
        ("{arXiv} e-prints", True),
        ("ACL", False),
        ("Transactions on arXiv Studies", False),
    ],
)
def test_a_preprint_venue(venue: str, preprint: bool) -> None:
    assert is_preprint_venue(venue) == preprint


def test_arxiv_preprint_is_arxiv_to_the_s2_reader_too() -> None:
    """The S2 reader took 'arXiv preprint arXiv:...' for a journal; merge and the writer did not."""
    paper = s2.Paper(
        "p", title="T", publication_types=("JournalArticle",), journal_name="arXiv preprint arXiv:2401.00001"
    )
    fields, peer_reviewed = s2_fields(paper)
    assert not peer_reviewed and "journal" not in fields
    journal = Value("arXiv preprint arXiv:2401.00001", "bib")
    record = Record(
        id="x",
        identifiers={"arxiv": "2401.00001"},
        fields={"entry_type": Value("article", "bib"), "journal": journal},
    )
    assert entry_kind(record) == "preprint" and not is_published(record)


def test_sources_rank_in_one_order() -> None:
    assert sorted(SOURCE_RANK, key=SOURCE_RANK.__getitem__, reverse=True)[:2] == ["manual", "bib"]
    assert KEPT_SOURCES == ("manual", "bib") and REMOTE_SOURCES == ("s2", "arxiv")
    assert all(SOURCE_RANK[source] == SOURCE_RANK["s2"] for source in REMOTE_SOURCES)


@pytest.mark.parametrize(
    ("text", "identifiers", "rest"),
    [
        ("arXiv preprint arXiv:2401.01234v2.", [("arxiv", "2401.01234")], "arXiv preprint"),
        (
            "Nature, ARXIV: 2401.01234, DOI:10.1038/x-1.",
            [("arxiv", "2401.01234"), ("doi", "10.1038/x-1")],
            "Nature,",
        ),
        (
            "doi:10.1234/x) and arXiv:hep-th/9901001",
            [("doi", "10.1234/x"), ("arxiv", "hep-th/9901001")],
            " and",
        ),
        ("arXiv:not-an-id, doi:11.1/x", [], ""),
        ("ICML 2024", [], "ICML 2024"),
    ],
)
def test_identifiers_written_in_text_are_one_rule_for_links_and_venue(
    text: str, identifiers: list[tuple[str, str]], rest: str
) -> None:
    """The reader took ``ARXIV:…`` for a link but left it in the venue: one pattern serves both now."""
    assert written_identifiers(text) == identifiers
    assert without_written_identifiers(text) == rest
