"""The Semantic Scholar Graph API, through the ``semanticscholar`` package.

:class:`S2Client` answers two questions: which papers are these ids
(``POST /graph/v1/paper/batch``, up to :data:`BATCH_SIZE` ids a request) and
which paper has this title (``GET /graph/v1/paper/search/match``).  Answers
are :class:`Paper` objects, ``None`` meaning "S2 does not know it": each
paper S2 sends is converted once, by :func:`paper_from_json`, as soon as it is
read and before it is cached or applied (see ``remote`` for what that checks);
an answer that does not convert is unusable (retried, then S2 is reported
unavailable), never half-applied.

Lookups are named by *keys* (``arxiv:2402.14905``, ``doi:10.1145/…``,
``s2:<paperId>``, ``title:<normalised title>``), the same strings the cache
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
  :class:`~slmbib.pacing.PacedClient` (pacing, Retry-After, bounded retries).
* ``get_papers`` drops the ``null`` entries of a batch answer, and with them
  the positions that S2 documents ("same size and same order as the requested
  ids"); the requester keeps the raw answer so that each entry is matched to
  the id that asked for it.
* ``search_paper`` pastes the query into the query string unescaped, so ``&``,
  ``#``, ``+``, ``=`` and ``%`` in a title would corrupt the request; they are
  replaced by spaces (the match ignores punctuation anyway).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar
from semanticscholar.SemanticScholarException import ObjectNotFoundException

from . import remote
from .errors import ApiError, SlmbibError, keep_secret
from .identity import is_doi, parse_arxiv_id
from .pacing import PacedClient, ServiceClient, UnusableAnswer, check_api_url

SERVICE = "s2"
DEFAULT_API_URL = "https://api.semanticscholar.org"
#: The batch endpoint's documented limit.
BATCH_SIZE = 500
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
#: S2 ``externalIds`` names of the same kinds.
_EXTERNAL_IDS = {"CorpusId": "corpus_id", "ArXiv": "arxiv", "DOI": "doi", "ACL": "acl"}
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


@dataclass(frozen=True)
class Paper:
    """What slmbib reads from an S2 paper, checked and cleaned (see :func:`paper_from_json`)."""

    paper_id: str
    #: Record identifier kinds S2 reveals (``s2``, ``corpus_id``, ``arxiv``, ``doi``, ``acl``).
    identifiers: Mapping[str, str] = field(default_factory=dict)
    title: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    #: ``publicationVenue``'s name and type (``journal``, ``conference``, ...).
    venue_name: str = ""
    venue_type: str = ""
    year: int | None = None
    #: ``publicationDate``: a real calendar date ``YYYY-MM-DD``, or empty.
    date: str = ""
    journal_name: str = ""
    journal_volume: str = ""
    journal_pages: str = ""
    publication_types: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The paper in S2's own shape (what the cache stores, read back by :func:`paper_from_json`)."""
        ids = self.identifiers
        external = {name: ids[kind] for name, kind in _EXTERNAL_IDS.items() if kind in ids}
        return {
            "paperId": self.paper_id,
            "externalIds": external,
            "title": self.title,
            "authors": [{"name": name} for name in self.authors],
            "venue": self.venue,
            "publicationVenue": {"name": self.venue_name, "type": self.venue_type},
            "year": self.year,
            "publicationDate": self.date or None,
            "journal": {
                "name": self.journal_name,
                "volume": self.journal_volume,
                "pages": self.journal_pages,
            },
            "publicationTypes": list(self.publication_types),
        }


def paper_from_json(data: Any) -> Paper:
    """An S2 paper object as a :class:`Paper`; :class:`UnusableAnswer` unless it has S2's documented types."""
    paper = remote.mapping(data, "a paper")
    paper_id = remote.text(paper.get("paperId"), "paperId")
    if not _WELL_FORMED["s2"].fullmatch(paper_id):
        raise UnusableAnswer("paperId is not an S2 paper id")
    identifiers = {"s2": paper_id}
    external = remote.mapping(paper.get("externalIds"), "externalIds")
    for name, kind in _EXTERNAL_IDS.items():
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


def _request_id(lookup_key: str) -> str:
    kind, _, value = lookup_key.partition(":")
    return _ID_FORMS[kind].format(value)


class _Requester(ApiRequester):  # type: ignore[misc]
    """The package's request step, sent through a :class:`PacedClient` (see the module docstring).

    Each answer is converted into :class:`Paper` objects here, and kept in ``last_answer``; the
    package is handed those papers in S2's shape, so its own parsing never sees what S2 sent.
    """

    def __init__(self, http: PacedClient) -> None:
        super().__init__(timeout=None, retry=False)
        self.http = http
        self.last_answer: list[Paper | None] = []

    async def get_data_async(
        self, url: str, parameters: str, headers: dict[str, str], payload: dict[str, Any] | None = None
    ) -> Any:
        expected = len(payload["ids"]) if payload else None

        def parse(response: httpx.Response) -> list[Paper | None] | None:
            if response.status_code == 404:
                return None
            data = remote.load_json(response.content)
            if expected is not None:
                if not isinstance(data, list) or len(data) != expected:
                    raise UnusableAnswer(f"expected a list of {expected} papers")
                return [None if item is None else paper_from_json(item) for item in data]
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
        self.last_answer = papers
        # The package builds its own objects from what it is handed: only the checked paper ids.
        shaped = [None if paper is None else {"paperId": paper.paper_id} for paper in papers]
        return shaped if expected is not None else {"data": shaped}


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
    ) -> None:
        if api_key and not _API_KEY.fullmatch(api_key):
            # Never echo the key: the message names the variable only.
            raise SlmbibError("S2_API_KEY is not a valid API key (printable ASCII, no spaces)")
        if api_key:
            keep_secret(api_key)
        self.http = PacedClient(SERVICE, interval=interval, timeout=timeout, tries=tries)
        self._api = AsyncSemanticScholar(
            timeout=int(timeout),
            api_key=api_key or None,
            api_url=check_api_url(api_url, "the S2 API URL").rstrip("/"),
            retry=False,
        )
        self._requester = _Requester(self.http)
        self._api._requester = self._requester
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
        self._requester.last_answer = []
        ids = [_request_id(k) for k in keys]
        try:
            self._loop.run_until_complete(self._api.get_papers(ids, fields=list(FIELDS)))
        except ObjectNotFoundException:
            raise ApiError(SERVICE, self._batch_url, "the batch endpoint answered 404", 404) from None
        answer = self._requester.last_answer
        return dict(zip(keys, answer, strict=True))  # the requester checked the length

    def match(self, title: str) -> Paper | None:
        """S2's best title match for ``title`` (to be verified by the caller), or None."""
        query = " ".join(_QUERY_BREAKERS.sub(" ", title).split())
        if not query:
            return None
        try:
            self._loop.run_until_complete(
                self._api.search_paper(query, fields=list(FIELDS), match_title=True)
            )
        except ObjectNotFoundException:
            return None
        return self._requester.last_answer[0]

    @property
    def _batch_url(self) -> str:
        return f"{self._api.api_url}{self._api.BASE_PATH_GRAPH}/paper/batch"
