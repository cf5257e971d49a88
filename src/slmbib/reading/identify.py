"""What a URL is: its role (paper, code, model, ...) and the identifiers it carries.

A link's role comes from its URL, not from the column it was listed under:
paper lists put arXiv links under "Code" and model cards under "Paper".  Only
when the host says nothing (a lab's own web site) does the link's label or
column decide, and then between blog, project, paper and other.

:func:`identify` is pure and total: any string gives an :class:`Identified`,
with ``usable=False`` for placeholders such as ``URL`` or an empty link.

:func:`place_links` says which column of a table each link of a row belongs
in: the one it was written in, unless its URL makes it a paper, code, model or
data link and the table has a column for that role which it is missing from.
The checker reports such links and the renderer moves them, by this one rule.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ..identity import ARXIV_ID, NEW_ARXIV, arxiv_id_from_match, is_doi, written_identifiers
from ..models import LinkRole, is_usable_url

#: Query parameters that only track where a click came from.
_TRACKING = re.compile(r"^(utm_.*|tab|ref|ref_src|source|fbclid|gclid|s|sharing)$")

_ARXIV_PATH = re.compile(rf"^/(?:abs|pdf|html)/{ARXIV_ID}(?:\.pdf)?/?$")
_HF_PAPER = re.compile(rf"^/papers/(?P<id>{NEW_ARXIV})/?$")
_ACL_NEW = re.compile(r"^(?P<year>\d{4})\.(?P<venue>[a-z]+)(?:-[a-z0-9]+)*\.\d+$")
_ACL_OLD = re.compile(r"^(?P<letter>[A-Z])(?P<yy>\d{2})-\d{4}$")
_PMLR = re.compile(r"^/(?P<volume>v\d+)/(?P<name>[A-Za-z0-9_\-]+?)(?:\.html|\.pdf|/[^/]*\.pdf)?/?$")
_ZENODO = re.compile(r"^/records?/(?P<id>\d+)/?$")
_DATED_POST = re.compile(r"/(19|20)\d{2}/\d{1,2}/")
#: Hosts that serve badges and counters: their images say something of a paper but never link it.
_BADGE_HOSTS = ("img.shields.io", "badgen.net", "badge.fury.io", "api.star-history.com", "contrib.rocks")
_BADGE_HOST_IN = re.compile("|".join(map(re.escape, _BADGE_HOSTS)))

#: ACL Anthology venues whose DOIs are not 10.18653/v1/<id> (journals published elsewhere).
_ACL_FOREIGN_DOI = {"tacl", "cl"}
#: Old-style Anthology letters of journals (Q: TACL, J: CL), which the Anthology assigns no DOI.
_ACL_OLD_JOURNALS = {"Q", "J"}


@dataclass(frozen=True)
class Identified:
    url: str
    role: LinkRole
    identifiers: dict[str, str] = field(default_factory=dict)
    #: arXiv version pinned in the link (3 for ``.../2306.17256v3``), if any.
    arxiv_version: int | None = None
    #: False for placeholders: no scheme and host (``URL``, ``#``, empty).
    usable: bool = True
    #: The URL as written, when normalising changed it.
    original: str = ""


def acl_doi(acl_id: str) -> str:
    """The DOI the ACL Anthology assigns to a paper id, or '' where it assigns none.

    The Anthology has minted ``10.18653/v1/<id>`` for its own proceedings since
    2017; TACL and Computational Linguistics have their publisher's DOIs instead.
    """
    new = _ACL_NEW.match(acl_id)
    if new:
        if int(new.group("year")) < 2017 or new.group("venue") in _ACL_FOREIGN_DOI:
            return ""
        return f"10.18653/v1/{acl_id}"
    old = _ACL_OLD.match(acl_id)
    if old and old.group("letter") not in _ACL_OLD_JOURNALS and int(old.group("yy")) >= 17:
        return f"10.18653/v1/{acl_id}"
    return ""


def identifier_urls(text: str) -> list[str]:
    """Links to the papers whose identifiers ``text`` writes out (``arXiv:ID``, ``doi:10.…``)."""
    written = written_identifiers(text)
    arxiv = [f"https://arxiv.org/abs/{value}" for kind, value in written if kind == "arxiv"]
    return arxiv + [f"https://doi.org/{value}" for kind, value in written if kind == "doi"]


@functools.lru_cache(maxsize=4096)
def badge_text(url: str) -> str | None:
    """What a badge says (``.../badge/ACL2024--findings-orange`` -> ``ACL2024-findings``); None for no badge.

    shields.io writes ``label-message-colour``, ``--`` for a dash and ``_`` for a space.
    Cached: a list shows the same few badges on item after item.
    """
    if not _BADGE_HOST_IN.search(url):
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    if host not in _BADGE_HOSTS:
        return None
    if not parts.path.startswith("/badge/"):
        return ""
    body = unquote(parts.path.removeprefix("/badge/")).replace("--", "\0").replace("__", "\1")
    words = body.split("-")
    if len(words) > 1:
        words = words[:-1]  # the colour
    return " ".join(words).replace("_", " ").replace("\0", "-").replace("\1", "_").strip()


def strip_tracking(url: str) -> str:
    return _without_tracking(urlsplit(url))


def _without_tracking(parts: SplitResult) -> str:
    if not parts.query:
        return urlunsplit(parts)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


#: Words of a label or column header that name a role, strongest first.
_ROLE_HINTS = (
    (LinkRole.CODE, ("code", "github")),
    (LinkRole.DATA, ("data",)),
    (LinkRole.MODEL, ("model", "hf", "huggingface", "checkpoint")),
    (LinkRole.BLOG, ("blog",)),
    (LinkRole.PROJECT, ("website", "project", "homepage", "page", "demo")),
    (LinkRole.PAPER, ("paper", "pdf", "link")),
)
#: Roles a URL's host decides alone, and which a table keeps in a column of their own.
_COLUMN_ROLES = (LinkRole.PAPER, LinkRole.CODE, LinkRole.MODEL, LinkRole.DATA)


def _role_from_words(*words: str) -> LinkRole:
    text = " ".join(words).lower()
    for role, hints in _ROLE_HINTS:
        if any(hint in text for hint in hints):
            return role
    return LinkRole.OTHER


def column_roles(column: str) -> frozenset[LinkRole]:
    """The roles a column header asks for: ``Paper/Blog Link`` -> paper and blog.

    "link" alone names no role here: ``Code Link`` is a code column.
    """
    words = re.findall(r"[a-z]+", column.lower())
    return frozenset(
        role
        for role, hints in _ROLE_HINTS
        if any(hint in word for word in words for hint in hints if hint != "link")
    )


def url_role(url: str) -> LinkRole | None:
    """The role ``url`` has whatever column it sits in; None when only its column could tell."""
    found = identify(url)
    return found.role if found.usable and found.role != LinkRole.OTHER else None


def place_links(
    header: Sequence[str], links: Sequence[tuple[str, str]], filled: Collection[str] = ()
) -> list[str]:
    """The column each ``(column, url)`` link of a row belongs in, in order.

    A paper, code, model or data link moves to the first column asking for its
    role when the column it sits in does not, unless that column already holds
    a link of the role or text (``filled``).  Everything else stays put.  The
    first column names the work (``Model``, ``Method``) and takes no links.
    """
    asks = {column: column_roles(column) for column in header[1:]}
    roles = [url_role(url) for _, url in links]

    def home(role: LinkRole | None) -> str:
        if role not in _COLUMN_ROLES:
            return ""
        return next((column for column in asks if role in asks[column]), "")

    targets = [
        column if not home(role) or role in asks.get(column, ()) else ""
        for (column, _), role in zip(links, roles, strict=True)
    ]
    for index, role in enumerate(roles):
        if targets[index]:
            continue
        column = home(role)
        taken = column in filled or any(
            target == column and other == role for target, other in zip(targets, roles, strict=True)
        )
        targets[index] = links[index][0] if taken else column
    return targets


def identify(url: str, label: str = "", column: str = "") -> Identified:
    """Classify ``url``; ``label`` and ``column`` only decide for hosts that say nothing.

    The result is shared between calls with the same URL: never change its ``identifiers``.
    """
    found, told = _identify_url(url.strip())
    return found if told else replace(found, role=_role_from_words(label, column))


#: What a URL alone says, and whether that tells its role.
_Told = tuple[Identified, bool]


@functools.lru_cache(maxsize=16384)
def _identify_url(written: str) -> _Told:
    """What the URL alone says, and whether that tells its role (else a label or column may).

    Cached: a list repeats its code and model links, and every stage of an import identifies
    the same links again.
    """
    if not is_usable_url(written):
        return Identified(url=written, role=LinkRole.OTHER, usable=False), False
    written_parts = urlsplit(written)
    clean = _without_tracking(written_parts)
    parts = written_parts if clean == written else urlsplit(clean)
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path
    original = written if clean != written else ""

    def found(role: LinkRole | None, version: int | None = None, **identifiers: str) -> _Told:
        identified = Identified(clean, role or LinkRole.OTHER, dict(identifiers), version, True, original)
        return identified, role is not None

    if host in ("arxiv.org", "export.arxiv.org"):
        match = _ARXIV_PATH.match(path)
        if match:
            arxiv = arxiv_id_from_match(match)
            return found(LinkRole.PAPER, arxiv.version, arxiv=arxiv.id)
        return found(LinkRole.PAPER)
    if host == "huggingface.co":
        match = _HF_PAPER.match(path)
        if match:
            return found(LinkRole.PAPER, arxiv=match.group("id"))
        if path.startswith("/datasets/"):
            return found(LinkRole.DATA)
        if path.startswith("/spaces/"):
            return found(LinkRole.PROJECT)
        if path.startswith(("/docs/", "/blog/")):
            return found(LinkRole.BLOG)
        return found(LinkRole.MODEL)
    if host == "aclanthology.org":
        acl_id = path.strip("/").removesuffix(".pdf")
        if _ACL_NEW.match(acl_id) or _ACL_OLD.match(acl_id):
            doi = acl_doi(acl_id)
            return found(LinkRole.PAPER, None, acl=acl_id, **({"doi": doi} if doi else {}))
        return found(LinkRole.PAPER)
    if host == "dl.acm.org":
        doi = re.sub(r"^/doi/(?:abs/|pdf/|full/|epdf/)?", "", path)
        if doi != path and is_doi(doi):
            return found(LinkRole.PAPER, doi=doi)
        return found(LinkRole.PAPER)
    if host in ("doi.org", "dx.doi.org"):
        doi = path.lstrip("/")
        return found(LinkRole.PAPER, doi=doi) if is_doi(doi) else found(LinkRole.PAPER)
    if host == "openreview.net":
        forum = dict(parse_qsl(parts.query)).get("id", "")
        return found(LinkRole.PAPER, openreview=forum) if forum else found(LinkRole.PAPER)
    if host == "proceedings.mlr.press":
        match = _PMLR.match(path)
        if match:
            return found(LinkRole.PAPER, pmlr=f"{match.group('volume')}/{match.group('name')}")
        return found(LinkRole.PAPER)
    if host == "zenodo.org":
        match = _ZENODO.match(path)
        if match:
            return found(LinkRole.PAPER, doi=f"10.5281/zenodo.{match.group('id')}")
        return found(LinkRole.PAPER)
    if host in ("github.com", "gitlab.com", "bitbucket.org", "anonymous.4open.science"):
        return found(LinkRole.CODE)
    if host.endswith(".github.io"):
        return found(LinkRole.PROJECT)
    if "blog" in host.split(".") or "/blog" in path or _DATED_POST.search(path):
        return found(LinkRole.BLOG)
    return found(None)
