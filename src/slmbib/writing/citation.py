"""Records read into citations: one entry each, every value checked, in no output format yet.

Contract:

* :func:`citation` reads a :class:`Record` once into a :class:`Citation`: the
  entry kind, and every field validated (years, months, dates, arXiv ids,
  DOIs, URLs) or kept as text.  Text that came from a ``.bib`` file the user
  wrote (provenance ``bib``) is LaTeX, marked as such (:class:`Text`); all
  other text is plain, for the writers to encode.
* Type, venue, year and DOI describe one version: a preprint's citation never
  carries a published version's DOI, a published one never arXiv's.
* Identifiers are checked (:func:`safe_doi`, :func:`latex_safe_doi`,
  :func:`safe_url`), and titles and author lists are capped (:data:`MAX_TITLE`,
  :data:`MAX_AUTHORS`); what was cut is said in :attr:`Citation.capped`.
* An entry imported from a ``.bib`` keeps its type and every field as read
  (:func:`bib_source`), with what a sync or an override improved marked.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ..identity import arxiv_doi, clean_doi, is_arxiv_doi, is_preprint_venue, parse_arxiv_id, record_year
from ..latex import clean, encode, to_text
from ..models import LinkRole, Provenance, Record
from ..names import Person, author_list, bibtex_name, person, written_bibtex_name

KINDS = ("article", "inproceedings", "preprint", "online", "misc")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
#: Month names and abbreviations (lower case) -> 1..12.
MONTH_NUMBERS = {name: index for index, name in enumerate(MONTHS, start=1)}
_FULL_MONTHS = (
    *("january", "february", "march", "april", "may", "june", "july", "august", "september"),
    *("october", "november", "december"),
)
MONTH_NUMBERS |= {full: index for index, full in enumerate(_FULL_MONTHS, start=1)}

_ARXIV_CLASS = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")
# DOI characters that read the same as text and as verbatim: natbib styles typeset ``doi`` as
# text when the url package is not loaded, and TeX reads ``^^5c`` as a backslash there.
_LATEX_SAFE_DOI = re.compile(r"^10\.\d{4,9}/[A-Za-z0-9.;:()/+*-]+$")
#: The year, month and day an ISO date starts with (``2024``, ``2024-05``, ``2024-05-01T…``).
ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
# Characters a URL may keep as they are inside a BibTeX field, \url{} and biber's verbatim fields.
_URL_SAFE = "/:?#[]@!$&'()*+,;=-._~%"

#: Longest title written: pdflatex aborts the whole document on a paragraph of 200,000 characters.
MAX_TITLE = 1000
#: Most authors written, then ``and others``: bibtex's name formatting grows with the square of
#: a list's length (100,000 names took it minutes).  The longest real lists run to a few thousand.
MAX_AUTHORS = 3000


@dataclass(frozen=True)
class Text:
    """A field's text: plain, or LaTeX as a user wrote it in a ``.bib`` file."""

    value: str
    latex: bool = False

    def plain(self) -> str:
        return to_text(self.value) if self.latex else clean(self.value)


class Author(NamedTuple):
    """One author as read from a record; split into BibTeX's parts only when asked.

    A named tuple: a large export makes one for each of hundreds of thousands of names.
    """

    name: str
    #: The name is LaTeX a user wrote in a ``.bib`` file.
    latex: bool = False

    @property
    def person(self) -> Person:
        return person(self.name, latex=self.latex)

    def bibtex(self) -> str:
        """The name as BibTeX reads it: as written when it can be, else ``Family, Given``."""
        written = written_bibtex_name(self.name) if self.latex else None
        return written if written is not None else bibtex_name(self.person)


@dataclass(frozen=True)
class BibSource:
    """What a .bib entry said: its type, every field in order as LaTeX, its file's ``@preamble``."""

    entry_type: str
    fields: tuple[tuple[str, str], ...]
    preambles: tuple[str, ...] = ()
    #: Whether the record's title, authors and year are still the entry's own.
    own_title: bool = True
    own_authors: bool = True
    own_year: bool = True
    #: A publisher's DOI a sync (or an override) found for an entry that had none.
    synced_doi: str = ""


@dataclass(frozen=True)
class Citation:
    """One bibliography entry, every value checked; see the module docstring."""

    key: str
    kind: str
    title: Text
    #: The authors' names as the record holds them; LaTeX from a ``.bib`` when ``names_latex``.
    names: tuple[str, ...] = ()
    names_latex: bool = False
    authors_truncated: bool = False
    year: str = ""
    month: int = 0
    day: int = 0
    container: Text | None = None
    volume: Text | None = None
    number: Text | None = None
    pages: Text | None = None
    publisher: Text | None = None
    doi: str = ""
    url: str = ""
    eprint: str = ""
    primary_class: str = ""
    accessed: str = ""
    aliases: tuple[str, ...] = ()
    #: Characters of the record's plain text that LaTeX output can only approximate.
    approximated: tuple[str, ...] = ()
    #: What was cut to the caps, said for the reader: ``title cut to 1000 characters``.
    capped: tuple[str, ...] = ()
    #: An entry read from a .bib: its type and every field as written (see :func:`bib_source`).
    bib: BibSource | None = None

    @property
    def missing_authors(self) -> bool:
        return not self.names

    @property
    def authors(self) -> tuple[Author, ...]:
        """Made when asked: an entry read from a .bib, its names its own, writes them as read."""
        return tuple(Author(name, self.names_latex) for name in self.names)

    @property
    def date_parts(self) -> tuple[int, ...]:
        """Year, month and day as far as known: a month only with a year, a day only with both."""
        if not self.year:
            return ()
        if not self.month:
            return (int(self.year),)
        return (int(self.year), self.month, self.day) if self.day else (int(self.year), self.month)


def _text(record: Record, name: str) -> Text | None:
    value = record.get(name)
    if value is None or str(value).strip() == "":
        return None
    return Text(str(value), latex=record.provenance(name) == Provenance.BIB)


def arxiv_id(record: Record) -> str:
    """The record's arXiv id without version, or '' if it has none that is well formed."""
    parsed = parse_arxiv_id(str(record.identifiers.get("arxiv", "")))
    return parsed.id if parsed else ""


def safe_url(url: str) -> str:
    """``url`` with every character a BibTeX field or ``\\url`` mishandles percent-encoded.

    Only http(s) URLs are kept: a bibliography has no business linking anything else.
    """
    url = clean(url)
    if not re.match(r"^https?://[^\s/]", url, re.IGNORECASE):
        return ""
    return urllib.parse.quote(url, safe=_URL_SAFE)


def safe_doi(doi: str) -> str:
    return clean_doi(clean(doi))


def latex_safe_doi(doi: str) -> str:
    """``doi`` if LaTeX may be given it as it is, else ''.

    A DOI is written into BibTeX only when every character reads the same as
    text and as verbatim (letters, digits, ``. ; : ( ) / + * -``):
    natbib's styles typeset it as plain text unless the url package is
    loaded, where ``^^5c`` is a backslash and ``_ % # $ & ~ ^`` break the
    compile, while biber and Zotero read it verbatim, so no escape suits
    both.  Other DOIs stay in CSL-JSON, exactly.
    """
    return doi if _LATEX_SAFE_DOI.match(doi) else ""


def _month(record: Record) -> int:
    value = record.get("month")
    if isinstance(value, int) and 1 <= value <= 12:
        return value
    text = str(value or "").strip().lower().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    if text in MONTH_NUMBERS:
        return MONTH_NUMBERS[text]
    found = ISO_DATE.match(str(record.get("date") or ""))
    return int(found.group(2)) if found and found.group(2) and 1 <= int(found.group(2)) <= 12 else 0


def _day(record: Record, year: str, month: int) -> int:
    found = ISO_DATE.match(str(record.get("date") or ""))
    if not found or found.group(1) != year or not found.group(3) or int(found.group(2) or 0) != month:
        return 0
    day = int(found.group(3))
    return day if 1 <= day <= 31 else 0


def _is_arxiv_venue(text: Text | None) -> bool:
    return text is not None and is_preprint_venue(text.plain())


def entry_kind(record: Record) -> str:
    """What the record is: a declared ``entry_type``, else what its fields and links show."""
    declared = str(record.get("entry_type") or "")
    booktitle = _text(record, "booktitle")
    journal = _text(record, "journal")
    if declared == "article" and (journal is None or _is_arxiv_venue(journal)) and arxiv_id(record):
        return "preprint"
    if declared in KINDS:
        return declared
    venue_type = str(record.get("venue_type") or "").lower()
    if booktitle is not None or (venue_type == "conference" and _text(record, "venue")):
        return "inproceedings"
    if journal is not None and not _is_arxiv_venue(journal):
        return "article"
    if venue_type == "journal" and not _is_arxiv_venue(_text(record, "venue")):
        return "article"
    if arxiv_id(record):
        return "preprint"
    if not record.links_with_role(LinkRole.PAPER) and any(
        record.links_with_role(role) for role in (LinkRole.BLOG, LinkRole.MODEL, LinkRole.PROJECT)
    ):
        return "online"
    return "misc"


def _container(record: Record, kind: str) -> Text | None:
    if kind == "inproceedings":
        return _text(record, "booktitle") or _text(record, "venue")
    if kind == "article":
        journal = _text(record, "journal") or _text(record, "venue")
        return None if _is_arxiv_venue(journal) else journal
    if kind in ("misc", "online"):
        return _text(record, "journal") or _text(record, "booktitle") or _text(record, "venue")
    return None


def _url(record: Record, kind: str, doi: str, eprint: str) -> str:
    """A URL where the reader finds the work, when DOI and eprint do not already say it."""
    if kind == "preprint" or doi or (eprint and kind != "online"):
        return ""
    candidates = [str(record.get("url") or "")]
    roles = (
        (LinkRole.PAPER, LinkRole.BLOG, LinkRole.MODEL, LinkRole.PROJECT, LinkRole.OTHER)
        if kind == "online"
        else (LinkRole.PAPER,)
    )
    for role in roles:
        candidates.extend(record.links_with_role(role))
    for candidate in candidates:
        url = safe_url(candidate)
        if url:
            return url
    return ""


def _version_doi(record: Record, kind: str, eprint: str) -> str:
    """The DOI of the version the entry describes; see the module docstring."""
    if kind == "preprint":
        return arxiv_doi(eprint) if eprint else ""
    doi = safe_doi(str(record.get("doi") or record.identifiers.get("doi", "")))
    if is_arxiv_doi(doi) or (not doi and eprint):
        return arxiv_doi(eprint) if eprint and kind in ("misc", "online") else ""
    return doi


def _capped_title(title: Text) -> tuple[Text, str]:
    if len(title.value) <= MAX_TITLE:
        return title, ""
    cut = title.value[:MAX_TITLE].rsplit(" ", 1)[0] if " " in title.value[:MAX_TITLE] else ""
    # A user's LaTeX cut anywhere may break a group: what is cut is written as plain text.
    shortened = Text((cut or title.value[:MAX_TITLE]).rstrip() + "\u2026")
    return shortened, f"title cut to {MAX_TITLE} characters (it has {len(title.value):,})"


def _year_from_page(record: Record, kind: str) -> str:
    """A web page's year when it has none: from a date in its URL, else the day it was read."""
    if kind not in ("online", "misc"):
        return ""
    links = [link.url for link in record.links if link.role in (LinkRole.BLOG, LinkRole.PROJECT)]
    for url in [str(record.get("url") or ""), *links]:
        found = re.search(r"/((?:19|20)\d\d)/(0[1-9]|1[0-2])/", url)
        if found:
            return found.group(1)
    accessed = ISO_DATE.match(str(record.get("accessed") or ""))
    return accessed.group(1) if accessed else ""


def citation(record: Record) -> Citation:
    """Read a record into a :class:`Citation`; the record must have a key."""
    kind = entry_kind(record)
    title, title_cut = _capped_title(_text(record, "title") or Text(record.title))
    raw_authors = author_list(record.get("authors"))
    authors_cut = len(raw_authors) > MAX_AUTHORS
    raw_authors = raw_authors[:MAX_AUTHORS]
    authors_latex = record.provenance("authors") == Provenance.BIB
    year = str(record_year(record) or "") or _year_from_page(record, kind)
    month = _month(record) if year else 0
    eprint = arxiv_id(record)
    doi = _version_doi(record, kind, eprint)
    capped = [title_cut] if title_cut else []
    if authors_cut:
        capped.append(f"authors cut to the first {MAX_AUTHORS:,}, then 'and others'")
    primary = str(record.get("arxiv_primary_class") or "")
    accessed = ISO_DATE.match(str(record.get("accessed") or ""))
    # Only plain text is encoded, so only it can be approximated: a .bib's LaTeX is written as read.
    plain = [] if title.latex else [title.value]
    plain += [] if authors_latex else raw_authors
    for name in ("journal", "booktitle", "venue", "publisher"):
        part = _text(record, name)
        if part is not None and not part.latex:
            plain.append(part.value)
    approximated = [char for value in plain for char in encode(value).approximated]
    return Citation(
        key=record.key,
        kind=kind,
        title=title,
        names=tuple(raw_authors),
        names_latex=authors_latex,
        authors_truncated=(bool(record.get("authors_truncated")) and bool(raw_authors)) or authors_cut,
        year=year,
        month=month,
        day=_day(record, year, month),
        container=_container(record, kind),
        volume=_text(record, "volume"),
        number=_text(record, "number"),
        pages=_text(record, "pages"),
        publisher=_text(record, "publisher"),
        doi=doi,
        url=_url(record, kind, doi, eprint),
        eprint=eprint,
        primary_class=primary if eprint and _ARXIV_CLASS.match(primary) else "",
        accessed=accessed.group(0) if accessed and accessed.group(3) else "",
        aliases=tuple(record.aliases),
        approximated=tuple(dict.fromkeys(approximated)),
        capped=tuple(capped),
        bib=bib_source(record),
    )


# A listed name's words that only give its version or size: ``Qwen 1.5``, ``Alpaca 7B``, ``BitNet b1.58``.
_VERSION_WORD = re.compile(r"^(v?\d[\w.]*|[a-z]\d[\d.]*|\(.*\))$")


def listed_names(records: Iterable[Record]) -> frozenset[str]:
    """Model names the survey lists (``Qwen``, ``Gemma``): kept capitalised in titles.

    Only one-word names count (a version or size may follow): longer listed names
    are descriptions or titles, whose capitalised words are ordinary words.
    """
    words: set[str] = set()
    for record in records:
        for listing in record.listings:
            named = [word for word in listing.name.split() if not _VERSION_WORD.match(word)]
            if len(named) == 1 and named[0][:1].isupper():
                words.add(named[0])
    return frozenset(words)


def bib_source(record: Record) -> BibSource | None:
    """The .bib entry a record was read from, if it was (see :mod:`slmbib.reading.bibread`)."""
    raw = record.fields.get("bib_fields")
    entry_type = record.fields.get("bib_type")
    if raw is None or entry_type is None or raw.source != Provenance.BIB or not isinstance(raw.value, list):
        return None
    pairs = tuple(
        (str(pair[0]), str(pair[1]))
        for pair in raw.value
        if isinstance(pair, (list, tuple)) and len(pair) == 2
    )
    preamble = record.fields.get("bib_preamble")
    preambles = (
        tuple(str(text) for text in preamble.value) if preamble and isinstance(preamble.value, list) else ()
    )
    return BibSource(
        entry_type=str(entry_type.value).lower(),
        fields=pairs,
        preambles=preambles,
        own_title=record.provenance("title") in (Provenance.BIB, None),
        own_authors=record.provenance("authors") in (Provenance.BIB, None),
        own_year=record.provenance("year") in (Provenance.BIB, None),
        synced_doi=latex_safe_doi(safe_doi(str(record.get("doi") or "")))
        if record.provenance("doi") not in (Provenance.BIB, None)
        else "",
    )
