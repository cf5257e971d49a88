"""Reading the services' recorded answers, and what they mean for a record (no network here)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from slmbib.enriching.arxiv import Entry, parse_feed
from slmbib.enriching.pacing import retry_after_seconds
from slmbib.enriching.resolve import (
    Lookup,
    apply,
    is_plain_word_name,
    judge_name_matches,
    judge_title_match,
    remote_fields,
    s2_fields,
)
from slmbib.enriching.s2 import Paper, paper_from_json, record_keys
from slmbib.errors import RefusedAnswer
from slmbib.models import Value

from .replay_server import fixtures_dir
from .sync_corpus import record

FIXTURES = fixtures_dir()
FEEDS = sorted((FIXTURES / "arxiv").rglob("*.xml"))


def s2_answer(name: str, index: int = 0) -> Paper:
    body = json.loads((FIXTURES / "s2" / name).read_text())
    paper = body["data"][0] if isinstance(body, dict) and "data" in body else body
    return paper_from_json(paper[index] if isinstance(paper, list) else paper)


@pytest.mark.parametrize("feed", FEEDS, ids=lambda path: path.name)
def test_every_recorded_feed_parses_in_either_format(feed) -> None:
    text = feed.read_text()
    parsed = parse_feed(feed.read_bytes())
    listed = re.findall(r"<id>https?://arxiv\.org/abs/(.+?)v\d+</id>", text)
    assert sorted(parsed.entries) == sorted(i.lower() for i in listed)
    assert len(parsed.errors) == text.count("/api/errors#") // 2  # the id and the link of each error
    for entry in parsed.entries.values():
        assert entry.title and entry.authors and re.fullmatch(r"\d{4}-\d\d-\d\d", entry.published)
        assert "  " not in entry.title and "\n" not in entry.title


def test_legacy_and_current_feeds_give_the_same_kind_of_entry() -> None:
    legacy = parse_feed(
        (FIXTURES / "arxiv/legacy-format/id_list__1111.2011v2__v2-doi-journal-ref.xml").read_bytes()
    )
    entry = legacy.entries["1111.2011"]
    assert (entry.version, entry.doi, entry.primary_class) == (
        2,
        "10.1103/PhysRevB.85.115117",
        "cond-mat.str-el",
    )
    assert entry.journal_ref.startswith("Phys. Rev. B 85")
    wrapped = parse_feed(
        (FIXTURES / "arxiv/legacy-format/id_list__1710.08557__doi-journal-ref.xml").read_bytes()
    )
    assert wrapped.entries["1710.08557"].title == (
        "On Neuromechanical Approaches for the Study of Biological Grasp and Manipulation"
    )
    current = parse_feed(
        (FIXTURES / "arxiv/id_list__quant-ph_0201082v1__old-style-versioned.xml").read_bytes()
    )
    assert current.entries["quant-ph/0201082"].authors == ("Stephen Blaha",)


def test_error_entries_are_answers_not_entries() -> None:
    for name in (
        "id_list__abc__error-entry__http400.xml",
        "legacy-format/id_list__INVALIDID__error-entry__http400.xml",
    ):
        feed = parse_feed((FIXTURES / "arxiv" / name).read_bytes())
        assert feed.entries == {} and feed.errors[0].startswith("incorrect id format for ")


def test_entity_expansion_is_refused_at_once() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaaaaaaaa">'
        + b"".join(b'<!ENTITY %c "%s">' % (98 + n, b"".join([b"&%c;" % (97 + n)] * 16)) for n in range(8))
        + b']><feed xmlns="http://www.w3.org/2005/Atom"><title>&i;</title></feed>'
    )
    started = time.monotonic()
    with pytest.raises(RefusedAnswer):
        parse_feed(bomb)
    assert time.monotonic() - started < 1


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after_seconds(later) or 0) <= 30
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_recorded_s2_papers_become_fields() -> None:
    journal, published = s2_fields(s2_answer("paper_get__DOI__10.1038_s42256-024-00832-8__rich.json"))
    assert published and journal["entry_type"] == "article"
    assert (journal["journal"], journal["volume"], journal["pages"]) == (
        "Nature Machine Intelligence",
        "6",
        "525 - 535",
    )
    assert journal["doi"] == "10.1038/s42256-024-00832-8" and (journal["year"], journal["month"]) == (2023, 4)
    conference, published = s2_fields(s2_answer("paper_search_match__attention-is-all-you-need__rich.json"))
    assert published and conference["booktitle"] == "Neural Information Processing Systems"
    assert conference["entry_type"] == "inproceedings" and conference["pages"] == "5998-6008"
    preprint, published = s2_fields(s2_answer("paper_search_match__paperqa__rich.json"))
    assert not published and not {"venue", "doi", "journal", "entry_type"} & preprint.keys()


def test_a_title_match_is_accepted_only_when_nothing_speaks_against_it() -> None:
    paper = s2_answer("paper_search_match__attention-is-all-you-need__rich.json")
    same = record("x", "Transformer", "2017", title="Attention Is All You Need.")
    assert judge_title_match(same, paper).state == "found"
    near = judge_title_match(record("x", "x", title="Attention is all you need for translation"), paper)
    assert near.state == "ambiguous" and "similar, not the same" in near.reason
    other = judge_title_match(record("x", "x", title="Attention"), paper)
    assert other.state == "not_found"
    late = judge_title_match(record("x", "x", "2019.3", title="Attention is All you Need"), paper)
    assert late.state == "ambiguous" and "from 2017, the list says 2019" in late.reason
    author = judge_title_match(
        record("x", "x", title="Attention is All you Need", authors=["Vaswani, A."]), paper
    )
    assert author.state == "found"


def test_preprint_and_published_fields_come_from_the_right_service() -> None:
    paper = s2_answer("paper_get__DOI__10.1038_s42256-024-00832-8__rich.json")
    entry = Entry(
        id="2304.05376",
        version=5,
        title="ChemCrow: Augmenting large-language models",
        authors=("Andres M. Bran", "Sam Cox"),
        published="2023-04-11",
        primary_class="physics.chem-ph",
    )
    fields = remote_fields(paper, entry, has_arxiv=True)
    assert fields["title"] == Value("Augmenting large language models with chemistry tools", "s2")
    assert fields["authors"] == Value(["Andres M. Bran", "Sam Cox"], "arxiv")
    assert fields["arxiv_version"] == Value(5, "arxiv") and fields["entry_type"] == Value("article", "s2")
    preprint = remote_fields(None, entry, has_arxiv=True)
    assert preprint["title"].source == "arxiv" and preprint["entry_type"] == Value("preprint", "arxiv")


def test_applying_the_same_answers_twice_changes_nothing() -> None:
    paper = s2_answer("paper_get__DOI__10.1038_s42256-024-00832-8__rich.json")
    original = record(
        "chem", "ChemCrow", "2023", doi="10.1038/s42256-024-00832-8", year=2024, authors_truncated=True
    )
    once = apply(original, Lookup("found", paper, "found"), Lookup("pending"))
    twice = apply(once.record, Lookup("found", paper, "found"), Lookup("pending"))
    assert once.record == twice.record
    assert once.record.identifiers["arxiv"] == "2304.05376" and "authors_truncated" not in once.record.fields
    kept = apply(once.record, Lookup("unavailable", reason="down"), Lookup("unavailable", reason="down"))
    assert kept.record.fields == once.record.fields and kept.record.sync.status == "unavailable"


def test_only_well_formed_ids_go_into_an_s2_batch() -> None:
    sha = "a" * 40
    good = {"arxiv": "2402.14905v2", "doi": "10.1145/3649217.3653554", "acl": "2022.emnlp-main.616"}
    assert record_keys({**good, "corpus_id": "123", "s2": sha}) == [
        f"s2:{sha}",
        "corpus_id:123",
        "arxiv:2402.14905",
        "doi:10.1145/3649217.3653554",
        "acl:2022.emnlp-main.616",
    ]
    bad = {
        "arxiv": "URL",
        "doi": "doi.org/x",
        "corpus_id": "12a",
        "s2": "xyz",
        "acl": "a b",
        "openreview": "Xy",
    }
    assert record_keys(bad) == []


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        *((name, True) for name in ("Orca", "Alpaca", "Gravity hill", "Llama 3.2", "Alpaca 7B", "Orca 2")),
        *((name, False) for name in ("QLoRA", "PEQA", "LaMini-LM", "Specialized FlanT5", "BitNet b1.58")),
    ],
)
def test_plain_word_names_are_told_from_coined_ones(name: str, plain: bool) -> None:
    assert is_plain_word_name(name) is plain


@pytest.mark.parametrize(
    ("name", "title", "taken"),
    [
        ("LaMini-LM", "LaMini-LM: A Diverse Herd of Distilled Models", True),
        ("QLoRA", "Fine-tuning with QLoRA for Clinical Notes", True),  # held as whole words
        ("LoRA", "QA-LoRA: Quantization-Aware Low-Rank Adaptation", False),  # a part of a word
        ("Orca 2", "Orca 2: Teaching Small Language Models How to Reason", True),
        ("Orca", "Orca 2: Teaching Small Language Models How to Reason", False),
        ("Alpaca", "Alpaca against Vicuna: Using LLMs to Uncover Memorization", False),
        ("Llama 3.2", "Fine-tuning Llama 3.2 for Medical Questions", False),  # plain words, not heading
        ("Alpaca 7B", "Evaluating Alpaca 7B on Arithmetic", False),
        ("Gravity hill", "Explanation of Gravity Hill of Mainpat by using digital Elevation Modeling", False),
    ],
)
def test_a_name_is_taken_only_from_a_title_that_names_it(name: str, title: str, taken: bool) -> None:
    verdict = judge_name_matches(record("r", name, "2024"), [Paper("p" * 40, title=title, year=2024)])
    assert (verdict.state == "found") is taken, verdict.reason


def test_a_name_is_taken_only_within_a_year_and_from_one_paper() -> None:
    papers = [Paper("a" * 40, title="QLoRA: Efficient Finetuning of Quantized LLMs", year=2023)]
    assert judge_name_matches(record("r", "QLoRA", "2024"), papers).state == "found"
    assert judge_name_matches(record("r", "QLoRA", "2021"), papers).state == "not_found"
    two = [*papers, Paper("b" * 40, title="QLoRA: Another Paper of the Same Name", year=2024)]
    assert judge_name_matches(record("r", "QLoRA", "2024"), two).state == "ambiguous"
    # A title the name heads wins over one that only holds it.
    held = [Paper("c" * 40, title="Serving QLoRA Adapters at Scale", year=2024), *papers]
    assert judge_name_matches(record("r", "QLoRA", "2024"), held).answer == papers[0]


def test_a_venue_kept_as_a_preprint_keeps_the_preprints_date() -> None:
    """Type, venue, year: one version.  A hand-set preprint does not take the journal's year."""
    published = {
        "paperId": "a" * 40,
        "title": "A Survey",
        "year": 2025,
        "publicationDate": "2025-09-01",
        "venue": "ACM TIST",
        "publicationVenue": {"name": "ACM TIST", "type": "journal"},
        "externalIds": {"DOI": "10.1145/3768165", "ArXiv": "2411.03350"},
    }
    preprint = Entry(id="2411.03350", title="A Survey", published="2024-11-04", authors=("A B",))
    kept = record("survey", "Survey", arxiv="2411.03350", entry_type=Value("preprint", "manual"))
    applied = apply(kept, Lookup("found", paper_from_json(published)), Lookup("found", preprint)).record
    assert (applied.get("year"), applied.get("month"), applied.fields["year"].source) == (2024, 11, "arxiv")
    assert applied.get("entry_type") == "preprint" and "journal" not in applied.fields
    # Left to the services, the same answers make it the published version, dated by the journal.
    free = record("survey", "Survey", arxiv="2411.03350")
    applied = apply(free, Lookup("found", paper_from_json(published)), Lookup("found", preprint)).record
    assert (applied.get("year"), applied.get("entry_type"), applied.get("doi")) == (
        2025,
        "article",
        "10.1145/3768165",
    )
