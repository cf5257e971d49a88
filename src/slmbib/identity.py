"""What identifies a paper, each rule written once.

Every stage that asks "which paper is this" calls this module: the list
reader and the ``.bib`` reader when they find identifiers, merge when it
unites records, the services when they build requests and read answers,
keys and the writer when they need a year, a family name or an eprint.

* **arXiv ids**: new style ``2402.14905`` and old style ``hep-th/9901001``
  (``math.GT/0309136`` with a subject class), each with an optional version.
  :func:`parse_arxiv_id` is the one parser; it returns an :class:`ArxivId`
  (id without version, version as an int) in arXiv's own spelling: archive in
  lower case, subject class in upper case.  arXiv's DOI for a paper is
  ``10.48550/arXiv.<id>``: the id in disguise, never a publisher's DOI.
* **DOIs**: ``10.<registrant>/<suffix>``, where the suffix holds no space,
  brace or backslash (it is written verbatim into BibTeX).  :func:`clean_doi`
  takes one as written (``doi:``, ``https://doi.org/...``) to its bare form.
* A **paper URL** is compared without what does not make it another page:
  scheme, ``www.``, host case, a trailing slash, a fragment (:func:`paper_url_key`).
* A new record's **id** (its file's name) comes from its strongest identifier,
  else its paper URL, else its title (:func:`new_record_id`).
* **Titles** are compared as their words: no case, accents, punctuation,
  LaTeX markup or spacing.  **Authors** by their family name, folded the same
  way.  A **year** is the first standalone four-digit number from 1000 to 2999 in a text.
* A **preprint venue** is one naming arXiv or CoRR first (``ArXiv``, ``CoRR``,
  ``arXiv preprint arXiv:2401.00001``, ``{arXiv} e-prints``): not a publication.
  A record is **published** when it has a publisher's DOI, or a journal or
  proceedings that is no preprint venue.
* **Field groups** are fields that only make sense together, always taken
  from one source; **source precedence** says whose value wins.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from .latex import ascii_fold, to_text
from .models import IDENTIFIER_KINDS, LinkRole, Provenance, Record
from .names import first_author, person

# -- arXiv ids ----------------------------------------------------------------------------------

#: A new-style id (``YYMM.NNNN`` or ``YYMM.NNNNN``) and an old-style one (``archive[.CLASS]/YYMMNNN``).
NEW_ARXIV = r"\d{4}\.\d{4,5}"
OLD_ARXIV = r"[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7}"
#: An arXiv id with its optional version, for patterns that find ids inside URLs and text.
ARXIV_ID = rf"(?P<id>{NEW_ARXIV}|{OLD_ARXIV})(?:v(?P<version>\d+))?"
_ARXIV_ID = re.compile(rf"^(?:arxiv:\s*)?{ARXIV_ID}$", re.IGNORECASE)
# "arXiv:2401.00001", "arXiv 2401.00001", ".../abs/2401.00001" in a free-text field.
_ARXIV_IN_TEXT = re.compile(rf"(?:arxiv[:\s]*|abs/){ARXIV_ID}", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class ArxivId:
    """A well-formed arXiv id: ``id`` without version, ``version`` when one was written."""

    id: str
    version: int | None = None


def _arxiv_spelling(arxiv_id: str) -> str:
    """arXiv's own spelling: archive in lower case, subject class in upper case."""
    archive, slash, number = arxiv_id.partition("/")
    if not slash:
        return arxiv_id
    name, dot, subject = archive.partition(".")
    return f"{name.lower()}{dot}{subject.upper()}/{number}"


def arxiv_id_from_match(found: re.Match[str]) -> ArxivId:
    """The :class:`ArxivId` a match of a pattern built on :data:`ARXIV_ID` found."""
    version = found.group("version")
    return ArxivId(_arxiv_spelling(found.group("id")), int(version) if version else None)


def parse_arxiv_id(text: str) -> ArxivId | None:
    """``2306.17256v4`` (or ``arXiv:2306.17256v4``) -> ``ArxivId("2306.17256", 4)``; None if no arXiv id."""
    found = _ARXIV_ID.match(text.strip())
    return arxiv_id_from_match(found) if found else None


def arxiv_id_in_text(text: str) -> ArxivId | None:
    """The first arXiv id a free text names (``arXiv preprint arXiv:2401.00001``), or None."""
    found = _ARXIV_IN_TEXT.search(text)
    return arxiv_id_from_match(found) if found else None


_NEW_ARXIV_MONTH = re.compile(r"^(\d{2})(0[1-9]|1[0-2])\.")


def arxiv_year(arxiv_id: str) -> int | None:
    """The year a new-style arXiv id was submitted in (``2306.00978`` -> 2023); None for old ids."""
    found = _NEW_ARXIV_MONTH.match(arxiv_id)
    return 2000 + int(found.group(1)) if found else None


def arxiv_doi(arxiv_id: str) -> str:
    """The DOI arXiv gives a paper: ``2402.14905`` -> ``10.48550/arXiv.2402.14905``."""
    return f"10.48550/arXiv.{arxiv_id}"


def arxiv_id_from_doi(doi: str) -> str:
    """``10.48550/arXiv.2402.14905`` -> ``2402.14905``; '' for any other DOI."""
    found = _ARXIV_DOI.match(doi.strip())
    return found.group("id") if found else ""


def is_arxiv_doi(doi: str) -> bool:
    return bool(arxiv_id_from_doi(doi))


# -- DOIs ---------------------------------------------------------------------------------------

_DOI = re.compile(r"^10\.\d{4,9}/[^\s{}\\]+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def is_doi(text: str) -> bool:
    """Whether ``text`` is a bare DOI of the shape every registry uses."""
    return bool(_DOI.match(text))


def clean_doi(text: str) -> str:
    """The bare DOI ``text`` writes (``doi:10.1/x``, ``https://doi.org/10.1/x``), or '' if none."""
    doi = _DOI_PREFIX.sub("", text.strip())
    return doi if is_doi(doi) else ""


# -- identifiers written out in text ------------------------------------------------------------

#: ``arXiv:2401.01234``, ``arXiv preprint arXiv: 2401.01234v2``, ``doi:10.1/x``: a prefix, in any
#: case, then the identifier.  Where a list item writes one, it is a link to the paper, not venue text.
_WRITTEN = re.compile(r"\s*\b(?P<kind>arXiv|doi):\s?(?P<value>\S+)", re.IGNORECASE)
_WRITTEN_PREFIX = re.compile(r"arXiv:|doi:", re.IGNORECASE)
_ARXIV_AT_START = re.compile(ARXIV_ID)


def written_identifiers(text: str) -> list[tuple[str, str]]:
    """The identifiers ``text`` writes out, as (kind, id): ``("arxiv", "2401.01234")``, ``("doi", …)``."""
    if not _WRITTEN_PREFIX.search(text):
        return []  # most texts write none: one search instead of a scan for each kind
    found = []
    for written in _WRITTEN.finditer(text):
        value = written.group("value")
        if written.group("kind").lower() == "arxiv":
            arxiv = _ARXIV_AT_START.match(value)
            if arxiv:
                found.append(("arxiv", arxiv_id_from_match(arxiv).id))
        elif is_doi(doi := value.rstrip(".,;)]\"'")):
            found.append(("doi", doi))
    return found


def without_written_identifiers(text: str) -> str:
    """``text`` without the identifiers it writes out (see :func:`written_identifiers`)."""
    return _WRITTEN.sub("", text)


# -- paper URLs ---------------------------------------------------------------------------------


def paper_url_key(url: str) -> str:
    """A paper URL without the differences that do not make it another page."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


# -- record ids ---------------------------------------------------------------------------------


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    # A run of dots is cut too: ".." from a DOI like 10.1234/../x is no part of a safe file name.
    return re.sub(r"(?:[^a-z0-9.]|\.{2,})+", "-", folded.lower()).strip("-.")[:80]


def new_record_id(record: Record, taken: set[str]) -> str:
    """A file name for a new record from its strongest identifier, else its paper link, else its name."""
    for kind in IDENTIFIER_KINDS:
        value = record.identifiers.get(kind)
        if value:
            base = f"{kind}-{_slug(value)}"
            # Lower-casing would let two OpenReview ids share a file name: keep them apart.
            if value != value.lower() and kind != "doi":
                base += "-" + hashlib.sha1(value.encode()).hexdigest()[:6]
            break
    else:
        papers = record.links_with_role(LinkRole.PAPER)
        base = (
            f"url-{_slug(paper_url_key(papers[0]))}"
            if papers
            else f"name-{_slug(record.title) or 'untitled'}"
        )
    if base not in taken:
        return base
    return f"{base}-{_first_free_number(base, taken)}"


def _first_free_number(base: str, taken: set[str]) -> int:
    """The lowest n >= 2 with ``base-n`` free, when the numbers taken run on without gaps.

    Thousands of works can share one base (entries with one title and no
    identifier): counting up one by one made naming them quadratic.  Galloping,
    then halving, finds a free number in logarithmic steps; with gaps in the
    numbers taken it is still a free one, just not always the lowest.
    """
    free = 2
    while f"{base}-{free}" in taken:
        free *= 2
    low = free // 2 + 1 if free > 2 else 2
    while low < free:  # base-(low - 1) is taken (or low is 2), base-free is free
        middle = (low + free) // 2
        if f"{base}-{middle}" in taken:
            low = middle + 1
        else:
            free = middle
    return free


# -- titles and authors -------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")


def normalise_title(text: str, *, latex: bool = False) -> str:
    """The title's words without case, accents, punctuation, LaTeX markup or spacing.

    ``latex`` says the text is LaTeX as a ``.bib`` writes it (``G{\\"o}del``), to be decoded first.
    """
    plain = to_text(text) if latex else text
    return " ".join(_WORD.findall(ascii_fold(plain).lower()))


def plain_title(record: Record) -> str:
    """The record's best title (see :attr:`Record.title`) as plain text, whatever its source wrote."""
    if record.provenance("title") == Provenance.BIB:
        return to_text(str(record.get("title")))
    return record.title


# Merging asks for each record's first author several times a pass (to file the record and to
# find its candidates): the name is split once.
@functools.lru_cache(maxsize=2**17)
def family_name(author: str, *, latex: bool = False) -> str:
    """The family name of one author (``Given Family``, ``Family, Given``, ``Given von Family``), plain."""
    return to_text(person(author, latex=latex).last)


def name_key(name: str) -> str:
    """A name folded for comparing: lower-case ASCII letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", ascii_fold(name).lower())


def first_author_family(record: Record) -> str:
    """The record's first author's family name as plain text, or '' when no author is known."""
    first = first_author(record.get("authors"))
    if not first:
        return ""
    return family_name(first, latex=record.provenance("authors") == Provenance.BIB)


# -- years --------------------------------------------------------------------------------------

_YEAR = re.compile(r"(?<!\d)[12]\d{3}(?!\d)")


def year_in(text: object) -> int | None:
    """The first standalone year (1000-2999) written in ``text``: ``2024.2`` -> 2024, ``Feb 2024`` -> 2024."""
    found = _YEAR.search(str(text if text is not None else ""))
    return int(found.group(0)) if found else None


def record_year(record: Record) -> int | None:
    """The record's year: its ``year`` field, else its ``date``, else the year a list gave it."""
    for candidate in (record.get("year"), record.get("date"), *(listing.year for listing in record.listings)):
        year = year_in(candidate)
        if year is not None:
            return year
    return None


# -- venues -------------------------------------------------------------------------------------

# arXiv as a "venue" (S2's "ArXiv", DBLP's "CoRR", a .bib's "{arXiv} preprint ..."): not a publication.
_PREPRINT_VENUE = re.compile(r"^[\s{]*(arxiv|corr)\b", re.IGNORECASE)


def is_preprint_venue(venue: str) -> bool:
    return bool(_PREPRINT_VENUE.match(venue))


def is_published(record: Record) -> bool:
    """Whether the record describes a published version: a journal, proceedings, or a publisher's DOI."""
    doi = str(record.get("doi") or record.identifiers.get("doi") or "")
    if doi and not arxiv_id_from_doi(doi):
        return True
    if record.get("entry_type") not in (None, "article", "inproceedings"):
        return False
    venue = str(record.get("booktitle") or record.get("journal") or "")
    return bool(venue) and not is_preprint_venue(venue)


# -- field groups and sources -------------------------------------------------------------------

AUTHOR_FIELDS = ("authors", "authors_truncated")
DATE_FIELDS = ("year", "month", "date")
VENUE_FIELDS = (
    *("entry_type", "venue", "venue_type", "journal", "booktitle", "volume", "number", "pages"),
    *("publisher", "doi", "journal_ref", "publication_types"),
)
#: Fields that only make sense together: a group's values always come from one source, so that
#: a year from a .bib never sits beside a month from S2, nor a hand-set entry type beside S2's journal.
FIELD_GROUPS = (AUTHOR_FIELDS, DATE_FIELDS, VENUE_FIELDS)

#: Whose value wins when two sources give one field: the maintainer's, then a .bib's, then the
#: services', then the paper list's.
SOURCE_RANK = {
    Provenance.MANUAL: 4,
    Provenance.BIB: 3,
    Provenance.S2: 2,
    Provenance.ARXIV: 2,
    Provenance.README: 1,
}
#: The services a sync asks.
REMOTE_SOURCES = (Provenance.S2, Provenance.ARXIV)
#: Sources that outrank the services: a sync never overwrites their values (it reports them).
KEPT_SOURCES = tuple(source for source, rank in SOURCE_RANK.items() if rank > SOURCE_RANK[Provenance.S2])
