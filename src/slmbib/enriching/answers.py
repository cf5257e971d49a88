"""The services' answers as slmbib reads them: small frozen objects, built once by the service modules.

``s2`` and ``arxiv`` convert what a service sends into these types (checked
by ``remote``) as soon as it is read; ``resolve`` judges them and the cache
stores them, so both import the types from here rather than from the module
that talks to the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: S2 ``externalIds`` names, and the record identifier kind each one is.
S2_EXTERNAL_IDS = {"CorpusId": "corpus_id", "ArXiv": "arxiv", "DOI": "doi", "ACL": "acl"}


@dataclass(frozen=True)
class Paper:
    """What slmbib reads from an S2 paper, checked and cleaned (see ``s2.paper_from_json``)."""

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
        """The paper in S2's own shape (what the cache stores, read back by ``paper_from_json``)."""
        ids = self.identifiers
        external = {name: ids[kind] for name, kind in S2_EXTERNAL_IDS.items() if kind in ids}
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


@dataclass(frozen=True)
class Entry:
    """What slmbib reads from an arXiv entry, checked and cleaned (see ``arxiv.entry_from_json``)."""

    id: str
    version: int | None = None
    title: str = ""
    authors: tuple[str, ...] = ()
    #: ``YYYY-MM-DD`` as the feed gives it (the first ten characters of the timestamp).
    published: str = ""
    updated: str = ""
    primary_class: str = ""
    journal_ref: str = ""
    doi: str = ""
    comment: str = ""


@dataclass(frozen=True)
class Rejected:
    """arXiv's error entry naming one id (``incorrect id format for <id>``): its answer for that id."""

    error: str


#: arXiv's answer for one id: its entry, its rejection, or ``None`` (no such paper).
ArxivAnswer = Entry | Rejected | None
