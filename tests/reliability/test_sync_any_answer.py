"""Any answer at all from S2 and arXiv, of any shape and type: sync ends with correct records or
`unavailable` and one line per failed service, never an exception, and a later run against a good
server recovers without anyone touching the cache."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmbib.enriching.syncing import sync
from slmbib.store import load_records

from ..replay_server import FEED_OPEN, ReplayServer
from ..sync_corpus import MOBILELLM, TINYSTORIES, make_refs, options, record, serve_papers, snapshot

TRIES = 2
PAPER_ID = "afd50c7869a90b439a772468b6866ff92990713c"  # MobileLLM's paperId on the test server

# Text as a hostile server sends it: any code point (lone surrogates too), escapes, huge runs.
hostile_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=30),
    st.sampled_from(["\x1b]0;owned\x07", "\ud800", "\x9b2J", "\u202e", "", " \n\t "]),
    st.integers(1, 5000).map(lambda n: "!" * n),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), hostile_text
)
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def well_typed(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field's documented type most of the time, anything else the rest."""
    return st.one_of(value, value, st.none(), any_json)


s2_papers = st.fixed_dictionaries(
    {},
    optional={
        "paperId": well_typed(st.sampled_from([PAPER_ID, "f" * 40, "not-an-id"])),
        "externalIds": well_typed(
            st.fixed_dictionaries(
                {},
                optional={
                    "ArXiv": well_typed(st.just(MOBILELLM["arxiv_id"])),
                    "DOI": well_typed(hostile_text),
                    "CorpusId": well_typed(st.integers(0, 2**60)),
                },
            )
        ),
        "title": well_typed(hostile_text),
        "authors": well_typed(
            st.lists(well_typed(st.fixed_dictionaries({"name": hostile_text})), max_size=5)
        ),
        "venue": well_typed(hostile_text),
        "publicationVenue": well_typed(st.fixed_dictionaries({"name": hostile_text, "type": hostile_text})),
        "year": well_typed(st.integers(-5000, 5000)),
        "publicationDate": well_typed(st.dates().map(str) | hostile_text),
        "journal": well_typed(st.fixed_dictionaries({"name": hostile_text, "pages": hostile_text})),
        "publicationTypes": well_typed(st.lists(hostile_text, max_size=3)),
    },
)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


s2_bodies = st.one_of(
    st.lists(s2_papers, min_size=1, max_size=1).map(lambda papers: json.dumps(papers).encode()),
    s2_papers.map(lambda paper: json.dumps([paper]).encode()),
    any_json.map(lambda value: json.dumps(value).encode()),
    st.integers(1000, 300_000).map(nested),
    st.binary(max_size=64),
)


match_bodies = st.one_of(
    s2_papers.map(lambda paper: json.dumps({"data": [paper]}).encode()),
    any_json.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
)


def feed(entry: dict[str, Any]) -> bytes:
    """An Atom feed holding one entry built from ``entry`` (text escaped, but any characters kept)."""
    parts = ["  <entry>\n"]
    for tag, value in entry.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = escape(str(item))
            parts.append(
                f"    <author><name>{text}</name></author>\n"
                if tag == "author"
                else f"    <{tag}>{text}</{tag}>\n"
            )
    parts.append("  </entry>\n")
    return (FEED_OPEN + "".join(parts) + "</feed>\n").encode("utf-8", "surrogatepass")


arxiv_entries = st.fixed_dictionaries(
    {
        "id": st.one_of(
            st.just(f"http://arxiv.org/abs/{MOBILELLM['arxiv_id']}v1"),
            hostile_text.map(lambda t: f"http://arxiv.org/abs/{t}"),
        )
    },
    optional={
        "title": hostile_text,
        "author": st.lists(hostile_text, max_size=5),
        "published": st.one_of(st.just("2024-02-22T00:00:00Z"), hostile_text),
        "arxiv:doi": hostile_text,
        "arxiv:journal_ref": hostile_text,
    },
)
arxiv_bodies = st.one_of(
    arxiv_entries.map(feed), st.binary(max_size=64), st.integers(1000, 100_000).map(nested)
)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as running:
        serve_papers(running)
        yield running


def records() -> list[Any]:
    """One record S2 finds by its arXiv id (a batch), one by its title (a title match)."""
    return [
        record("mobilellm", "MobileLLM", arxiv=MOBILELLM["arxiv_id"]),
        record("tinystories", "TinyStories", title=TINYSTORIES["title"]),
    ]


@pytest.fixture(scope="module")
def expected(server: ReplayServer) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        refs = make_refs(Path(folder), records())
        assert sync(refs, options(server, Path(folder) / "cache.sqlite")).statuses == {"resolved": 2}
        return snapshot(refs)


def printable_everywhere(value: Any) -> bool:
    if isinstance(value, str):
        return value.isprintable()
    if isinstance(value, dict):
        return all(printable_everywhere(k) and printable_everywhere(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(printable_everywhere, value))
    return True


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.none() | s2_bodies, match=st.none() | match_bodies, arxiv_body=st.none() | arxiv_bodies)
def test_any_answer_gives_records_or_unavailable_and_a_good_server_then_recovers(
    server: ReplayServer,
    expected: dict[str, bytes],
    batch: bytes | None,
    match: bytes | None,
    arxiv_body: bytes | None,
) -> None:
    server.clear_faults()
    if batch is not None:
        server.inject("s2", "raw", times=TRIES, body=batch, path_contains="/paper/batch")
    if match is not None:
        server.inject("s2", "raw", times=TRIES, body=match, path_contains="/search/match")
    if arxiv_body is not None:
        server.inject("arxiv", "raw", times=TRIES, body=arxiv_body, content_type="application/atom+xml")
    with tempfile.TemporaryDirectory() as folder:
        refs = make_refs(Path(folder), records())
        before = {r.id: r.identifiers for r in load_records(refs).values()}
        cache = Path(folder) / "cache.sqlite"
        result = sync(refs, options(server, cache, tries=TRIES, timeout=3.0))
        assert all(str(failure).isprintable() for failure in result.errors)  # one line each, nothing hidden
        assert len(result.errors) <= 2
        synced = load_records(refs)
        for each in synced.values():
            assert each.sync.status in ("resolved", "not_found", "ambiguous", "unavailable")
            assert printable_everywhere(each.to_dict())
        server.clear_faults()
        # A good server now: a plain run never fails on what the bad one left in the cache ...
        again = sync(refs, options(server, cache))
        assert not again.errors
        # ... and a refresh gives exactly the clean result, unless a bad answer was well-formed enough
        # to be taken and taught a record an identifier (learned identifiers stay, as from any answer).
        sync(refs, options(server, cache, refresh=True))
        final = load_records(refs)
        if all(synced[rid].identifiers == ids for rid, ids in before.items()):
            assert snapshot(refs) == expected
        else:
            assert {r.sync.status for r in final.values()} <= {"resolved", "ambiguous", "not_found"}
