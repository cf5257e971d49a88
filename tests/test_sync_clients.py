"""`sync` with the clients handed in: S2 and arXiv served by an ``httpx.MockTransport`` from the recordings.

The loopback server (tests/test_sync.py) tests sync over real sockets; here the
same clients run over a transport that answers each request with a recorded
body from tests/fixtures/, checking first that the request is the one the
recording answers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from slmbib.enriching.arxiv import ArxivClient
from slmbib.enriching.s2 import S2Client
from slmbib.enriching.syncing import SyncOptions, SyncResult, sync
from slmbib.models import Record
from slmbib.store import load_records

from .replay_server import S2_TOO_MANY, fixtures_dir
from .sync_corpus import make_refs, record

S2_URL = "https://s2.test"
ARXIV_URL = "https://arxiv.test/api/query"
#: The recorded batch answers these four ids, the first with ``null`` (fixtures/PROVENANCE.md).
BATCH = "s2/paper_batch__4-ids__first-null__rich.json"
ASKED = ["ARXIV:1605.08386", "DOI:10.2139/ssrn.288970", "DOI:10.2139/ssrn.2250500", "DOI:10.1257/rct.1355"]
FEED = "arxiv/id_list__1605.08386__one-entry.xml"

Handler = Callable[[httpx.Request], httpx.Response]


def records() -> list[Record]:
    """Four records whose S2 ids, sorted by record id, are the batch's ``ASKED``."""
    return [
        record("a-heat-bath", "Heat-bath", "2016", arxiv="1605.08386"),
        record("b-did", "DiD", "2001", doi="10.2139/ssrn.288970"),
        record("c-microfinance", "Microfinance", "2013", doi="10.2139/ssrn.2250500"),
        record("d-audits", "Audits", "2023", doi="10.1257/rct.1355"),
    ]


class Body(httpx.SyncByteStream):
    """A body sent as a stream, as a server's is (httpx reads a ``content=`` body at once, and the
    clients read the stream themselves, under their size cap)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        yield self.data


def recorded(path: str, content_type: str) -> httpx.Response:
    body = (fixtures_dir() / path).read_bytes()
    return httpx.Response(200, stream=Body(body), headers={"Content-Type": content_type})


def s2_batch(request: httpx.Request) -> httpx.Response:
    assert (request.method, request.url.path) == ("POST", "/graph/v1/paper/batch")
    assert json.loads(request.content) == {"ids": ASKED}
    return recorded(BATCH, "application/json")


def arxiv_query(request: httpx.Request) -> httpx.Response:
    assert request.url.params["id_list"] == "1605.08386"
    assert request.url.params["max_results"] == "1"
    return recorded(FEED, "application/atom+xml; charset=utf-8")


def faulty(fault: Callable[[httpx.Request], httpx.Response], then: Handler, times: int = 1) -> Handler:
    """``then``, after ``fault`` answered (or raised for) the first ``times`` requests."""
    faults: Iterator[int] = iter(range(times))

    def handle(request: httpx.Request) -> httpx.Response:
        return fault(request) if next(faults, None) is not None else then(request)

    return handle


def run(tmp_path: Path, s2_handler: Handler, arxiv_handler: Handler) -> tuple[dict[str, Record], SyncResult]:
    refs = make_refs(tmp_path, records())
    options = SyncOptions(cache_path=tmp_path / "cache.sqlite", timeout=5.0)
    s2 = S2Client(S2_URL, interval=0.0, timeout=5.0, transport=httpx.MockTransport(s2_handler))
    arxiv = ArxivClient(ARXIV_URL, interval=0.0, timeout=5.0, transport=httpx.MockTransport(arxiv_handler))
    try:
        result = sync(refs, options, s2=s2, arxiv=arxiv)
    finally:
        s2.close()
        arxiv.close()
    return load_records(refs), result


def test_records_are_enriched_from_a_recorded_s2_batch_and_arxiv_feed(tmp_path: Path) -> None:
    found, result = run(tmp_path, s2_batch, arxiv_query)
    assert {rid: r.sync.status for rid, r in found.items()} == dict.fromkeys(found, "resolved")
    # S2 answered null for the arXiv id: the record takes arXiv's entry.
    heat = found["a-heat-bath"]
    assert heat.get("title") == "Heat-bath random walks with Markov bases"
    assert heat.fields["title"].source == "arxiv" and heat.get("url") == "https://arxiv.org/abs/1605.08386"
    assert "s2" not in heat.identifiers
    # Each S2 paper is matched to the id at its position, and the record learns S2's ids.
    did = found["b-did"]
    assert did.get("title") == "How Much Should We Trust Differences-in-Differences Estimates?"
    assert did.identifiers["s2"] == "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce"
    assert did.identifiers["corpus_id"] == "470667"
    assert (
        found["c-microfinance"].get("title")
        == "The Miracle of Microfinance? Evidence from a Randomized Evaluation"
    )
    assert found["d-audits"].get("year") == 2023
    assert result.requests == {"s2": 1, "arxiv": 1}


def test_a_429_is_waited_out_and_asked_again(tmp_path: Path) -> None:
    def too_many(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, stream=Body(S2_TOO_MANY), headers={"Retry-After": "0"})

    found, result = run(tmp_path, faulty(too_many, s2_batch), arxiv_query)
    assert {r.sync.status for r in found.values()} == {"resolved"}
    assert result.requests == {"s2": 2, "arxiv": 1}


def test_a_dropped_connection_is_asked_again(tmp_path: Path) -> None:
    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    found, result = run(tmp_path, s2_batch, faulty(dropped, arxiv_query))
    assert found["a-heat-bath"].sync.status == "resolved"
    assert result.requests == {"s2": 1, "arxiv": 2}


def test_a_service_that_keeps_dropping_leaves_its_records_unavailable(tmp_path: Path) -> None:
    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    found, result = run(tmp_path, s2_batch, faulty(dropped, arxiv_query, times=5))
    heat = found["a-heat-bath"]
    assert heat.sync.status == "unavailable" and "gave up after 5 tries" in heat.sync.reason
    assert {found[rid].sync.status for rid in ("b-did", "c-microfinance", "d-audits")} == {"resolved"}
    (failure,) = result.errors
    assert failure.service == "arxiv" and failure.unsynced == ("a-heat-bath",)


def test_clients_handed_in_stay_open_and_each_run_counts_its_own_requests(tmp_path: Path) -> None:
    s2 = S2Client(S2_URL, interval=0.0, transport=httpx.MockTransport(s2_batch))
    arxiv = ArxivClient(ARXIV_URL, interval=0.0, transport=httpx.MockTransport(arxiv_query))
    with contextlib.closing(s2), contextlib.closing(arxiv):
        results = [
            sync(
                make_refs(folder, records()),
                SyncOptions(cache_path=folder / "cache.sqlite"),
                s2=s2,
                arxiv=arxiv,
            )
            for folder in (tmp_path / "first", tmp_path / "second")
        ]
    assert [result.requests for result in results] == [{"s2": 1, "arxiv": 1}] * 2
    assert (s2.requests, arxiv.requests) == (2, 2)
