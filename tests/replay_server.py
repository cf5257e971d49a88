"""A loopback stand-in for the Semantic Scholar Graph API and the arXiv export API.

Contract: `ReplayServer` listens on 127.0.0.1 (a free port) in a daemon thread and serves
  POST {s2_api_url}/graph/v1/paper/batch, GET {s2_api_url}/graph/v1/paper/{id},
  GET {s2_api_url}/graph/v1/paper/search/match and GET {arxiv_api_url}?id_list=...
from a corpus made of the real recordings in the shared fixtures directory plus records the tests add.
A request equal to a recorded one gets the recorded body byte for byte; any other request gets an answer
built in the same format from the corpus. Every request is logged (`requests`), requests arriving faster
than a service's interval are answered 429 and counted (`pacing_violations`), and `inject()` queues faults
(error statuses, slow, truncated, reset, malformed answers) that the next requests to a service receive,
and the answers of a hostile server (redirects anywhere, a trickle, a gzip bomb, a huge body, an error that
echoes the API key or holds terminal escapes, papers with wrong-typed fields, deeply nested JSON).

    with ReplayServer(s2_interval=1.0, arxiv_interval=3.0) as server:
        server.add_synthetic(2000)
        ...  # point the client at server.s2_api_url and server.arxiv_api_url
        assert server.pacing_violations == 0 and server.count("s2") == 4

Spacing is measured between request arrivals, per service, with 5 ms of tolerance. Where no recording
shows what a service sends (the 429 bodies, the batch-size error's wording, arXiv's Content-Type), the
code says what it is based on. The fixtures directory is `tests/fixtures` (a copy of the recordings,
with their provenance), or `$SLMBIB_FIXTURES` when set.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import hashlib
import json
import math
import os
import random
import re
import socket
import struct
import threading
import time
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

# Top-level paper fields in the order S2 emits them (seen in the rich recordings), then the
# remaining FullPaper fields of the swagger spec, which no recording shows.
PAPER_FIELDS = (
    "paperId", "externalIds", "corpusId", "publicationVenue", "url", "title", "abstract", "venue", "year",
    "referenceCount", "citationCount", "influentialCitationCount", "isOpenAccess", "openAccessPdf",
    "fieldsOfStudy", "s2FieldsOfStudy", "publicationTypes", "publicationDate", "journal", "citationStyles",
    "authors", "citations", "references", "embedding", "tldr", "textAvailability",
)  # fmt: skip
# S2 id prefixes (swagger `paper_id`) -> the lower-cased externalIds key they look up.
S2_ID_PREFIXES = {
    "arxiv": "arxiv", "doi": "doi", "acl": "acl", "corpusid": "corpusid", "mag": "mag",
    "pmid": "pubmed", "pmcid": "pubmedcentral",
}  # fmt: skip
S2_URL_FORMS = (
    (re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(.+?)(?:v\d+)?(?:\.pdf)?/?"), "arxiv"),
    (re.compile(r"https?://(?:www\.)?aclanthology\.org/(.+?)(?:\.pdf)?/?"), "acl"),
    (re.compile(r"https?://(?:www\.)?aclweb\.org/anthology/(.+?)(?:\.pdf)?/?"), "acl"),
    (re.compile(r"https?://(?:www\.)?semanticscholar\.org/paper/(?:.*/)?([0-9a-f]{40})/?"), "paperid"),
)
NESTED_ROUTE = re.compile(r"/(citations|references|authors)$")
SHA = re.compile(r"[0-9a-f]{40}")
ARXIV_ID = re.compile(  # new style 2401.00001, old style hep-th/9901001, each with an optional vN
    r"(?P<base>\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?"
)
ENTRY_BLOCK = re.compile(r"  <entry>\n.*?  </entry>\n", re.DOTALL)
ENTRY_ID = re.compile(r"<id>http://arxiv\.org/abs/(.+?)v(\d+)</id>")
BATCH_LIMIT = 500  # swagger: "Can only process 500 paper ids at a time."
PACING_TOLERANCE = 0.005  # seconds; absorbs timer jitter so a client pacing exactly at the interval passes
# A score in the range the genuine recorded matches have (about 133 to 390); clients must not rely on it.
CORPUS_MATCH_SCORE = 200.0
S2_JSON = "application/json"  # every S2 recording, success or error
# arXiv response headers were never recorded; this is what export.arxiv.org declares for Atom.
ATOM = "application/atom+xml; charset=utf-8"
FEED_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\""
    ' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
)
# S2's 429 is not recorded as a file; this is the body third-party logs quote verbatim (PROVENANCE.md).
S2_TOO_MANY = (
    b'{"message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits.'
    b' https://www.semanticscholar.org/product/api#api-key-form", "code": "429"}'
)
ARXIV_TOO_MANY = b"Rate exceeded."  # reported text of export.arxiv.org's 429 (arXiv sends no JSON)
HTML_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
FAULTS = frozenset(
    {"429", "500", "502", "503", "504", "slow", "truncate", "drop", "html", "wrong_shape", "raw"}
    | {"empty_feed", "error_entry"}
    | {"redirect", "trickle", "gzip_bomb", "huge", "echo_key", "escapes", "paper_fields", "deep", "gzip"}
)
ARXIV_ONLY = frozenset({"empty_feed", "error_entry"})
S2_ONLY = frozenset({"paper_fields"})
# What a hostile server writes into a message: a window title change, a screen clear, a bell.
TERMINAL_ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mred\x1b[0m\x9b1m"
SERVICES = ("s2", "arxiv")
S2_PAPER_PAGE = "https://www.semanticscholar.org/paper/"
ARXIV_DEFAULTS = {"search_query": "", "id_list": "", "start": "0", "max_results": "10"}  # user manual


@functools.cache  # compressing 100 MB takes a moment; a test may ask for the same bomb again
def gzip_bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


@functools.cache
def huge_body(size: int) -> bytes:
    return b"[" + b" " * size + b"]"


def fixtures_dir() -> Path:
    override = os.environ.get("SLMBIB_FIXTURES")
    return Path(override) if override else Path(__file__).resolve().parent / "fixtures"


@dataclass
class RecordedRequest:
    service: str  # 's2', 'arxiv', or '' for a path that belongs to neither
    method: str
    path: str  # percent-decoded, starting with /s2 or /arxiv
    query: dict[str, str]  # first value of each parameter
    body: Any  # parsed JSON, or None
    headers: dict[str, str]
    time: float  # time.monotonic() at arrival
    status: int | None = None  # None when the connection was dropped before any answer


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Fault:
    name: str
    options: dict[str, Any]


@dataclass(frozen=True)
class _ArxivEntry:
    version: int  # the latest version; the markup carries it in its ids and links
    markup: str


@dataclass(frozen=True)
class SyntheticPaper:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    published: str  # YYYY-MM-DD
    venue: str | None  # None: still a preprint
    publication_types: tuple[str, ...]
    doi: str | None  # the publisher's DOI, None for preprints
    acl_id: str | None


def _normalise_title(text: str) -> str:
    """Case, punctuation and spacing differences do not make titles different."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value) + "\n").encode()  # S2's success bodies: default separators, \u escapes, newline


def _s2_error(status: int, message: str) -> _Answer:
    # S2's application errors are compact {"error": ...} with a newline (recorded 400 and 404 bodies).
    return _Answer(status, (json.dumps({"error": message}, separators=(",", ":")) + "\n").encode(), S2_JSON)


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


@functools.cache  # a benchmark corpus repeats a few hundred names thousands of times
def _author_id(name: str) -> str:
    return str(int(hashlib.sha1(name.encode()).hexdigest()[:7], 16))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _s2_route(method: str, route: str) -> tuple[str, str] | None:
    """('batch'|'match'|'paper', paper id) for the S2 routes served; None for any other."""
    if method == "POST" and route == "/paper/batch":
        return ("batch", "")
    if method != "GET" or not route.startswith("/paper/"):
        return None
    ref = route[len("/paper/") :]
    if ref == "search/match":
        return ("match", "")
    if ref in ("search", "search/bulk", "autocomplete", "batch") or NESTED_ROUTE.search(ref):
        return None
    return ("paper", ref)


def _s2_ref_key(ref: str) -> str | None:
    """The corpus index key ('doi:10.1/x', 'arxiv:2401.00001', ...) an S2 paper id form names."""
    ref = ref.strip()
    if ref.startswith("10."):  # a bare DOI (recorded); checked first because DOIs may hold colons
        return f"doi:{ref.lower()}"
    if SHA.fullmatch(ref):
        return f"paperid:{ref}"
    prefix, colon, value = ref.partition(":")
    prefix = prefix.lower()  # recorded: "CorpusID:" works as well as "CorpusId:"
    if colon and prefix == "url":
        for pattern, kind in S2_URL_FORMS:
            if url := pattern.fullmatch(value.strip()):
                return f"{kind}:{url[1].lower()}"
    elif colon and prefix in S2_ID_PREFIXES:
        # No version stripping for ARXIV: the documented form is unversioned, so a client sending
        # "ARXIV:2106.15928v2" gets the null it would risk from the real service.
        return f"{S2_ID_PREFIXES[prefix]}:{value.strip().lower()}"
    return None


def _field_names(fields: str | None) -> list[str]:
    return [name.strip() for name in (fields if fields is not None else "title").split(",") if name.strip()]


_GIVEN = ("Wei", "Ana", "José", "Zoë", "Łukasz", "Søren", "Chloé", "Mehmet", "Priya", "Hiroshi", "Olga",
          "François", "Björn", "Ayşe", "Kwame", "Mateo", "Yuki", "Ingrid", "Rafał", "Thảo")  # fmt: skip
_FAMILY = ("Zhang", "Müller", "García", "Kowalski", "O'Brien", "van der Berg", "Nakamura", "Dubois", "Çelik",
           "Ivanova", "Smith", "Li", "Gómez", "Nørgaard", "Schröder", "Kim", "Rossi", "Hernández", "Patel",
           "Nguyễn")  # fmt: skip
_TITLE_PARTS = (
    ("Efficient", "Robust", "Scalable", "Sparse", "Distilled", "Quantized", "Adaptive", "Compact", "Faithful",
     "Multilingual", "Low-Rank", "Curriculum", "Contrastive", "Streaming", "Federated", "Modular"),
    ("Small Language Models", "Tiny Transformers", "Mixture-of-Experts", "Student Models", "Edge LLMs",
     "Retrieval Models", "State Space Models", "Decoder-Only Models", "Instruction Tuning", "Adapters",
     "Speculative Decoding", "Token Pruning", "KV-Cache Compression", "Knowledge Distillation",
     "Pruned Networks", "Byte-Level Models"),
    ("for", "via", "with", "beyond", "under", "through", "against", "in"),
    ("On-Device Reasoning", "Code Generation", "Question Answering", "Machine Translation", "Summarization",
     "Math Word Problems", "Clinical Text", "Low-Resource Languages", "Tool Use", "Long Contexts",
     "Dialogue", "Commonsense Inference", "Data Selection", "Evaluation", "Safety Alignment", "Agents"),
)  # fmt: skip
# (venue, publication types, ACL anthology volume or None, DOI prefix or None); None: still a preprint.
_VENUES = (
    None,
    None,
    ("Annual Meeting of the Association for Computational Linguistics", ("JournalArticle", "Conference"),
     "acl-long", "10.18653/v1"),
    ("Conference on Empirical Methods in Natural Language Processing", ("Conference",), "emnlp-main",
     "10.18653/v1"),
    ("Neural Information Processing Systems", ("Conference",), None, None),
    ("Nature Machine Intelligence", ("JournalArticle",), None, "10.1038"),
)  # fmt: skip


def synthetic_corpus(n: int, seed: int = 0) -> list[SyntheticPaper]:
    """n distinct, deterministic papers with arXiv ids 2401.00001 onwards, a third of them preprints."""
    rng = random.Random(seed)
    papers = []
    for index, code in enumerate(rng.sample(range(math.prod(len(part) for part in _TITLE_PARTS)), n)):
        words = []
        for part in _TITLE_PARTS:  # the sample is without replacement, so titles never repeat
            code, digit = divmod(code, len(part))
            words.append(part[digit])
        month, number = divmod(index, 99999)
        arxiv_id = f"24{month + 1:02d}.{number + 1:05d}"
        people = rng.sample(range(len(_GIVEN) * len(_FAMILY)), rng.randint(1, 8))
        names = tuple(f"{_GIVEN[k % len(_GIVEN)]} {_FAMILY[k // len(_GIVEN)]}" for k in people)
        venue = rng.choice(_VENUES)
        acl_id = f"2024.{venue[2]}.{index + 1}" if venue and venue[2] else None
        doi = None
        if venue and venue[3]:
            doi = f"{venue[3]}/{acl_id}" if acl_id else f"{venue[3]}/s42256-024-{index + 1:05d}-x"
        papers.append(SyntheticPaper(
            arxiv_id=arxiv_id, title=f"{words[0]} {words[1]} {words[2]} {words[3]}", authors=names,
            published=f"20{arxiv_id[:2]}-{arxiv_id[2:4]}-{1 + index % 28:02d}", doi=doi, acl_id=acl_id,
            venue=venue[0] if venue else None, publication_types=venue[1] if venue else ("JournalArticle",),
        ))  # fmt: skip
    return papers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services; every answer has a Content-Length
    timeout = 60  # an idle keep-alive connection frees its thread eventually
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.replay.handle(self)

    do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is `ReplayServer.requests`; stderr noise would bury test output


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    replay: ReplayServer
    open_connections: set[socket.socket]

    def process_request(self, request: Any, client_address: Any) -> None:
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.open_connections.discard(request)
        super().shutdown_request(request)


class ReplayServer:
    """See the module docstring. Intervals and latency are in seconds; 0 turns pacing off."""

    def __init__(self, *, s2_interval: float = 0.0, arxiv_interval: float = 0.0, latency: float = 0.0):
        self.intervals = {"s2": s2_interval, "arxiv": arxiv_interval}
        self.latency = latency
        self.requests: list[RecordedRequest] = []
        self.pacing_violations = 0
        self._lock = threading.Lock()
        self._last_arrival: dict[str, float] = {}
        self._faults: dict[str, deque[_Fault]] = {service: deque() for service in SERVICES}
        self._stopping = threading.Event()
        self._papers: dict[str, dict[str, Any]] = {}  # paperId -> paper
        self._s2_keys: dict[str, str] = {}  # 'doi:10.1/x', 'arxiv:2401.00001', 'paperid:<sha>' ... -> paperId
        self._titles: dict[str, str] = {}  # normalised title -> paperId
        # request key (`_s2_key`) -> recorded body, paperIds in it
        self._s2_replay: dict[tuple[Any, ...], tuple[bytes, frozenset[str]]] = {}
        self._recorded_ids: set[str] = set()
        self._match_recordings: dict[str, tuple[str, float]] = {}  # normalised query -> paperId, matchScore
        self._entries: dict[str, _ArxivEntry] = {}  # unversioned arXiv id -> entry
        self._feed_updated: dict[str, str] = {}  # recorded feed query -> its <updated>
        self._gateway_bodies: dict[int, bytes] = {}
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        root = fixtures_dir()
        self._load_s2(root)
        self._load_arxiv(root)

    # -- corpus -------------------------------------------------------------------------------------

    def _load_s2(self, root: Path) -> None:
        manifest = json.loads((root / "s2" / "index.json").read_text())
        for status in (500, 504):  # the gateway's own bodies, used by the 500/504 faults
            (file,) = [e["file"] for e in manifest if e["request"] and e["response"]["status"] == status]
            self._gateway_bodies[status] = (root / file).read_bytes()
        successes = [e for e in manifest if e["request"] and e["response"]["status"] == 200]
        # Recordings made at different dates disagree (citation counts): merging oldest first lets the
        # newest value win in the corpus, while each recorded request still replays its own bytes.
        successes.sort(key=lambda e: parsedate_to_datetime(e["response"]["date"]))
        for recording in successes:
            raw = (root / recording["file"]).read_bytes()
            body = json.loads(raw)
            if isinstance(body, list):
                papers = [p for p in body if p]
            else:
                papers = [body] if "paperId" in body else body.get("data", [])
            for paper in papers:
                self._store_paper({k: v for k, v in paper.items() if k != "matchScore"}, merge=True)
            url = urlsplit(recording["request"]["url"])
            route = _s2_route(recording["request"]["method"], url.path.removeprefix("/graph/v1"))
            if route is None:
                continue
            params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            ids = json.loads(recording["request"]["body"])["ids"] if route[0] == "batch" else None
            # A recorded answer also tells which paper an id names, even when the fields asked for
            # (title only, say) do not include the externalIds that would say so.
            named = [route[1]] if route[0] == "paper" else ids or []
            answers = body if isinstance(body, list) else [body]
            for ref, paper in zip(named, answers, strict=False):
                if paper and (ref_key := _s2_ref_key(ref)):
                    self._s2_keys[ref_key] = paper["paperId"]
            key = self._s2_key(route, params, ids)
            self._s2_replay[key] = (raw, frozenset(p["paperId"] for p in papers))
            self._recorded_ids.update(self._s2_replay[key][1])
            if route[0] == "match":
                self._match_recordings[key[1]] = (papers[0]["paperId"], papers[0]["matchScore"])

    def _load_arxiv(self, root: Path) -> None:
        for recording in json.loads((root / "arxiv" / "index.json").read_text()):
            # The legacy (pre-2025) feeds are left out: mixing their markup into a current feed would be
            # an answer the service never gave.
            if recording["file"].startswith("arxiv/legacy-format/"):
                continue
            text = (root / recording["file"]).read_bytes().decode()
            for block in ENTRY_BLOCK.findall(text):
                if found := ENTRY_ID.search(block):
                    self._entries[found[1]] = _ArxivEntry(int(found[2]), block)
            params = {k: v[0] for k, v in parse_qs(urlsplit(recording["request"]["url"]).query).items()}
            if params.get("id_list"):
                updated = re.search(r"<updated>(.+?)</updated>", text)
                assert updated, recording["file"]
                self._feed_updated[self._feed_query(params)] = updated[1]

    def _store_paper(self, paper: dict[str, Any], *, merge: bool = False) -> None:
        paper_id = paper["paperId"]
        if merge and paper_id in self._papers:
            paper = {**self._papers[paper_id], **paper}
        self._papers[paper_id] = paper
        self._s2_keys[f"paperid:{paper_id}"] = paper_id
        external = paper.get("externalIds") or {}
        corpus_id = paper.get("corpusId", external.get("CorpusId"))
        if corpus_id is not None:
            self._s2_keys[f"corpusid:{corpus_id}"] = paper_id
        for kind, value in external.items():
            self._s2_keys[f"{kind.lower()}:{str(value).lower()}"] = paper_id
        if paper.get("title"):
            self._titles[_normalise_title(paper["title"])] = paper_id

    def add_s2_paper(self, paper: dict[str, Any]) -> None:
        """Add or replace an S2 paper object (it must have a paperId)."""
        paper = dict(paper)
        self._store_paper(paper)
        # A recorded answer that holds this paper would now contradict the corpus.
        if paper["paperId"] in self._recorded_ids:
            self._s2_replay = {k: v for k, v in self._s2_replay.items() if paper["paperId"] not in v[1]}

    def add_arxiv_entry(
        self, arxiv_id: str, title: str, authors: Sequence[str], published: str, *, doi: str | None = None,
        journal_ref: str | None = None, primary_category: str = "cs.CL", version: int = 1, summary: str = "",
    ) -> None:  # fmt: skip
        """Add an arXiv record in the current feed format; `arxiv_id` is unversioned, `version` the latest."""
        matched = ARXIV_ID.fullmatch(arxiv_id)
        if not matched or matched["version"]:
            raise ValueError(f"not an unversioned arXiv id: {arxiv_id!r}")
        stamp = published if "T" in published else f"{published}T00:00:00Z"
        versioned, category = f"{arxiv_id}v{version}", _attr(primary_category)
        lines = [  # the element order of the recorded feeds
            "  <entry>",
            f"    <id>http://arxiv.org/abs/{versioned}</id>",
            f"    <title>{escape(title)}</title>",
            f"    <updated>{stamp}</updated>",
            f'    <link href="https://arxiv.org/abs/{versioned}" rel="alternate" type="text/html"/>',
            f'    <link href="https://arxiv.org/pdf/{versioned}" rel="related" type="application/pdf"'
            ' title="pdf"/>',
            f"    <summary>{escape(summary)}</summary>",
            f'    <category term="{category}" scheme="http://arxiv.org/schemas/atom"/>',
            f"    <published>{stamp}</published>",
            f'    <arxiv:primary_category term="{category}"/>',
        ]  # fmt: skip
        if journal_ref:
            lines.append(f"    <arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>")
        for name in authors:
            lines += ["    <author>", f"      <name>{escape(name)}</name>", "    </author>"]
        if doi:
            lines.append(f"    <arxiv:doi>{escape(doi)}</arxiv:doi>")
            lines.append(f'    <link rel="related" href="https://doi.org/{_attr(doi)}" title="doi"/>')
        self._entries[arxiv_id] = _ArxivEntry(version, "\n".join([*lines, "  </entry>"]) + "\n")

    def add_paper(
        self, arxiv_id: str, title: str, authors: Sequence[str], published: str, *, doi: str | None = None,
        venue: str | None = None, publication_types: Sequence[str] | None = None, acl_id: str | None = None,
        journal_ref: str | None = None, primary_category: str = "cs.CL", version: int = 1,
    ) -> dict[str, Any]:  # fmt: skip
        """One paper known to both services, consistently, its S2 side shaped like the recorded papers;
        `venue=None` makes it a preprint. Returns the S2 paper object."""
        paper_id = hashlib.sha1(f"arXiv:{arxiv_id}".encode()).hexdigest()
        corpus_id = int(paper_id[:12], 16)  # 48 bits: no collisions among a benchmark's records
        # S2 gives preprints arXiv's DataCite DOI (recorded: "10.48550/arXiv.2312.07559").
        external = {"ArXiv": arxiv_id, "ACL": acl_id, "DOI": doi or f"10.48550/arXiv.{arxiv_id}"}
        types = list(publication_types or (["JournalArticle"] if venue is None else ["Conference"]))
        publication_venue: dict[str, str] | None = None
        journal: dict[str, str] | None = {"name": "ArXiv", "volume": f"abs/{arxiv_id}"}  # as recorded
        if venue is not None:
            kind = "conference" if "Conference" in types else "journal"
            venue_id = str(uuid.uuid5(uuid.NAMESPACE_URL, venue))
            publication_venue = {"id": venue_id, "name": venue, "type": kind}
            journal = {"name": venue} if kind == "journal" else None
        external_ids = {kind: value for kind, value in external.items() if value} | {"CorpusId": corpus_id}
        paper = {
            "paperId": paper_id, "externalIds": external_ids, "corpusId": corpus_id,
            "publicationVenue": publication_venue, "url": f"{S2_PAPER_PAGE}{paper_id}", "title": title,
            "venue": venue or "arXiv.org", "year": int(published[:4]), "publicationTypes": types,
            "publicationDate": published[:10], "journal": journal,
            "authors": [{"authorId": _author_id(name), "name": name} for name in authors],
        }  # fmt: skip
        self.add_s2_paper(paper)
        self.add_arxiv_entry(arxiv_id, title, authors, published, doi=doi, journal_ref=journal_ref,
                             primary_category=primary_category, version=version)  # fmt: skip
        return paper

    def add_synthetic(self, n: int, seed: int = 0) -> list[str]:
        """Add `synthetic_corpus(n, seed)` to both services; returns the arXiv ids."""
        for p in (papers := synthetic_corpus(n, seed)):
            self.add_paper(p.arxiv_id, p.title, p.authors, p.published, doi=p.doi, venue=p.venue,
                           publication_types=p.publication_types, acl_id=p.acl_id)  # fmt: skip
        return [p.arxiv_id for p in papers]

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> ReplayServer:
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.replay, self._httpd.open_connections = self, set()
        # A short poll lets stop() return within 10 ms: the tests start a server each.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="replay-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a "slow" fault or the latency
        if self._httpd is not None and self._thread is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            # A stopped service must not keep answering on a client's pooled keep-alive connection.
            for connection in list(self._httpd.open_connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._thread.join()
            self._httpd = self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def s2_api_url(self) -> str:
        return self.base_url + "/s2"

    @property
    def arxiv_api_url(self) -> str:
        return self.base_url + "/arxiv/api/query"

    # -- instrumentation and faults -----------------------------------------------------------------

    def count(self, service: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.service == service)

    def ids_requested(self, service: str) -> list[str]:
        """Every paper id the client asked `service` for, in order, duplicates kept."""
        with self._lock:
            requests = [r for r in self.requests if r.service == service]
        ids: list[str] = []
        for r in requests:
            if service == "arxiv":
                ids += [i.strip() for i in r.query.get("id_list", "").split(",") if i.strip()]
                continue
            route = _s2_route(r.method, r.path.removeprefix("/s2/graph/v1"))
            if route and route[0] == "paper":
                ids.append(route[1])
            elif route and route[0] == "batch" and isinstance(r.body, dict):
                ids += [str(i) for i in r.body.get("ids") or []]
        return ids

    def inject(self, service: str, fault: str, times: int = 1, **options: Any) -> None:
        """Queue `fault` for the next `times` requests to `service` (those whose path contains
        `path_contains`, when given). Options: retry_after (429), delay (slow), fraction (truncate),
        mid_body (drop), status (html, raw, redirect, echo_key, escapes), body and content_type (raw),
        message (error_entry), location (redirect: absolute or relative), delay and headers (trickle: one
        byte every `delay` seconds, of the headers too when `headers`), size (gzip_bomb and huge: bytes
        after decompression), fields (paper_fields: merged into every S2 paper of the answer),
        depth (deep)."""
        wrong_service = (fault in ARXIV_ONLY and service != "arxiv") or (fault in S2_ONLY and service != "s2")
        if service not in SERVICES or fault not in FAULTS or wrong_service:
            raise ValueError(f"no fault {fault!r} for service {service!r}")
        with self._lock:
            self._faults[service].extend([_Fault(fault, options)] * times)

    def clear_faults(self) -> None:
        """Forget the faults queued and not yet drawn."""
        with self._lock:
            for queue in self._faults.values():
                queue.clear()

    def _take_fault(self, service: str, path: str) -> _Fault | None:
        queue = self._faults.get(service, deque())
        for fault in queue:
            if fault.options.get("path_contains", "") in path:
                queue.remove(fault)
                return fault
        return None

    # -- request handling ---------------------------------------------------------------------------

    def handle(self, handler: _Handler) -> None:
        split = urlsplit(handler.path)
        path = unquote(split.path)
        params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        raw_body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw_body) if raw_body else None
        except ValueError:
            body = None
        service = next((s for s in SERVICES if path.startswith(f"/{s}/")), "")
        headers = dict(handler.headers)
        record = RecordedRequest(service, handler.command, path, params, body, headers, time.monotonic())
        with self._lock:
            self.requests.append(record)
            fault = self._take_fault(service, path)
            # Every arrival counts for spacing, but a request that draws a fault is not judged: the
            # fault is what the test asked to see.
            last = self._last_arrival.get(service)
            self._last_arrival[service] = record.time
            spacing = self.intervals.get(service, 0.0) - PACING_TOLERANCE
            too_fast = last is not None and spacing > 0 and record.time - last < spacing
            if too_fast and fault is None:
                self.pacing_violations += 1
        if self.latency:
            self._stopping.wait(self.latency)
        try:
            if fault is not None:
                self._answer_fault(handler, record, fault, raw_body)
            elif too_fast:
                self._send(handler, record, self._too_many(service))
            else:
                self._send(handler, record, self._answer(record, raw_body))
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True  # the client gave up (its timeout); nothing left to tell it

    def _answer(self, record: RecordedRequest, raw_body: bytes) -> _Answer:
        if record.service == "s2":
            route = _s2_route(record.method, record.path.removeprefix("/s2/graph/v1"))
            if route is not None:
                return self._s2_answer(route, record.query, raw_body)
        elif record.path == "/arxiv/api/query" and record.method == "GET":
            return self._arxiv_answer(record.query)
        return _Answer(404, b'{"message":"Not Found"}', S2_JSON)

    @staticmethod
    def _s2_key(route: tuple[str, str], params: dict[str, str], ids: list[str] | None) -> tuple[Any, ...]:
        """What makes two S2 requests the same request: the same ids, the same fields in any order, match
        queries that normalise to the same title."""
        subject: Any = tuple(map(str, ids or ())) if route[0] == "batch" else route[1]
        if route[0] == "match":
            subject = _normalise_title(params.get("query", ""))
        return (route[0], subject, frozenset(_field_names(params.get("fields"))))

    def _s2_answer(self, route: tuple[str, str], params: dict[str, str], raw_body: bytes) -> _Answer:
        kind, paper_ref = route
        ids: Any = []
        if kind == "batch":
            try:
                ids = json.loads(raw_body)["ids"]
            except (ValueError, KeyError, TypeError):
                ids = None
            if not isinstance(ids, list):
                # Not recorded; the wording is ours, the shape is S2's application error.
                return _s2_error(400, 'Request body must be a JSON object with an "ids" list')
            if len(ids) > BATCH_LIMIT:
                return _s2_error(400, f"Cannot process more than {BATCH_LIMIT} paper ids at a time")
        replay = self._s2_replay.get(self._s2_key(route, params, ids))
        if replay is not None:
            return _Answer(200, replay[0], S2_JSON)
        found = self._resolve(paper_ref) if kind == "paper" else ""
        if found is None:
            # Recorded: an unknown id is a 404 even when the fields are nonsense, so ids are checked first.
            return _s2_error(404, f"Paper with id {paper_ref} not found")
        names = _field_names(params.get("fields"))
        unknown = [name for name in names if name.split(".", 1)[0] not in PAPER_FIELDS]
        if unknown:
            return _s2_error(400, f"Unrecognized or unsupported fields: [{', '.join(unknown)}]")
        wanted = {name.split(".", 1)[0] for name in names} | {"paperId"}
        if kind == "paper":
            return _Answer(200, _json_bytes(self._project(found, wanted)), S2_JSON)
        if kind == "batch":
            answer = [self._project(pid, wanted) if (pid := self._resolve(str(i))) else None for i in ids]
            return _Answer(200, _json_bytes(answer), S2_JSON)
        query = _normalise_title(params.get("query", ""))
        hit = self._match_recordings.get(query)
        if hit is None and query in self._titles:
            hit = (self._titles[query], CORPUS_MATCH_SCORE)
        if hit is None:
            return _s2_error(404, "Title match not found")
        match = {**self._project(hit[0], wanted), "matchScore": hit[1]}
        return _Answer(200, _json_bytes({"data": [match]}), S2_JSON)

    def _resolve(self, ref: str) -> str | None:
        key = _s2_ref_key(ref)
        return self._s2_keys.get(key) if key else None

    def _project(self, paper_id: str, wanted: set[str]) -> dict[str, Any]:
        # S2 answers every requested field, null when it has no value, in its own order.
        paper = self._papers[paper_id]
        return {name: paper.get(name) for name in PAPER_FIELDS if name in wanted}

    @staticmethod
    def _feed_query(params: dict[str, str]) -> str:
        """The query as arXiv echoes it in a feed's title and hashes into the feed's <id>."""
        return "search_query={search_query}&id_list={id_list}&start={start}&max_results={max_results}".format(
            **{**ARXIV_DEFAULTS, **params}
        )

    def _arxiv_answer(self, params: dict[str, str], *, empty: bool = False) -> _Answer:
        params = {**ARXIV_DEFAULTS, **params}
        query = self._feed_query(params)
        updated = self._feed_updated.get(query) or _now()
        try:
            start, max_results = int(params["start"]), int(params["max_results"])
        except ValueError:
            return self._error_feed("start and max_results must be integers", updated)
        entries = []
        for arxiv_id in (i.strip() for i in params["id_list"].split(",") if i.strip()):
            matched = ARXIV_ID.fullmatch(arxiv_id)
            if not matched:
                return self._error_feed(f"incorrect id format for {arxiv_id}", updated)
            entry = self._entries.get(matched["base"])
            version = int(matched["version"] or 0)
            # Unknown ids, and versions past the latest, are silently absent (recorded for unknown ids).
            if empty or entry is None or version > entry.version:
                continue
            if version in (0, entry.version):
                entries.append(entry.markup)
            else:  # an older version: the same metadata under that version's id and links
                entries.append(entry.markup.replace(f"{matched['base']}v{entry.version}", arxiv_id))
        feed_id = base64.b64encode(hashlib.sha1(query.encode()).digest()).decode().rstrip("=")
        link = "search_query={search_query}&start={start}&max_results={max_results}&id_list={id_list}".format(
            **params
        )
        body = (
            f"{FEED_OPEN}  <id>https://arxiv.org/api/{feed_id}</id>\n"
            f"  <title>arXiv Query: {escape(query)}</title>\n  <updated>{updated}</updated>\n"
            f'  <link href="https://arxiv.org/api/query?{_attr(link)}" type="application/atom+xml"/>\n'
            f"  <opensearch:itemsPerPage>{max_results}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{len(entries)}</opensearch:totalResults>\n"
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
            + "".join(entries[start : start + max(max_results, 0)])
            + "</feed>\n"
        )
        return _Answer(200, body.encode(), ATOM)

    @staticmethod
    def _error_feed(message: str, updated: str) -> _Answer:
        anchor = f"https://arxiv.org/api/errors#{escape(message.replace(' ', '_'))}"
        body = (
            f"{FEED_OPEN}  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n"
            f"  <updated>{updated}</updated>\n  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
            "  <opensearch:totalResults>1</opensearch:totalResults>\n"
            "  <opensearch:startIndex>0</opensearch:startIndex>\n"
            f"  <entry>\n    <id>{anchor}</id>\n    <title>Error</title>\n    <updated>{updated}</updated>\n"
            f'    <link href="{anchor}" rel="alternate" type="text/html"/>\n'
            f"    <summary>{escape(message)}</summary>\n"
            "    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n</feed>\n"
        )
        return _Answer(400, body.encode(), ATOM)

    @staticmethod
    def _too_many(service: str, retry_after: float | None = None) -> _Answer:
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        if service == "s2":
            return _Answer(429, S2_TOO_MANY, S2_JSON, headers)
        return _Answer(429, ARXIV_TOO_MANY, "text/plain", headers)

    def _answer_fault(self, handler: _Handler, record: RecordedRequest, fault: _Fault, body: bytes) -> None:
        options = fault.options
        if fault.name == "drop" and not options.get("mid_body"):
            self._reset(handler)
            return
        if fault.name == "slow":
            self._stopping.wait(options.get("delay", 5.0))
        answer = self._fault_answer(record, fault) or self._answer(record, body)
        if fault.name == "wrong_shape":
            answer = self._wrong_shape(record.service, answer)
        if fault.name == "paper_fields":
            answer = self._paper_fields(answer, options["fields"])
        if fault.name == "gzip":  # the normal answer, compressed as a server may choose to
            answer = _Answer(
                answer.status, gzip.compress(answer.body), answer.content_type,
                {**answer.headers, "Content-Encoding": "gzip"},
            )  # fmt: skip
        if fault.name == "trickle":
            self._trickle(handler, record, answer, options.get("delay", 1.0), options.get("headers", False))
        elif fault.name == "truncate":
            self._send(handler, record, answer, cut=options.get("fraction", 0.5))
            handler.close_connection = True  # a clean close (FIN) short of the Content-Length announced
        elif fault.name == "drop":
            self._send(handler, record, answer, cut=0.5)
            self._reset(handler)
        else:
            self._send(handler, record, answer)

    def _fault_answer(self, record: RecordedRequest, fault: _Fault) -> _Answer | None:
        """The answer a fault replaces the normal one with; None for faults that mangle the normal one."""
        name, options = fault.name, fault.options
        if name == "429":
            return self._too_many(record.service, options.get("retry_after"))
        if name in ("500", "502", "503", "504"):
            status = int(name)
            reason = BaseHTTPRequestHandler.responses[status][0]
            if record.service == "arxiv":
                return _Answer(status, f"{status} {reason}".encode(), "text/plain")
            gateway = self._gateway_bodies.get(status) or json.dumps({"message": reason}).encode()
            return _Answer(status, gateway, S2_JSON)
        if name == "html":
            return _Answer(options.get("status", 503), HTML_BAD_GATEWAY, "text/html")
        if name == "raw":
            return _Answer(options.get("status", 200), options["body"], options.get("content_type", S2_JSON))
        if name == "empty_feed":
            return self._arxiv_answer(record.query, empty=True)
        if name == "error_entry":
            first = record.query.get("id_list", "").split(",")[0]
            return self._error_feed(options.get("message", f"incorrect id format for {first}"), _now())
        if name == "redirect":
            location = options.get("location", record.path)  # default: to itself, a loop
            return _Answer(options.get("status", 302), b"", "text/plain", {"Location": location})
        if name == "gzip_bomb":
            return _Answer(
                200, gzip_bomb(options.get("size", 100 * 2**20)), S2_JSON, {"Content-Encoding": "gzip"}
            )
        if name == "huge":
            return _Answer(200, huge_body(options.get("size", 50 * 2**20)), S2_JSON)
        if name == "echo_key":  # the error some servers give: the credential quoted back
            key = record.headers.get("x-api-key") or record.headers.get("X-Api-Key") or ""
            message = f"Forbidden: the API key {key} is not valid"
            return _Answer(options.get("status", 403), json.dumps({"message": message}).encode(), S2_JSON)
        if name == "escapes":
            message = f"Bad request {TERMINAL_ESCAPES} done"
            return _Answer(options.get("status", 400), json.dumps({"error": message}).encode(), S2_JSON)
        if name == "deep":
            depth = options.get("depth", 100_000)
            return _Answer(200, b"[" * depth + b"]" * depth, S2_JSON)
        return None

    @staticmethod
    def _paper_fields(answer: _Answer, fields: dict[str, Any]) -> _Answer:
        parsed = json.loads(answer.body)
        papers = parsed.get("data", []) if isinstance(parsed, dict) else parsed
        for paper in papers:
            if isinstance(paper, dict):
                paper.update(fields)
        return _Answer(answer.status, _json_bytes(parsed), answer.content_type, answer.headers)

    def _trickle(
        self, handler: _Handler, record: RecordedRequest, answer: _Answer, delay: float, headers: bool
    ) -> None:
        """Send the answer a byte every `delay` seconds (its headers at once unless `headers`)."""
        record.status = answer.status
        head = (
            f"HTTP/1.1 {answer.status} OK\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n\r\n"
        ).encode()
        if not headers:
            handler.wfile.write(head)
            head = b""
        handler.close_connection = True
        for byte in head + answer.body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            if self._stopping.wait(delay):
                return

    @staticmethod
    def _wrong_shape(service: str, answer: _Answer) -> _Answer:
        if service == "arxiv":  # well-formed XML, but not an Atom feed
            return _Answer(200, b"<?xml version='1.0' encoding='UTF-8'?>\n<rss version=\"2.0\"/>\n", ATOM)
        parsed = json.loads(answer.body)  # an array becomes an object and an object an array
        return _Answer(200, _json_bytes({"data": parsed} if isinstance(parsed, list) else [parsed]), S2_JSON)

    @staticmethod
    def _send(handler: _Handler, record: RecordedRequest, answer: _Answer, *, cut: float = 1.0) -> None:
        # Logged before the bytes leave, so a test that has read the answer always sees its status.
        record.status = answer.status
        handler.send_response(answer.status)
        handler.send_header("Content-Type", answer.content_type)
        handler.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(answer.body[: int(len(answer.body) * cut)])

    @staticmethod
    def _reset(handler: _Handler) -> None:
        """Abort the connection with a TCP RST, as a crashed peer or a middlebox does."""
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        # Closing here, before socketserver's shutdown(SHUT_WR), keeps it from sending a polite FIN
        # first; the descriptor really closes when the handler releases its stream.
        handler.connection.close()
