"""slmbib's own data: one :class:`Record` per citable paper.

Everything outside this module (markdown rows, S2 and arXiv answers, BibTeX
entries) is converted into these types once, at the edge, and every stage of
the pipeline works on them.  Records are immutable; a stage that changes one
returns a new one with :func:`dataclasses.replace`.  Where a value comes from
(:class:`Provenance`) and what a link leads to (:class:`LinkRole`) are enums
whose members are their text, so they compare, hash and format as the strings
a record file holds.  A record not yet named (a list row or ``.bib`` entry on
its way in) has the id ``''`` until the import names it.

The on-disk form (``refs/papers/<id>.yaml``) is produced by
:func:`Record.to_dict` and read back by :func:`Record.from_dict`; both keep a
fixed key order so that the files are byte-stable.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10 has no StrEnum

    class StrEnum(str, enum.Enum):
        """Members are their text: equal to it, hashed and formatted like it."""

        def __str__(self) -> str:
            return str(self.value)


#: Identifier kinds, in the order they are written and preferred for record ids.
IDENTIFIER_KINDS: tuple[str, ...] = (
    "arxiv",
    "doi",
    "acl",
    "openreview",
    "pmlr",
    "s2",
    "corpus_id",
)

#: Enrichment fields in their written order; fields not named here follow, sorted.
FIELD_ORDER: tuple[str, ...] = (
    "title",
    "authors",
    "authors_truncated",
    "year",
    "month",
    "date",
    "venue",
    "venue_type",
    "entry_type",
    "journal",
    "booktitle",
    "volume",
    "number",
    "pages",
    "publisher",
    "doi",
    "url",
    "arxiv_version",
    "arxiv_primary_class",
    "journal_ref",
    "publication_types",
    "accessed",
)


class Provenance(StrEnum):
    """Where a field's value came from; the text is what a record file says."""

    README = "readme"
    BIB = "bib"
    S2 = "s2"
    ARXIV = "arxiv"
    MANUAL = "manual"


class LinkRole(StrEnum):
    """What a link leads to, as its URL (or, failing that, its label or column) tells."""

    PAPER = "paper"
    CODE = "code"
    DATA = "data"
    MODEL = "model"
    BLOG = "blog"
    PROJECT = "project"
    OTHER = "other"


_Member = TypeVar("_Member", bound=StrEnum)
#: Each enum of a record file, by the words a message names it with, and its members by their text.
_MEMBERS: dict[type[StrEnum], tuple[str, dict[str, StrEnum]]] = {
    Provenance: ("source", {member.value: member for member in Provenance}),
    LinkRole: ("link role", {member.value: member for member in LinkRole}),
}


def _member(kind: type[_Member], text: Any) -> _Member:
    """The member of ``kind`` a record file names; ValueError naming the valid ones otherwise."""
    what, members = _MEMBERS[kind]
    # A dict lookup rather than kind(text): loading calls this for every field of every record.
    found = members.get(str(text))
    if found is None:
        raise ValueError(f"{str(text)!r} is no known {what} ({', '.join(members)})")
    return found  # type: ignore[return-value]


@dataclass(frozen=True)
class Link:
    """A URL as the list gave it (normalised), with the role its URL implies."""

    url: str
    role: LinkRole

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "role": str(self.role)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Link:
        return cls(url=str(data["url"]), role=_member(LinkRole, data["role"]))


@dataclass(frozen=True)
class ListedLink:
    """A link as a list row wrote it: ``column`` is the header (or list label) it sat under."""

    column: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "url": self.url}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ListedLink:
        return cls(column=str(data.get("column", "")), url=str(data["url"]))


@dataclass(frozen=True)
class Listing:
    """One place in a paper list that names the record: a table row or a list item."""

    source: str
    line: int
    section: str
    name: str
    year: str = ""
    #: The row's other cells (``#Params``, ``Bit``, ``Type``, ...) by column header.
    cells: Mapping[str, str] = field(default_factory=dict)
    #: The row's links as written.
    links: tuple[ListedLink, ...] = ()

    def sort_key(self) -> tuple[str, int, str]:
        return (self.source, self.line, self.name)

    def __hash__(self) -> int:
        # cells is a mapping; equal listings agree on these, which is all a hash needs.
        return hash((self.source, self.line, self.section, self.name, self.year))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": self.source,
            "line": self.line,
            "section": self.section,
            "name": self.name,
        }
        if self.year:
            data["year"] = self.year
        if self.cells:
            data["cells"] = dict(self.cells)
        if self.links:
            data["links"] = [link.to_dict() for link in self.links]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Listing:
        return cls(
            source=str(data["source"]),
            line=int(data["line"]),
            section=str(data.get("section", "")),
            name=str(data.get("name", "")),
            year=str(data.get("year", "")),
            cells={str(k): str(v) for k, v in (data.get("cells") or {}).items()},
            links=tuple(ListedLink.from_dict(link) for link in data.get("links") or ()),
        )


@dataclass(frozen=True)
class Value:
    """An enrichment value and where it came from."""

    value: Any
    source: Provenance

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": str(self.source)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Value:
        return cls(value=data["value"], source=_member(Provenance, data["source"]))


@dataclass(frozen=True)
class SyncStatus:
    """The outcome of a record's last sync: ``resolved``, ``not_found``, ``ambiguous`` or ``unavailable``."""

    status: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyncStatus:
        return cls(status=str(data["status"]), reason=str(data.get("reason", "")))


def is_usable_url(url: str) -> bool:
    """False for placeholders a list was left with: ``URL``, ``#``, an empty link."""
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _ordered(mapping: Mapping[str, Any], order: tuple[str, ...]) -> list[str]:
    known = [name for name in order if name in mapping]
    return known + sorted(name for name in mapping if name not in order)


@dataclass(frozen=True)
class Record:
    """A citable paper.

    ``id`` names the record's file and never changes.  ``key`` is the citation
    key, pinned the first time it is exported.  ``override`` is the maintainer's:
    no command writes to it, and its values win over ``fields``.
    """

    id: str
    identifiers: Mapping[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    listings: tuple[Listing, ...] = ()
    fields: Mapping[str, Value] = field(default_factory=dict)
    override: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""
    aliases: tuple[str, ...] = ()
    #: Outcome of the last sync; None before the first.
    sync: SyncStatus | None = None

    def get(self, name: str, default: Any = None) -> Any:
        """The effective value of a field: the override if there is one."""
        if name in self.override:
            return self.override[name]
        found = self.fields.get(name)
        return default if found is None else found.value

    def provenance(self, name: str) -> Provenance | None:
        if name in self.override:
            return Provenance.MANUAL
        found = self.fields.get(name)
        return None if found is None else found.source

    @property
    def title(self) -> str:
        """The best title known: a real one if any stage found it, else the listed name."""
        title = self.get("title")
        if title:
            return str(title)
        return self.listings[0].name if self.listings else ""

    def links_with_role(self, role: LinkRole) -> list[str]:
        return [link.url for link in self.links if link.role == role]

    @property
    def flags(self) -> tuple[str, ...]:
        """What a maintainer should look at, derived from the record itself so it cannot go stale."""
        flags = []
        if not self.listings:
            flags.append("unlisted")
        if not self.links_with_role(LinkRole.PAPER) and not self.identifiers:
            flags.append("no-paper-link")
        if any(not is_usable_url(link.url) for listing in self.listings for link in listing.links):
            flags.append("placeholder-link")
        return tuple(flags)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain data, in the fixed order of its YAML file."""
        data: dict[str, Any] = {"id": self.id}
        if self.key:
            data["key"] = self.key
        if self.aliases:
            data["aliases"] = list(self.aliases)
        data["identifiers"] = {k: self.identifiers[k] for k in _ordered(self.identifiers, IDENTIFIER_KINDS)}
        data["links"] = [link.to_dict() for link in self.links]
        data["listings"] = [listing.to_dict() for listing in self.listings]
        data["fields"] = {k: self.fields[k].to_dict() for k in _ordered(self.fields, FIELD_ORDER)}
        if self.sync is not None:
            data["sync"] = self.sync.to_dict()
        data["override"] = dict(self.override)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Record:
        return cls(
            id=str(data["id"]),
            key=str(data.get("key") or ""),
            aliases=tuple(str(a) for a in data.get("aliases") or ()),
            identifiers={str(k): str(v) for k, v in (data.get("identifiers") or {}).items()},
            links=tuple(Link.from_dict(link) for link in data.get("links") or ()),
            listings=tuple(Listing.from_dict(listing) for listing in data.get("listings") or ()),
            fields={str(k): Value.from_dict(v) for k, v in (data.get("fields") or {}).items()},
            sync=SyncStatus.from_dict(data["sync"]) if data.get("sync") else None,
            override=dict(data.get("override") or {}),
        )
