"""The Semantic Scholar Graph API, through the ``semanticscholar`` package.

:class:`S2Client` answers three questions: which papers are these ids
(``POST /graph/v1/paper/batch``, up to :data:`BATCH_SIZE` ids a request),
which paper has this title (``GET /graph/v1/paper/search/match``) and which
papers a name brings up (``GET /graph/v1/paper/search``, relevance order, the
first :data:`SEARCH_LIMIT`).  Answers are :class:`Paper` objects, ``None``
meaning "S2 does not know it": each paper S2 sends is converted once, by
:func:`paper_from_json`, as soon as it is read and before it is cached or
applied (see ``remote`` for what that checks); an answer that does not
convert is unusable (retried, then S2 is reported unavailable), never
half-applied.  A search's answer is cached as the service :data:`SEARCH`.

Lookups are named by *keys* (``arxiv:2402.14905``, ``doi:10.1145/…``,
``s2:<paperId>``, ``title:<normalised title>``, ``name:<normalised name>@<year>``), the same strings the cache
uses; :func:`paper_keys` lists every key under which a found paper can be
reached, so that a paper found once is found again by any of its ids.

The package builds the URLs, parameters and payloads (``api_url`` is the root
to which ``/graph/v1/...`` is appended; ``api_key`` becomes ``x-api-key``).
Version 0.12 cannot do four things slmbib needs, handled here:

* Its requester retries only 429, 5 to 60 s apart up to 10 times, and cannot
  tell us ``Retry-After``; it opens a new connection per request; it returns
  ``{}`` for a 502 or 503, which makes a failed batch look like "none of these
  papers exist"; and it logs the request headers, API key included, at debug
  level.  So the package is built with ``retry=False`` and its requester is
  replaced by :class:`_Requester`, which sends through slmbib's
  :class:`~slmbib.enriching.pacing.PacedClient` (pacing, Retry-After, bounded retries).
* ``get_papers`` drops the ``null`` entries of a batch answer, and with them
  the positions that S2 documents ("same size and same order as the requested
  ids"); the requester hands it a stand-in for each ``null`` entry, so that
  each entry is matched to the id that asked for it.
* ``search_paper`` pastes the query into the query string unescaped, so ``&``,
  ``#``, ``+``, ``=`` and ``%`` in a title would corrupt the request; they are
  replaced by spaces (the match ignores punctuation anyway).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import httpx
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar
from semanticscholar.SemanticScholarException import ObjectNotFoundException

from ..errors import ApiError, SlmbibError, UnusableAnswer, keep_secret
from ..identity import is_doi, parse_arxiv_id
from . import remote
from .answers import S2_EXTERNAL_IDS, Paper
from .pacing import PacedClient, ServiceClient, check_api_url

SERVICE = "s2"
#: Where name searches are cached: a list of papers, not one.
SEARCH = "s2-search"
DEFAULT_API_URL = "https://api.semanticscholar.org"
#: The batch endpoint's documented limit.
BATCH_SIZE = 500
#: Candidates read from a name search: a name's paper is among the first few or not found at all.
SEARCH_LIMIT = 10
#: What enrichment and export read from a paper; the same for batch and title match.
FIELDS = (
    "externalIds",
    "title",
    "authors",
    "venue",
    "publicationVenue",
    "year",
    "publicationDate",
    "journal",
    "publicationTypes",
)

#: Record identifier kinds S2 resolves, most specific first, with the id form the API expects.
_ID_FORMS: dict[str, str] = {
    "s2": "{}",
    "corpus_id": "CorpusId:{}",
    "arxiv": "ARXIV:{}",
    "doi": "DOI:{}",
    "acl": "ACL:{}",
}
_WELL_FORMED = {
    "s2": re.compile(r"[0-9a-f]{40}"),
    "corpus_id": re.compile(r"\d+"),
    "acl": re.compile(r"[\w.-]+"),
}
_QUERY_BREAKERS = re.compile(r"[&#+=%]")
_API_KEY = re.compile(r"[\x21-\x7e]+")


def key(kind: str, value: str) -> str:
    """The cache key of an identifier; DOIs and arXiv ids compare case-insensitively."""
    value = value.strip()
    if kind in ("doi", "arxiv"):
        value = value.lower()
    return f"{kind}:{value}"


def _canonical(kind: str, value: str) -> str | None:
    """``value`` in the form S2 documents for ``kind`` (arXiv ids without version), or None if malformed."""
    if kind == "arxiv":
        parsed = parse_arxiv_id(value)
        return parsed.id if parsed else None
    if kind == "doi":
        return value if is_doi(value) else None
    return value if _WELL_FORMED[kind].fullmatch(value) else None


def record_keys(identifiers: Mapping[str, str]) -> list[str]:
    """The keys by which S2 can find a record, most specific first.

    Malformed ids are left out: one could make S2 refuse a whole batch of 500.
    """
    canonical = [(kind, _canonical(kind, identifiers.get(kind, "").strip())) for kind in _ID_FORMS]
    return [key(kind, value) for kind, value in canonical if value]


def title_key(normalised_title: str) -> str:
    return f"title:{normalised_title}"


def name_key(normalised_name: str, year: int | None) -> str:
    return f"name:{normalised_name}@{year or ''}"


def paper_from_json(data: Any) -> Paper:
    """An S2 paper object as a :class:`Paper`; :class:`UnusableAnswer` unless it has S2's documented types."""
    paper = remote.mapping(data, "a paper")
    paper_id = remote.text(paper.get("paperId"), "paperId")
    if not _WELL_FORMED["s2"].fullmatch(paper_id):
        raise UnusableAnswer("paperId is not an S2 paper id")
    identifiers = {"s2": paper_id}
    external = remote.mapping(paper.get("externalIds"), "externalIds")
    for name, kind in S2_EXTERNAL_IDS.items():
        value = external.get(name)
        value = str(remote.integer(value, name)) if isinstance(value, int) else remote.text(value, name)
        if value:
            identifiers[kind] = value
    authors = []
    for author in remote.items(paper.get("authors"), "authors"):
        name = remote.text(remote.mapping(author, "an author").get("name"), "an author's name")
        if name:
            authors.append(name)
    place = remote.mapping(paper.get("publicationVenue"), "publicationVenue")
    journal = remote.mapping(paper.get("journal"), "journal")
    published = remote.text(paper.get("publicationDate"), "publicationDate")
    if published:
        try:
            date.fromisoformat(published)
        except ValueError:
            raise UnusableAnswer("publicationDate is not a date") from None
        if len(published) != len("YYYY-MM-DD"):
            raise UnusableAnswer("publicationDate is not a date")
    return Paper(
        paper_id=paper_id,
        identifiers=identifiers,
        title=remote.text(paper.get("title"), "title"),
        authors=tuple(authors),
        venue=remote.text(paper.get("venue"), "venue"),
        venue_name=remote.text(place.get("name"), "publicationVenue.name"),
        venue_type=remote.text(place.get("type"), "publicationVenue.type"),
        year=remote.integer(paper.get("year"), "year"),
        date=published,
        journal_name=remote.text(journal.get("name"), "journal.name"),
        journal_volume=remote.text(journal.get("volume"), "journal.volume"),
        journal_pages=remote.text(journal.get("pages"), "journal.pages"),
        publication_types=remote.texts(paper.get("publicationTypes"), "publicationTypes"),
    )


def answer_from_json(data: Any) -> Paper | None:
    """A cached answer (a paper, or ``null`` for "not found") read back; :class:`UnusableAnswer` if broken."""
    return None if data is None else paper_from_json(data)


def answer_to_json(answer: Paper | None) -> dict[str, Any] | None:
    return None if answer is None else answer.to_json()


def paper_keys(paper: Paper) -> list[str]:
    """Every key under which ``paper`` can be looked up."""
    return [key(kind, value) for kind, value in paper.identifiers.items()]


def by_keys(papers: Iterable[Paper | None]) -> dict[str, Paper]:
    """Each paper under every key it has, so that a record known by another of its ids (or by the
    paperId it has learned) finds it next time without a request."""
    return {key: paper for paper in papers if paper is not None for key in paper_keys(paper)}


def search_to_json(papers: Sequence[Paper]) -> list[dict[str, Any]]:
    return [paper.to_json() for paper in papers]


def search_from_json(data: Any) -> list[Paper]:
    """A cached search answer read back; :class:`UnusableAnswer` if broken."""
    return [paper_from_json(item) for item in remote.items(data, "search results")]


def _request_id(lookup_key: str) -> str:
    kind, _, value = lookup_key.partition(":")
    return _ID_FORMS[kind].format(value)


#: What the requester hands the package for a batch position S2 answered ``null``: the package drops
#: ``None`` entries, and with them the positions that say which id each paper answers.
_NOT_FOUND: dict[str, Any] = {"paperId": ""}


class _Requester(ApiRequester):  # type: ignore[misc]
    """The package's request step, sent through a :class:`PacedClient` (see the module docstring).

    Each answer is checked and converted into :class:`Paper` objects here, inside the paced
    request (so an unusable answer is retried), and handed to the package in S2's own shape; the
    package's objects carry it back in ``raw_data``, which :func:`_paper` reads.
    """

    def __init__(self, http: PacedClient) -> None:
        super().__init__(timeout=None, retry=False)
        self.http = http

    async def get_data_async(
        self, url: str, parameters: str, headers: dict[str, str], payload: dict[str, Any] | None = None
    ) -> Any:
        expected = len(payload["ids"]) if payload else None
        relevance = url.endswith("/paper/search")

        def parse(response: httpx.Response) -> list[Paper | None] | None:
            if response.status_code == 404:
                return None
            data = remote.load_json(response.content)
            if expected is not None:
                if not isinstance(data, list) or len(data) != expected:
                    raise UnusableAnswer(f"expected a list of {expected} papers")
                return [None if item is None else paper_from_json(item) for item in data]
            if relevance:
                # No results come as {"total": 0, "offset": 0}, without "data" (recorded).
                found = remote.mapping(data, "a search answer").get("data", [])
                return [paper_from_json(item) for item in remote.items(found, "data")]
            if not (isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]):
                raise UnusableAnswer("expected a 'data' list")
            return [paper_from_json(data["data"][0])]

        papers = self.http.request(
            "POST" if payload else "GET",
            url,
            parse,
            params=parameters.lstrip("&"),
            json_body=payload,
            headers=headers,
            accept=(200, 404),
        )
        if papers is None:
            raise ObjectNotFoundException("not found")
        shaped = [_NOT_FOUND if paper is None else paper.to_json() for paper in papers]
        return shaped if expected is not None else {"data": shaped}


def _paper(package_paper: Any) -> Paper | None:
    """The checked paper the requester handed the package, back from the package's object."""
    data = package_paper.raw_data
    return paper_from_json(data) if data.get("paperId") else None


class S2Client(ServiceClient):
    """Batch lookups and title matches against one S2 endpoint, paced and retried."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        api_key: str | None = None,
        *,
        interval: float = 1.0,
        timeout: float = 30.0,
        tries: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network (an ``httpx.MockTransport`` in tests)."""
        if api_key and not _API_KEY.fullmatch(api_key):
            # Never echo the key: the message names the variable only.
            raise SlmbibError("S2_API_KEY is not a valid API key (printable ASCII, no spaces)")
        if api_key:
            keep_secret(api_key)
        self.http = PacedClient(SERVICE, interval=interval, timeout=timeout, tries=tries, transport=transport)
        self._api = AsyncSemanticScholar(
            timeout=int(timeout),
            api_key=api_key or None,
            api_url=check_api_url(api_url, "the S2 API URL").rstrip("/"),
            retry=False,
        )
        self._api._requester = _Requester(self.http)
        # A loop of its own rather than asyncio.run(): run() installs a SIGINT handler that only
        # cancels the task, which sits in a blocking request or a Retry-After wait, so a first
        # Ctrl-C would be swallowed.  run_until_complete leaves Python's KeyboardInterrupt alone.
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        super().close()
        self._loop.close()

    def batch(self, keys: Sequence[str]) -> dict[str, Paper | None]:
        """Look up at most :data:`BATCH_SIZE` id keys in one request; ``None`` for the unknown ones."""
        if not keys:
            return {}
        ids = [_request_id(k) for k in keys]
        try:
            papers = self._loop.run_until_complete(self._api.get_papers(ids, fields=list(FIELDS)))
        except ObjectNotFoundException:
            raise ApiError(SERVICE, self._batch_url, "the batch endpoint answered 404", 404) from None
        # The requester checked the length, and kept every position (see _NOT_FOUND).
        return dict(zip(keys, map(_paper, papers), strict=True))

    def match(self, title: str) -> Paper | None:
        """S2's best title match for ``title`` (to be verified by the caller), or None."""
        query = " ".join(_QUERY_BREAKERS.sub(" ", title).split())
        if not query:
            return None
        try:
            found = self._loop.run_until_complete(
                self._api.search_paper(query, fields=list(FIELDS), match_title=True)
            )
        except ObjectNotFoundException:
            return None
        return _paper(found)

    def search(self, name: str, year: int | None = None) -> list[Paper]:
        """S2's most relevant papers for ``name`` (from ``year`` ± 1 when given), best first."""
        query = " ".join(_QUERY_BREAKERS.sub(" ", name).split())
        if not query:
            return []
        years = f"{year - 1}-{year + 1}" if year else None
        try:
            results = self._loop.run_until_complete(
                self._api.search_paper(query, year=years, fields=list(FIELDS), limit=SEARCH_LIMIT)
            )
        except ObjectNotFoundException:
            return []
        return [paper for paper in map(_paper, results.items) if paper is not None]

    @property
    def _batch_url(self) -> str:
        return f"{self._api.api_url}{self._api.BASE_PATH_GRAPH}/paper/batch"
