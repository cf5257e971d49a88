"""The loopback replay server answers like the recorded services, and misbehaves exactly when told to."""

import json
import time
from urllib.parse import urlsplit

import httpx
import pytest
from defusedxml import ElementTree

from .replay_server import ReplayServer, fixtures_dir, synthetic_corpus

ATOM = "{http://www.w3.org/2005/Atom}"
FIXTURES = fixtures_dir()
S2_RECORDINGS = json.loads((FIXTURES / "s2" / "index.json").read_text())
ARXIV_RECORDINGS = json.loads((FIXTURES / "arxiv" / "index.json").read_text())


def served_by_the_server(recording):
    path = urlsplit(recording["request"]["url"]).path
    return path == "/graph/v1/paper/batch" or (
        path.startswith("/graph/v1/paper/") and not path.endswith("/citations")
    )


# Recorded answers the server must reproduce: every success and application error of a route it serves
# (batch, single paper, title match, relevance search).
# Left out: 403 (no API key check) and 500 (that is a fault).
S2_REPLAYED = [
    r
    for r in S2_RECORDINGS
    if r["request"] and r["response"]["status"] in (200, 400, 404) and served_by_the_server(r)
]
# Every current-format id_list recording; the one search_query recording is not an id_list query.
ARXIV_REPLAYED = [
    r
    for r in ARXIV_RECORDINGS
    if not r["file"].startswith("arxiv/legacy-format/") and "id_list=&" not in r["request"]["url"]
]


def feed_entries(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    return [entry.findtext(f"{ATOM}id") for entry in root.iter(f"{ATOM}entry")]


def s2(server: ReplayServer, route: str) -> str:
    return f"{server.s2_api_url}/graph/v1/paper/{route}"


@pytest.mark.parametrize("recording", S2_REPLAYED, ids=lambda r: r["file"])
def test_recorded_s2_request_gets_the_recorded_bytes(replay_server, recording):
    request, response = recording["request"], recording["response"]
    url = urlsplit(request["url"])
    answer = httpx.request(
        request["method"],
        f"{replay_server.s2_api_url}{url.path}?{url.query}",
        content=request["body"],
        headers={"Content-Type": "application/json"} if request["body"] else {},
    )
    assert answer.status_code == response["status"]
    assert answer.content == (FIXTURES / recording["file"]).read_bytes()
    assert answer.headers["Content-Type"] == response["content_type"]
    assert int(answer.headers["Content-Length"]) == response["content_length_header"]


@pytest.mark.parametrize("recording", ARXIV_REPLAYED, ids=lambda r: r["file"])
def test_recorded_arxiv_request_gets_the_recorded_bytes(replay_server, recording):
    url = urlsplit(recording["request"]["url"])
    answer = httpx.get(f"{replay_server.arxiv_api_url}?{url.query}")
    assert answer.status_code == recording["response"]["status"]
    assert answer.content == (FIXTURES / recording["file"]).read_bytes()
    assert answer.headers["Content-Type"].startswith("application/atom+xml")


def test_batch_answers_in_request_order_with_null_for_unknown_ids(replay_server):
    one = replay_server.add_paper("2401.00042", "Tiny Models Think", ["Ana Müller"], "2024-01-05")
    two = replay_server.add_paper(
        "2402.01234", "Small Talk", ["Wei Zhang", "Zoë Smith"], "2024-02-10",
        doi="10.18653/v1/2024.acl-long.7", venue="Annual Meeting of the ACL", acl_id="2024.acl-long.7",
    )  # fmt: skip
    ids = [
        "ARXIV:2401.00042", "ARXIV:2401.99999", "DOI:10.18653/V1/2024.ACL-LONG.7",
        "10.18653/v1/2024.acl-long.7", "ACL:2024.acl-long.7", f"CorpusId:{two['corpusId']}", "URL:https://arxiv.org/abs/2401.00042v3",
        "URL:https://aclanthology.org/2024.acl-long.7/", one["paperId"], "ARXIV:2401.00042v1",
        "DOI:10.48550/arXiv.2401.00042",
    ]  # fmt: skip
    answer = httpx.post(s2(replay_server, "batch"), params={"fields": "title,externalIds"}, json={"ids": ids})
    assert answer.status_code == 200
    found = [paper and paper["paperId"] for paper in answer.json()]
    first, second = one["paperId"], two["paperId"]
    assert found == [first, None, second, second, second, second, first, second, first, None, first]
    assert set(answer.json()[0]) == {"paperId", "title", "externalIds"}
    assert replay_server.ids_requested("s2") == ids


def test_batch_refuses_more_than_500_ids_and_unknown_fields(replay_server):
    too_many = httpx.post(s2(replay_server, "batch"), json={"ids": [f"CorpusId:{n}" for n in range(501)]})
    assert too_many.status_code == 400
    assert "500" in too_many.json()["error"]
    bad_field = httpx.post(s2(replay_server, "batch"), params={"fields": "title,nonsense"}, json={"ids": []})
    assert bad_field.status_code == 400
    assert bad_field.content == b'{"error":"Unrecognized or unsupported fields: [nonsense]"}\n'


def test_single_paper_get_by_arxiv_id_and_404_for_unknown(replay_server):
    paper = replay_server.add_paper("2403.00007", "Pocket Sized Reasoners", ["Søren Kim"], "2024-03-01")
    answer = httpx.get(s2(replay_server, "ARXIV:2403.00007"), params={"fields": "title,year,authors"})
    assert answer.json() == {
        "paperId": paper["paperId"],
        "title": "Pocket Sized Reasoners",
        "year": 2024,
        "authors": paper["authors"],
    }
    missing = httpx.get(s2(replay_server, "ARXIV:2403.00008"), params={"fields": "title"})
    assert missing.status_code == 404
    assert missing.content == b'{"error":"Paper with id ARXIV:2403.00008 not found"}\n'


def test_title_match_replays_the_recorded_wrong_matches(replay_server):
    recorded = (FIXTURES / "s2" / "paper_search_match__gravity-hill__WRONG-paper-match.json").read_bytes()
    fields = "authors,citationCount,citationStyles,externalIds,influentialCitationCount,isOpenAccess,journal,"
    fields += "openAccessPdf,publicationDate,publicationTypes,title,url,venue,year"
    query = {"query": "  gravity   HILL ", "fields": fields}  # case and spacing do not matter
    answer = httpx.get(s2(replay_server, "search/match"), params=query)
    assert answer.content == recorded
    flag = httpx.get(s2(replay_server, "search/match"), params={"query": "National Flag of Canada Day"})
    assert flag.json()["data"][0]["title"].startswith("16. Marketing the Maple Leaf")


def test_title_match_finds_corpus_papers_and_answers_404_otherwise(replay_server):
    paper = replay_server.add_paper(
        "2404.00100", "Phi-Style Data for Small Models", ["Priya Patel"], "2024-04-02"
    )
    answer = httpx.get(
        s2(replay_server, "search/match"),
        params={"query": "phi style data for SMALL models", "fields": "year"},
    )
    (match,) = answer.json()["data"]
    assert (match["paperId"], match["year"]) == (paper["paperId"], 2024)
    assert match["matchScore"] > 0
    missing = httpx.get(s2(replay_server, "search/match"), params={"query": "No Such Paper Anywhere"})
    assert missing.status_code == 404
    recorded = FIXTURES / "s2" / "error_404__paper_search_match__title-match-not-found.json"
    assert missing.content == recorded.read_bytes()


def test_arxiv_feed_holds_the_known_entries_in_order(replay_server):
    replay_server.add_arxiv_entry(
        "2405.00001", "Small & Mighty", ["José Gómez", "Li Wei"], "2024-05-01",
        doi="10.1038/s42256-024-00001-x", journal_ref="Nat. Mach. Intell. 6 (2024)", version=3,
    )  # fmt: skip
    answer = httpx.get(
        replay_server.arxiv_api_url, params={"id_list": "2405.00001,1707.08567,2405.99999,2405.00001v2"}
    )
    assert answer.status_code == 200
    assert feed_entries(answer.content) == [
        "http://arxiv.org/abs/2405.00001v3",
        "http://arxiv.org/abs/1707.08567v1",
        "http://arxiv.org/abs/2405.00001v2",
    ]
    entry = ElementTree.fromstring(answer.content).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Small & Mighty"
    assert [a.findtext(f"{ATOM}name") for a in entry.iter(f"{ATOM}author")] == ["José Gómez", "Li Wei"]
    assert entry.findtext("{http://arxiv.org/schemas/atom}doi") == "10.1038/s42256-024-00001-x"
    assert entry.findtext("{http://arxiv.org/schemas/atom}journal_ref") == "Nat. Mach. Intell. 6 (2024)"


def test_arxiv_respects_max_results_and_start(replay_server):
    ids = replay_server.add_synthetic(5)
    answer = httpx.get(
        replay_server.arxiv_api_url, params={"id_list": ",".join(ids), "max_results": 2, "start": 1}
    )
    assert feed_entries(answer.content) == [f"http://arxiv.org/abs/{i}v1" for i in ids[1:3]]
    assert b"<opensearch:totalResults>5</opensearch:totalResults>" in answer.content


def test_arxiv_malformed_id_is_a_400_error_feed(replay_server):
    answer = httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567,not-an-id"})
    assert answer.status_code == 400
    root = ElementTree.fromstring(answer.content)
    (entry,) = root.iter(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Error"
    assert entry.findtext(f"{ATOM}id") == "https://arxiv.org/api/errors#incorrect_id_format_for_not-an-id"
    assert entry.findtext(f"{ATOM}summary") == "incorrect id format for not-an-id"


def test_semanticscholar_package_talks_to_s2_api_url(replay_server):
    from semanticscholar import SemanticScholar

    paper = replay_server.add_paper("2406.00001", "Little Giants", ["Kwame Rossi"], "2024-06-01")
    client = SemanticScholar(api_url=replay_server.s2_api_url, retry=False, timeout=5)
    (found,) = client.get_papers(["ARXIV:2406.00001"], fields=["title", "externalIds"])
    assert (found.paperId, found.title) == (paper["paperId"], "Little Giants")
    assert replay_server.requests[-1].path == "/s2/graph/v1/paper/batch"


def test_requests_are_logged_with_their_answers(replay_server):
    replay_server.add_synthetic(3)
    with httpx.Client(headers={"x-api-key": "k-123"}) as client:
        client.post(
            s2(replay_server, "batch"), params={"fields": "title"}, json={"ids": ["ARXIV:2401.00002"]}
        )
        client.get(replay_server.arxiv_api_url, params={"id_list": "2401.00001,2401.00003"})
        client.get(replay_server.arxiv_api_url, params={"id_list": "2401.00002v1"})
    s2_request, *arxiv_requests = replay_server.requests
    assert (s2_request.service, s2_request.method, s2_request.status) == ("s2", "POST", 200)
    assert s2_request.query == {"fields": "title"}
    assert s2_request.body == {"ids": ["ARXIV:2401.00002"]}
    assert s2_request.headers["x-api-key"] == "k-123"
    assert [r.service for r in arxiv_requests] == ["arxiv", "arxiv"]
    assert arxiv_requests[0].time <= arxiv_requests[1].time
    assert (replay_server.count("s2"), replay_server.count("arxiv")) == (1, 2)
    assert replay_server.ids_requested("arxiv") == ["2401.00001", "2401.00003", "2401.00002v1"]


def test_a_client_faster_than_the_interval_gets_429():
    with ReplayServer(s2_interval=0.5, arxiv_interval=0.5) as server, httpx.Client() as client:
        batch = s2(server, "batch")
        assert client.post(batch, json={"ids": []}).status_code == 200
        too_soon = client.post(batch, json={"ids": []})
        assert too_soon.status_code == 429
        assert too_soon.json()["message"].startswith("Too Many Requests")
        # The intervals are per service: arXiv has not been asked yet.
        assert client.get(server.arxiv_api_url, params={"id_list": "1707.08567"}).status_code == 200
        assert server.pacing_violations == 1
        time.sleep(0.5)
        assert client.post(batch, json={"ids": []}).status_code == 200
        assert server.pacing_violations == 1
        assert [r.status for r in server.requests] == [200, 429, 200, 200]


@pytest.mark.parametrize("retry_after", [2, None])
def test_injected_429_carries_retry_after_when_given(replay_server, retry_after):
    replay_server.inject("s2", "429", retry_after=retry_after)
    answer = httpx.post(s2(replay_server, "batch"), json={"ids": []})
    assert answer.status_code == 429
    assert answer.headers.get("Retry-After") == (None if retry_after is None else "2")
    assert httpx.post(s2(replay_server, "batch"), json={"ids": []}).status_code == 200  # consumed


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_injected_server_errors(replay_server, status):
    replay_server.inject("s2", str(status), times=2)
    replay_server.inject("arxiv", str(status))
    answers = [httpx.post(s2(replay_server, "batch"), json={"ids": []}) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert "message" in answers[0].json()  # the gateway's shape, which S2 clients read for 5xx
    if status in (500, 504):
        recorded = next(r for r in S2_RECORDINGS if r["response"]["status"] == status)
        assert answers[0].content == (FIXTURES / recorded["file"]).read_bytes()
    assert httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"}).status_code == status


def test_faults_bypass_pacing_and_can_target_one_route():
    with ReplayServer(s2_interval=10) as server, httpx.Client() as client:
        server.inject("s2", "503", path_contains="/search/match")
        assert client.post(s2(server, "batch"), json={"ids": []}).status_code == 200
        assert client.get(s2(server, "search/match"), params={"query": "x"}).status_code == 503
        assert server.pacing_violations == 0


def test_slow_answer_makes_a_client_time_out(replay_server):
    replay_server.inject("arxiv", "slow", delay=2)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"}, timeout=0.2)


def test_truncated_body_is_a_protocol_error(replay_server):
    replay_server.inject("s2", "truncate")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(s2(replay_server, "batch"), params={"fields": "title"}, json={"ids": ["CorpusId:470667"]})
    assert replay_server.requests[-1].status == 200


@pytest.mark.parametrize("mid_body", [False, True])
def test_dropped_connection_is_reset(replay_server, mid_body):
    replay_server.inject("arxiv", "drop", mid_body=mid_body)
    with pytest.raises(httpx.ReadError, match="reset"):
        httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"})
    assert replay_server.requests[-1].status == (200 if mid_body else None)
    assert httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"}).status_code == 200


@pytest.mark.parametrize("status", [200, 503])
def test_html_error_page(replay_server, status):
    replay_server.inject("s2", "html", status=status)
    answer = httpx.get(s2(replay_server, "search/match"), params={"query": "Gravity hill"})
    assert answer.status_code == status
    assert answer.headers["Content-Type"] == "text/html"
    with pytest.raises(json.JSONDecodeError):
        answer.json()


def test_wrong_shape_turns_the_batch_array_into_an_object(replay_server):
    replay_server.inject("s2", "wrong_shape")
    answer = httpx.post(s2(replay_server, "batch"), json={"ids": ["CorpusId:470667"]})
    assert answer.status_code == 200
    assert isinstance(answer.json(), dict)
    replay_server.inject("arxiv", "wrong_shape")
    feed = httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"})
    assert ElementTree.fromstring(feed.content).tag != f"{ATOM}feed"


def test_empty_feed_and_error_entry(replay_server):
    replay_server.inject("arxiv", "empty_feed")
    replay_server.inject("arxiv", "error_entry")
    empty = httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"})
    assert (empty.status_code, feed_entries(empty.content)) == (200, [])
    error = httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"})
    assert error.status_code == 400
    assert feed_entries(error.content) == ["https://arxiv.org/api/errors#incorrect_id_format_for_1707.08567"]
    with pytest.raises(ValueError, match="empty_feed"):
        replay_server.inject("s2", "empty_feed")


def test_raw_answer_is_sent_as_given(replay_server):
    replay_server.inject(
        "arxiv", "raw", body=b"<!DOCTYPE x [<!ENTITY a 'aa'>]><x>&a;</x>", content_type="text/xml"
    )
    answer = httpx.get(replay_server.arxiv_api_url, params={"id_list": "1707.08567"})
    assert (answer.status_code, answer.content) == (200, b"<!DOCTYPE x [<!ENTITY a 'aa'>]><x>&a;</x>")


def test_latency_delays_every_answer():
    with ReplayServer(latency=0.2) as server:
        started = time.monotonic()
        httpx.get(server.arxiv_api_url, params={"id_list": "1707.08567"})
        assert time.monotonic() - started >= 0.2


def test_synthetic_corpus_is_deterministic_distinct_and_served(replay_server):
    papers = synthetic_corpus(2000, seed=3)
    assert papers == synthetic_corpus(2000, seed=3)
    assert len({p.title for p in papers}) == len({p.arxiv_id for p in papers}) == 2000
    assert any(not name.isascii() for p in papers for name in p.authors)
    assert {p.venue is None for p in papers} == {True, False}
    ids = replay_server.add_synthetic(2000, seed=3)
    assert ids == [p.arxiv_id for p in papers]
    answer = httpx.post(s2(replay_server, "batch"), json={"ids": [f"ARXIV:{i}" for i in ids[-500:]]})
    assert [paper["title"] for paper in answer.json()] == [p.title for p in papers[-500:]]
    published = next(p for p in papers if p.doi)
    by_doi = httpx.get(s2(replay_server, f"DOI:{published.doi}"), params={"fields": "venue"})
    assert by_doi.json()["venue"] == published.venue


def test_a_stopped_server_answers_no_more_even_on_an_open_connection():
    with httpx.Client() as client:
        with ReplayServer() as server:
            url = server.arxiv_api_url
            assert client.get(url, params={"id_list": "1707.08567"}).status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get(url, params={"id_list": "1707.08567"})


def test_answers_built_from_the_corpus_have_the_recorded_format(replay_server):
    # The same papers as a recorded batch, named by other id forms: no recording matches this request.
    sha = "0f40b1f08821e22e859c6050916cec3667778613"
    ids = ["CorpusID:470667", "DOI:10.2139/SSRN.2250500", f"URL:https://www.semanticscholar.org/paper/{sha}"]
    answer = httpx.post(s2(replay_server, "batch"), params={"fields": "authors"}, json={"ids": ids})
    assert answer.content == (FIXTURES / "s2" / "paper_batch__3-ids__fields-authors.json").read_bytes()


def test_a_paper_added_over_a_recorded_one_wins_even_for_the_recorded_request(replay_server):
    sha = "0f40b1f08821e22e859c6050916cec3667778613"
    authors = [{"authorId": "1", "name": "Ana Müller"}]
    replay_server.add_s2_paper({"paperId": sha, "title": "Retitled", "authors": authors})
    recording = next(r for r in S2_RECORDINGS if r["file"].endswith("3-ids__fields-authors.json"))
    url = urlsplit(recording["request"]["url"])
    answer = httpx.post(
        f"{replay_server.s2_api_url}{url.path}?{url.query}", content=recording["request"]["body"]
    )
    assert answer.json()[2] == {"paperId": sha, "authors": authors}
    assert answer.json()[0]["authors"][0]["name"] == "Marianne Bertrand"
