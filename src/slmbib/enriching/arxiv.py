"""The arXiv export API: many ids per request, the Atom answer parsed safely.

:meth:`ArxivClient.fetch` asks for up to :data:`IDS_PER_REQUEST` ids in one
``id_list`` query (with ``max_results`` equal to the number of ids: the API's
default of 10 would silently cut the answer) and returns, per id without its
version, the :class:`Entry` or ``None`` when arXiv has no such paper.

What the API does, from its manual and recorded answers (see the fixtures'
PROVENANCE.md), and how it is handled:

* An id that does not exist is simply missing from the feed (HTTP 200): it is
  "not found", not an error.
* A malformed id makes the whole request fail with one error entry (HTTP 400,
  ``…/api/errors#incorrect_id_format_for_<id>``).  Ids are therefore checked
  before they are sent.  If the service still names one of ours, or answers
  an empty feed to several ids, the request is made once more (arXiv is
  known to give such answers spuriously); if it says so again, the named id
  is answered "not found" with arXiv's message and the others are asked
  again.  An error entry naming none of ours is a broken answer (retried).
* Two feed formats exist (the current one, and the legacy one recorded in 2016
  and 2019 with per-element namespace declarations and hard-wrapped titles);
  both use the same namespaces, and all text is whitespace-normalised.
* The XML is parsed with defusedxml, with DTDs forbidden: an Atom feed has no
  business declaring entities, and a feed that does is refused at once.
* Each entry is converted once, by :func:`entry_from_json`, into an
  :class:`Entry` (see ``remote`` for the checks); the cache reads its stored
  entries back through the same function.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import httpx
from defusedxml.ElementTree import fromstring

from ..errors import RefusedAnswer, UnusableAnswer
from ..identity import parse_arxiv_id
from . import remote
from .answers import ArxivAnswer, Entry, Rejected
from .pacing import PacedClient, ServiceClient, check_api_url

log = logging.getLogger(__name__)

SERVICE = "arxiv"
DEFAULT_API_URL = "https://export.arxiv.org/api/query"
#: arXiv's terms of use: no more than one request every three seconds.
MIN_INTERVAL = 3.0


def is_public_service(api_url: str) -> bool:
    """Whether ``api_url`` is arXiv itself (any scheme, case or path), whose terms set the pacing."""
    try:
        host = (urlsplit(api_url.strip()).hostname or "").rstrip(".")
    except ValueError:  # not a URL at all: the client refuses it when it is used
        return False
    return host == "arxiv.org" or host.endswith(".arxiv.org")


#: Ids per request: long enough to cut requests a hundredfold, short enough for any URL limit.
IDS_PER_REQUEST = 100

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY_ID = re.compile(r"/abs/(?P<id>.+)$")


def _text(element: Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def entry_from_json(data: Any) -> Entry:
    """An entry in :class:`Entry`'s field names as an :class:`Entry`; :class:`UnusableAnswer` if broken."""
    entry = remote.mapping(data, "an entry")
    parsed = parse_arxiv_id(remote.text(entry.get("id"), "id"))
    if parsed is None or parsed.version is not None:
        raise UnusableAnswer("an entry's id is not an unversioned arXiv id")
    texts = {
        name: remote.text(entry.get(name), name)
        for name in ("title", "published", "updated", "primary_class", "journal_ref", "doi", "comment")
    }
    return Entry(
        id=parsed.id,
        version=remote.integer(entry.get("version"), "version"),
        authors=remote.texts(entry.get("authors"), "authors"),
        **texts,
    )


def answer_from_json(data: Any) -> ArxivAnswer:
    """A cached answer (entry, ``{"error": ...}`` or ``null``) read back; UnusableAnswer if broken."""
    if data is None:
        return None
    if isinstance(data, dict) and set(data) == {"error"}:
        return Rejected(remote.text(data["error"], "error") or "unspecified error")
    return entry_from_json(data)


def answer_to_json(answer: ArxivAnswer) -> dict[str, Any] | None:
    return None if answer is None else asdict(answer)


def _entry(element: Element) -> Entry | None:
    """One ``<entry>``, or None when its id is not an arXiv abstract URL."""
    found = _ENTRY_ID.search(_text(element.find(f"{_ATOM}id")))
    parsed = parse_arxiv_id(found.group("id")) if found else None
    if parsed is None:
        return None
    primary = element.find(f"{_ARXIV}primary_category")
    return entry_from_json(
        {
            "id": parsed.id,
            "version": parsed.version,
            "title": _text(element.find(f"{_ATOM}title")),
            "authors": [
                name
                for author in element.findall(f"{_ATOM}author")
                if (name := _text(author.find(f"{_ATOM}name")))
            ],
            "published": _text(element.find(f"{_ATOM}published"))[:10],
            "updated": _text(element.find(f"{_ATOM}updated"))[:10],
            "primary_class": primary.get("term", "") if primary is not None else "",
            "journal_ref": _text(element.find(f"{_ARXIV}journal_ref")),
            "doi": _text(element.find(f"{_ARXIV}doi")),
            "comment": _text(element.find(f"{_ARXIV}comment")),
        }
    )


class Feed:
    """A parsed answer: entries by base id, and the messages of any error entries."""

    def __init__(self, entries: dict[str, Entry], errors: list[str]) -> None:
        self.entries = entries
        self.errors = errors


def parse_feed(body: bytes) -> Feed:
    """Parse an Atom answer of the export API (either format).

    Raises :class:`UnusableAnswer` for a body that is not such a feed, and
    :class:`RefusedAnswer` for one that declares a DTD or entities.
    """
    try:
        root = fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise RefusedAnswer(f"the feed declares a DTD or entities ({type(exc).__name__})") from None
    except ParseError as exc:
        raise UnusableAnswer(f"not XML ({exc})") from None
    if root.tag != f"{_ATOM}feed":
        raise UnusableAnswer("not an Atom feed")
    entries: dict[str, Entry] = {}
    errors: list[str] = []
    for element in root.findall(f"{_ATOM}entry"):
        if "/api/errors" in _text(element.find(f"{_ATOM}id")):
            errors.append(remote.clean(_text(element.find(f"{_ATOM}summary"))) or "unspecified error")
            continue
        entry = _entry(element)
        if entry is not None:
            entries[entry.id] = entry
    return Feed(entries, errors)


class ArxivClient(ServiceClient):
    """``id_list`` queries against one arXiv endpoint, paced (at least 3 s apart by default)."""

    def __init__(
        self,
        api_url: str = DEFAULT_API_URL,
        *,
        interval: float = MIN_INTERVAL,
        timeout: float = 30.0,
        tries: int = 5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``transport`` replaces the network (an ``httpx.MockTransport`` in tests)."""
        self.api_url = check_api_url(api_url, "the arXiv API URL")
        self.http = PacedClient(SERVICE, interval=interval, timeout=timeout, tries=tries, transport=transport)

    def fetch(self, ids: Sequence[str]) -> dict[str, ArxivAnswer]:
        """Entries for well-formed base ids (at most :data:`IDS_PER_REQUEST`); ``None`` for unknown ones.

        An id that arXiv rejects by name is answered :class:`Rejected`.
        """
        answers: dict[str, ArxivAnswer] = {}
        asking = list(dict.fromkeys(ids))
        doubted = False
        while asking:
            feed = self._query(asking)
            # _query retried any error naming none of ours, so every error here names one.
            rejected = {i: m for i in asking for m in feed.errors if _names(m, i)}
            # The ids were checked before they were sent, and arXiv is known to answer an empty feed
            # now and then (arxiv.py retries those): such an answer is asked once more before it is
            # believed.  An id it still rejects, or ids still missing, are then its real answer.
            if not doubted and (rejected or (len(asking) > 1 and not feed.entries)):
                doubted = True
                log.info("arxiv: %s; asking once more", "an error entry" if rejected else "an empty feed")
                continue
            answers.update((arxiv_id, Rejected(message)) for arxiv_id, message in rejected.items())
            if rejected:
                asking = [i for i in asking if i not in rejected]
                continue
            answers.update((arxiv_id, feed.entries.get(arxiv_id)) for arxiv_id in asking)
            break
        return answers

    def _query(self, ids: list[str]) -> Feed:
        def parse(response: httpx.Response) -> Feed:
            feed = parse_feed(response.content)
            if feed.errors and not any(_names(message, i) for message in feed.errors for i in ids):
                raise UnusableAnswer(f"arXiv error: {feed.errors[0]}")
            if response.status_code != 200 and not feed.errors:
                raise UnusableAnswer(f"HTTP {response.status_code} without an error entry")
            return feed

        params = {"id_list": ",".join(ids), "start": "0", "max_results": str(len(ids))}
        return self.http.request("GET", self.api_url, parse, params=params, accept=(200, 400))


def _names(message: str, arxiv_id: str) -> bool:
    """Whether an arXiv error message is about ``arxiv_id`` ("incorrect id format for <id>")."""
    return message.lower().rstrip(". ").endswith(f" {arxiv_id.lower()}")
