"""The Semantic Scholar Graph API, through the ``semanticscholar`` package.

:class:`S2Client` answers two questions: which papers are these ids
(``POST /graph/v1/paper/batch``, up to :data:`BATCH_SIZE` ids a request) and
which paper has this title (``GET /graph/v1/paper/search/match``).  Answers
are S2's paper objects as plain dicts, ``None`` meaning "S2 does not know it".

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
from typing import Any

import httpx
from semanticscholar.ApiRequester import ApiRequester
from semanticscholar.AsyncSemanticScholar import AsyncSemanticScholar
from semanticscholar.SemanticScholarException import ObjectNotFoundException

from .errors import ApiError, SlmbibError
from .identity import is_doi, parse_arxiv_id
from .pacing import PacedClient, ServiceClient, UnusableAnswer

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


def paper_identifiers(paper: Mapping[str, Any]) -> dict[str, str]:
    """The record identifiers a paper reveals: paperId, CorpusId, arXiv id, DOI, ACL id."""
    found: dict[str, str] = {}
    if isinstance(paper.get("paperId"), str):
        found["s2"] = paper["paperId"]
    external = paper.get("externalIds")
    if isinstance(external, dict):
        for name, kind in _EXTERNAL_IDS.items():
            value = external.get(name)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                found[kind] = str(value).strip()
    return found


def paper_keys(paper: Mapping[str, Any]) -> list[str]:
    """Every key under which ``paper`` can be looked up."""
    return [key(kind, value) for kind, value in paper_identifiers(paper).items()]


def _request_id(lookup_key: str) -> str:
    kind, _, value = lookup_key.partition(":")
    return _ID_FORMS[kind].format(value)


def _is_paper(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("paperId"), str) and bool(item["paperId"])


class _Requester(ApiRequester):  # type: ignore[misc]
    """The package's request step, sent through a :class:`PacedClient` (see the module docstring)."""

    def __init__(self, http: PacedClient) -> None:
        super().__init__(timeout=None, retry=False)
        self.http = http
        self.last_answer: Any = None

    async def get_data_async(
        self, url: str, parameters: str, headers: dict[str, str], payload: dict[str, Any] | None = None
    ) -> Any:
        expected = len(payload["ids"]) if payload else None

        def parse(response: httpx.Response) -> Any:
            if response.status_code == 404:
                return None
            try:
                data = response.json()
            except ValueError:
                raise UnusableAnswer("not JSON") from None
            if expected is not None:
                if not isinstance(data, list) or len(data) != expected:
                    raise UnusableAnswer(f"expected a list of {expected} papers")
                if not all(item is None or _is_paper(item) for item in data):
                    raise UnusableAnswer("a batch entry is neither a paper nor null")
            elif not (isinstance(data, dict) and isinstance(data.get("data"), list) and data["data"]):
                raise UnusableAnswer("expected a 'data' list")
            elif not _is_paper(data["data"][0]):
                raise UnusableAnswer("the match is not a paper")
            return data

        data = self.http.request(
            "POST" if payload else "GET",
            url,
            parse,
            params=parameters.lstrip("&"),
            json_body=payload,
            headers=headers,
            accept=(200, 404),
        )
        if data is None:
            raise ObjectNotFoundException("not found")
        self.last_answer = data
        return data


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
        self.http = PacedClient(SERVICE, interval=interval, timeout=timeout, tries=tries)
        self._api = AsyncSemanticScholar(
            timeout=int(timeout), api_key=api_key or None, api_url=api_url.rstrip("/"), retry=False
        )
        self._requester = _Requester(self.http)
        self._api._requester = self._requester

    def batch(self, keys: Sequence[str]) -> dict[str, dict[str, Any] | None]:
        """Look up at most :data:`BATCH_SIZE` id keys in one request; ``None`` for the unknown ones."""
        if not keys:
            return {}
        self._requester.last_answer = None
        ids = [_request_id(k) for k in keys]
        try:
            asyncio.run(self._api.get_papers(ids, fields=list(FIELDS)))
        except ObjectNotFoundException:
            raise ApiError(SERVICE, self._batch_url, "the batch endpoint answered 404", 404) from None
        answer = self._requester.last_answer
        return dict(zip(keys, answer, strict=True))  # the requester checked the length

    def match(self, title: str) -> dict[str, Any] | None:
        """S2's best title match for ``title`` (to be verified by the caller), or None."""
        query = " ".join(_QUERY_BREAKERS.sub(" ", title).split())
        if not query:
            return None
        try:
            paper = asyncio.run(self._api.search_paper(query, fields=list(FIELDS), match_title=True))
        except ObjectNotFoundException:
            return None
        data: dict[str, Any] = paper.raw_data
        return data

    @property
    def _batch_url(self) -> str:
        return f"{self._api.api_url}{self._api.BASE_PATH_GRAPH}/paper/batch"
