"""Records to a bibliography: BibTeX, biblatex or CSL-JSON text.

This is the only module that writes BibTeX.

Contract:

* :func:`citation` reads a :class:`Record` once into a :class:`Citation`: the
  entry kind, and every field validated (years, months, dates, arXiv ids,
  DOIs, URLs) or kept as text.  Text that came from a ``.bib`` file the user
  wrote (provenance ``bib``) is LaTeX and is written exactly as written; all
  other text is plain and goes through :mod:`slmbib.latex`, so nothing a
  remote service returns can run a LaTeX command or leave its field.
* :func:`render` writes citations in a fixed field order, one entry per
  citation in the order given, UTF-8 with LF line ends: the same citations
  always give the same bytes.
* ``bibtex`` output compiles with plain bibtex (``plain``, ``plainnat``,
  ``abbrvnat``) and with biber: an entry lacking what its BibTeX type
  requires (authors, a year, a journal) is written as ``@misc``, with a
  ``key`` field that bibtex sorts author-less entries by.
* Every entry with an arXiv id carries ``eprint``, ``eprinttype = {arxiv}``
  and ``eprintclass`` (:func:`_eprint_fields`): biber reads them, and they
  are the only form in which Zotero's BibTeX importer keeps the id.  An
  arXiv-only preprint is ``@article`` with ``journal = {arXiv preprint
  arXiv:<id>}`` and arXiv's DOI ``10.48550/arXiv.<id>``; a published paper
  keeps its publisher's DOI and names its arXiv id in ``note`` (``plain``
  and the natbib styles print neither ``eprint`` nor, in ``plain``, ``doi``).
* Type, venue, year and DOI describe one version: a preprint entry never
  carries a published version's DOI, a published entry never arXiv's.
* Nothing a service or a list supplied reaches LaTeX raw: text is escaped
  (:mod:`slmbib.latex`), identifiers are checked (:func:`latex_safe_doi`),
  and titles and author lists are capped (:data:`MAX_TITLE`,
  :data:`MAX_AUTHORS`); what was withheld or cut is reported.
* ``biblatex`` output uses biblatex's own types and fields (``journaltitle``,
  ``date``, ``eprinttype``, ``urldate``, ``ids`` for old keys).
* ``csl-json`` output is plain Unicode, as Zotero imports it: a preprint's
  arXiv id in ``number`` with ``publisher = arXiv``, a published paper's in
  ``note``; the DOI in ``DOI``.
* An entry imported from a ``.bib`` (:func:`bib_source`) is written back
  whole: its type and every field as read, in order, with only what a sync
  or an override improved (title, authors, year, a DOI it lacked) put in
  place.  For bibtex a biblatex type becomes the BibTeX type that prints the
  same work and BibTeX's name is added beside a biblatex field
  (:func:`bibtex_entry`); biber reads the entry as written
  (:func:`biblatex_entry`).  The file's ``@preamble`` comes first, an entry
  another ``crossref``s comes after it, and in BibTeX output (which has no
  ``ids``) each old key is a copy of its entry, so ``\\cite{old}`` works.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..choices import FORMATS
from ..errors import UsageError
from ..identity import arxiv_doi, clean_doi, is_arxiv_doi, is_preprint_venue, parse_arxiv_id, record_year
from ..latex import braces_balanced, clean, encode, protect_title, to_text
from ..models import LinkRole, Provenance, Record
from ..names import Person, author_list, bibtex_name, person, split_names, written_bibtex_name

KINDS = ("article", "inproceedings", "preprint", "online", "misc")

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = {name: index for index, name in enumerate(MONTHS, start=1)}
_FULL_MONTHS = (
    *("january", "february", "march", "april", "may", "june", "july", "august", "september"),
    *("october", "november", "december"),
)
_MONTH_NAMES |= {full: index for index, full in enumerate(_FULL_MONTHS, start=1)}

_ARXIV_CLASS = re.compile(r"^[a-z-]+(?:\.[A-Za-z-]+)?$")
# DOI characters that read the same as text and as verbatim: natbib styles typeset ``doi`` as
# text when the url package is not loaded, and TeX reads ``^^5c`` as a backslash there.
_LATEX_SAFE_DOI = re.compile(r"^10\.\d{4,9}/[A-Za-z0-9.;:()/+*-]+$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_PAGES = re.compile("^(\\w+)\\s*(?:-+|\u2013|\u2014)\\s*(\\w+)$")
# Characters a URL may keep as they are inside a BibTeX field, \url{} and biber's verbatim fields.
_URL_SAFE = "/:?#[]@!$&'()*+,;=-._~%"

HEADER = "% Written by `slmbib export` from refs/: edit refs/, not this file.\n"

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


@dataclass(frozen=True)
class Rendered:
    """A bibliography's text and what a reader should be told about it."""

    text: str
    keys: tuple[str, ...]
    missing_authors: tuple[str, ...] = ()
    #: Entries with no year at all: natbib's author-year styles warn about each.
    missing_year: tuple[str, ...] = ()
    approximated: tuple[tuple[str, str], ...] = ()
    #: (key, what was cut or withheld) for every entry written short of its record.
    shortened: tuple[tuple[str, str], ...] = ()


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
    if text in _MONTH_NAMES:
        return _MONTH_NAMES[text]
    found = _DATE.match(str(record.get("date") or ""))
    return int(found.group(2)) if found and found.group(2) and 1 <= int(found.group(2)) <= 12 else 0


def _day(record: Record, year: str, month: int) -> int:
    found = _DATE.match(str(record.get("date") or ""))
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
    accessed = _DATE.match(str(record.get("accessed") or ""))
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
    accessed = _DATE.match(str(record.get("accessed") or ""))
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


# -- LaTeX values ------------------------------------------------------------

# (name, value, bare): ``bare`` values are BibTeX macros written without braces.
FieldList = list[tuple[str, str, bool]]


def _tex(text: Text) -> str:
    """LaTeX for a field: a user's LaTeX as written when BibTeX can read it, else its characters escaped."""
    if text.latex and braces_balanced(text.value):
        return clean(text.value)
    return encode(text.value).latex


def _title_tex(text: Text, names: Collection[str]) -> str:
    if text.latex and braces_balanced(text.value):
        return clean(text.value)
    return protect_title(text.value, names).latex


def _pages_tex(text: Text) -> str:
    if text.latex:
        return _tex(text)
    found = _PAGES.match(clean(text.value))
    if found:
        return f"{encode(found.group(1)).latex}--{encode(found.group(2)).latex}"
    return _tex(text)


def _authors_tex(cite: Citation) -> str:
    names = " and ".join(who.bibtex() for who in cite.authors)
    return names + " and others" if cite.authors_truncated else names


def _arxiv_journal(cite: Citation) -> str:
    return f"arXiv preprint arXiv:{cite.eprint}"


def _eprint_fields(cite: Citation) -> FieldList:
    """The arXiv id as every consumer reads it.

    ``eprinttype`` rather than ``archivePrefix``: biber reads both, but Zotero's
    BibTeX importer reads ``eprint`` only beside ``eprinttype = {arxiv}``, and
    ``archivePrefix``/``primaryClass`` not at all.
    """
    if not cite.eprint:
        return []
    fields: FieldList = [("eprint", cite.eprint, False), ("eprinttype", "arxiv", False)]
    if cite.primary_class:
        fields.append(("eprintclass", cite.primary_class, False))
    return fields


def _doi_field(cite: Citation) -> FieldList:
    doi = latex_safe_doi(cite.doi)
    return [("doi", doi, False)] if doi else []


def _bibtex_fields(cite: Citation, names: Collection[str]) -> tuple[str, FieldList]:
    if cite.bib is not None:
        return bibtex_entry(cite, cite.bib, names)
    kind = cite.kind
    container = _tex(cite.container) if cite.container else ""
    if kind == "preprint":
        container = _arxiv_journal(cite) if cite.eprint else container
    # An entry lacking what bibtex's styles demand of its type would draw warnings: @misc needs nothing.
    complete = kind in ("article", "inproceedings", "preprint") and bool(
        cite.names and cite.year and container
    )
    entry_type = {"inproceedings": "inproceedings"}.get(kind, "article") if complete else "misc"
    fields: FieldList = []
    if cite.names:
        fields.append(("author", _authors_tex(cite), False))
    fields.append(("title", _title_tex(cite.title, names), False))
    if entry_type == "article":
        fields.append(("journal", container, False))
    elif entry_type == "inproceedings":
        fields.append(("booktitle", container, False))
    elif container:
        fields.append(("howpublished", container, False))
    if cite.year:
        fields.append(("year", cite.year, False))
    if cite.month:
        fields.append(("month", MONTHS[cite.month - 1], True))
    if entry_type == "article" and kind == "article" and cite.volume:
        # Styles warn about a number without a volume, so it only goes with one.
        fields += _optional(("volume", cite.volume), ("number", cite.number))
    fields += _locators(cite)
    notes = [f"arXiv:{cite.eprint}"] if cite.eprint and container != _arxiv_journal(cite) else []
    if cite.accessed:
        notes.append(f"Accessed: {cite.accessed}")
    if notes:
        fields.append(("note", ", ".join(notes), False))
    if not cite.names:
        # plain.bst sorts, and natbib styles label, an author-less entry by this field.
        fields.append(("key", encode(cite.title.plain()).latex, False))
    return entry_type, fields


def _locators(cite: Citation) -> FieldList:
    """Pages, publisher and where to find the work."""
    fields: FieldList = []
    if cite.pages:
        fields.append(("pages", _pages_tex(cite.pages), False))
    if cite.kind in ("article", "inproceedings") and cite.publisher:
        fields.append(("publisher", _tex(cite.publisher), False))
    fields += _doi_field(cite)
    if cite.url:
        fields.append(("url", cite.url, False))
    fields += _eprint_fields(cite)
    if cite.accessed:
        fields.append(("urldate", cite.accessed, False))
    return fields


def _optional(*pairs: tuple[str, Text | None]) -> FieldList:
    return [(name, _tex(value), False) for name, value in pairs if value is not None]


def _biblatex_date(cite: Citation) -> str:
    parts = [cite.year] if cite.year else []
    if cite.year and cite.month:
        parts.append(f"{cite.month:02d}")
        if cite.day:
            parts.append(f"{cite.day:02d}")
    return "-".join(parts)


def _biblatex_fields(cite: Citation, names: Collection[str]) -> tuple[str, FieldList]:
    if cite.bib is not None:
        return biblatex_entry(cite, cite.bib, names)
    kind = cite.kind
    entry_type = {"preprint": "online"}.get(kind, kind)
    fields: FieldList = []
    if cite.aliases:
        fields.append(("ids", ",".join(cite.aliases), False))
    if cite.names:
        fields.append(("author", _authors_tex(cite), False))
    fields.append(("title", _title_tex(cite.title, names), False))
    container = _tex(cite.container) if cite.container else ""
    if container:
        container_field = {"article": "journaltitle", "inproceedings": "booktitle"}.get(kind, "howpublished")
        fields.append((container_field, container, False))
    date = _biblatex_date(cite)
    if date:
        fields.append(("date", date, False))
    if kind == "article":
        fields += _optional(("volume", cite.volume), ("number", cite.number))
    fields += _locators(cite)
    return entry_type, fields


# -- entries read from a .bib: written back whole -----------------------------

#: biber's verbatim fields (its data model's ``verbatim`` and ``uri`` fields) and entry keys:
#: never LaTeX text, never escaped or repaired.
VERBATIM_FIELDS = frozenset(
    {"doi", "eprint", "file", "pdf", "url", "urlraw", "verba", "verbb", "verbc", "crossref", "xref", "ids"}
    | {"xdata", "entryset", "related"}
)
#: The types bibtex's standard styles (plain, plainnat, abbrvnat, ...) define.
BIBTEX_TYPES = frozenset(
    {"article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual"}
    | {"mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished"}
)
#: biblatex's types (its manual, section 2.1) and the BibTeX names it takes as aliases.
BIBLATEX_TYPES = frozenset(
    {"article", "book", "mvbook", "inbook", "bookinbook", "suppbook", "booklet", "collection"}
    | {"mvcollection", "incollection", "suppcollection", "dataset", "manual", "misc", "online"}
    | {"patent", "periodical", "suppperiodical", "proceedings", "mvproceedings", "inproceedings"}
    | {"reference", "mvreference", "inreference", "report", "set", "software", "thesis", "unpublished"}
    | {"xdata", "artwork", "audio", "bibnote", "commentary", "image", "jurisdiction", "legislation"}
    | {"legal", "letter", "movie", "music", "performance", "review", "standard", "video"}
    | {"conference", "electronic", "mastersthesis", "phdthesis", "techreport", "www"}
)
#: biblatex types written for bibtex as the BibTeX type that prints the same work; any other is @misc.
_BIBLATEX_TO_BIBTEX = {
    **{"mvbook": "book", "collection": "book", "mvcollection": "book", "reference": "book"},
    **{"mvreference": "book", "bookinbook": "inbook", "suppbook": "inbook"},
    **{"suppcollection": "incollection", "inreference": "incollection", "mvproceedings": "proceedings"},
    **{"report": "techreport", "thesis": "phdthesis"},
}
#: biblatex field names bibtex's styles know under their BibTeX name.
_BIBLATEX_TO_BIBTEX_FIELDS = {"journaltitle": "journal", "location": "address"}
_THESIS_TYPES = frozenset({"thesis", "phdthesis", "mastersthesis"})
_MASTERS = re.compile(r"^\s*(ma|master|mathesis|master'?s)", re.IGNORECASE)


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


def bibtex_type(entry_type: str, fields: Sequence[tuple[str, str]]) -> str:
    """The BibTeX type for an entry of ``entry_type``: its own if bibtex's styles know it."""
    if entry_type in BIBTEX_TYPES or entry_type not in BIBLATEX_TYPES:
        # A type neither dialect knows stays as written: the reader's style decides, as it did.
        return entry_type
    if entry_type == "thesis":
        kind = next((value for name, value in fields if name.lower() == "type"), "")
        return "mastersthesis" if _MASTERS.match(kind) else "phdthesis"
    return _BIBLATEX_TO_BIBTEX.get(entry_type, "misc")


def month_macro(value: str) -> str:
    """The month macro (``jan``) a month value names, or ''."""
    text = value.strip().lower().rstrip(".")
    number = _MONTH_NAMES.get(text) or (int(text) if text.isdigit() and 1 <= int(text) <= 12 else 0)
    return MONTHS[number - 1] if number else ""


def _bib_pairs(cite: Citation, bib: BibSource, names: Collection[str]) -> list[tuple[str, str]]:
    """The entry's fields, with what slmbib knows better (an override, a synced value) in place."""
    replaced = {}
    if not bib.own_title:
        replaced["title"] = _title_tex(cite.title, names)
    if not bib.own_authors and cite.names:
        replaced["author"] = _authors_tex(cite)
    if not bib.own_year and cite.year:
        replaced["year"] = cite.year
    pairs = [(name, replaced.pop(name.lower(), value)) for name, value in bib.fields]
    pairs += list(replaced.items())
    if bib.synced_doi and "doi" not in {name.lower() for name, _ in pairs}:
        pairs.append(("doi", bib.synced_doi))
    return pairs


def _bib_field_list(pairs: Iterable[tuple[str, str]]) -> FieldList:
    fields: FieldList = []
    for name, value in pairs:
        macro = month_macro(value) if name.lower() == "month" else ""
        fields.append((name, macro, True) if macro else (name, value, False))
    return fields


def bibtex_entry(cite: Citation, bib: BibSource, names: Collection[str]) -> tuple[str, FieldList]:
    """A .bib entry for bibtex: every field as written, plus BibTeX's name of a biblatex field.

    bibtex ignores fields its style does not use, so biblatex's own (``journaltitle``,
    ``location``, ``date``) stay for a reader who imports the file again; the BibTeX
    field a style prints (``journal``, ``address``, ``year``) is added beside each.
    """
    entry_type = bibtex_type(bib.entry_type, bib.fields)
    pairs = _bib_pairs(cite, bib, names)
    present = {name.lower() for name, _ in pairs}
    out: list[tuple[str, str]] = []
    for name, value in pairs:
        lowered = name.lower()
        renamed = _BIBLATEX_TO_BIBTEX_FIELDS.get(lowered, "")
        if lowered == "institution" and entry_type in _THESIS_TYPES:
            renamed = "school"
        if renamed and renamed not in present:
            out.append((renamed, value))
            present.add(renamed)
        elif lowered == "date" and "year" not in present:
            found = _DATE.match(value)
            if found:
                out.append(("year", found.group(1)))
                present.add("year")
                if found.group(2) and "month" not in present:
                    out.append(("month", found.group(2)))
                    present.add("month")
        out.append((name, value))
    return entry_type, _bib_field_list(out)


def biblatex_entry(cite: Citation, bib: BibSource, names: Collection[str]) -> tuple[str, FieldList]:
    """A .bib entry for biber: as written (biber reads BibTeX's names and types), old keys as ``ids``."""
    pairs = _bib_pairs(cite, bib, names)
    if cite.aliases:
        written = next((value for name, value in pairs if name.lower() == "ids"), "")
        ids = [key.strip() for key in written.split(",") if key.strip()]
        pairs = [("ids", ",".join(dict.fromkeys([*ids, *cite.aliases])))]
        pairs += [(name, value) for name, value in _bib_pairs(cite, bib, names) if name.lower() != "ids"]
    return bib.entry_type, _bib_field_list(pairs)


def crossref_targets_last(citations: Sequence[Citation]) -> list[Citation]:
    """``citations`` with every entry another one cross-references moved after all the others.

    bibtex only lets an entry inherit from a ``crossref`` parent that comes later in the file.
    """
    targets = {
        value.strip().lower()
        for cite in citations
        if cite.bib is not None
        for name, value in cite.bib.fields
        if name.lower() == "crossref"
    }
    if not targets:
        return list(citations)
    return [c for c in citations if c.key.lower() not in targets] + [
        c for c in citations if c.key.lower() in targets
    ]


#: An entry for :func:`bibtex_layout`: its type, its key and its fields.
BibEntry = tuple[str, str, FieldList]


def _bib_text(
    citations: Sequence[Citation],
    names: Collection[str],
    fields_of: Callable[[Citation, Collection[str]], tuple[str, FieldList]],
    copies: bool = False,
) -> str:
    preambles = dict.fromkeys(text for cite in citations if cite.bib for text in cite.bib.preambles)
    entries: list[BibEntry] = []
    # bibtex has no ``ids``: with ``copies`` an old key is written as a copy of its entry, so
    # \cite{old} still works.
    for cite in crossref_targets_last(citations):
        entry_type, pairs = fields_of(cite, names)
        entries.extend((entry_type, key, pairs) for key in (cite.key, *(cite.aliases if copies else ())))
    return bibtex_layout(preambles, entries)


def bibtex_layout(preambles: Iterable[str], entries: Iterable[BibEntry]) -> str:
    """Preambles and entries as BibTeX, laid out as bibtexparser's writer lays them out (tested against it).

    ``@type{key,``, each field on its own line as ``  name = {value},`` (a macro
    bare), ``}``, and a blank line between blocks.  Written directly: building
    bibtexparser's objects and running its middleware and writer over them took
    half of exporting a large file.
    """
    blocks = [f"@preamble{{{{{text}}}}}\n" for text in preambles]
    for entry_type, key, pairs in entries:
        body = "".join(
            f"  {name} = {value},\n" if bare else f"  {name} = {{{value}}},\n" for name, value, bare in pairs
        )
        blocks.append(f"@{entry_type}{{{key},\n{body}}}\n")
    return "\n".join(blocks)


def _csl_name(who: Person) -> dict[str, str]:
    family = to_text(who.family)
    if not who.given and not who.suffix:
        return {"literal": family}
    name = {"family": family, "given": to_text(who.given)}
    if who.suffix:
        name["suffix"] = to_text(who.suffix)
    return name


_CSL_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "preprint": "article",
    "online": "webpage",
    "misc": "document",
}


#: CSL types of BibTeX's and biblatex's entry types (as Zotero's translators map them).
_BIB_CSL_TYPES = {
    **{"article": "article-journal", "book": "book", "mvbook": "book", "collection": "book"},
    **{"mvcollection": "book", "reference": "book", "mvreference": "book", "proceedings": "book"},
    **{"mvproceedings": "book", "inbook": "chapter", "incollection": "chapter", "bookinbook": "chapter"},
    **{"suppbook": "chapter", "suppcollection": "chapter", "inreference": "entry-encyclopedia"},
    **{"inproceedings": "paper-conference", "conference": "paper-conference", "thesis": "thesis"},
    **{"phdthesis": "thesis", "mastersthesis": "thesis", "techreport": "report", "report": "report"},
    **{"manual": "report", "unpublished": "manuscript", "online": "webpage", "electronic": "webpage"},
    **{"www": "webpage", "patent": "patent", "dataset": "dataset", "software": "software"},
    **{"periodical": "periodical", "booklet": "pamphlet"},
}
#: CSL variables of .bib text fields, the first field present giving each.
_BIB_CSL_TEXT = (
    ("container-title", ("journaltitle", "journal", "booktitle")),
    ("collection-title", ("series",)),
    ("publisher", ("publisher", "school", "institution", "organization")),
    ("publisher-place", ("location", "address")),
    ("volume", ("volume",)),
    ("edition", ("edition",)),
    ("genre", ("type",)),
    ("ISBN", ("isbn",)),
    ("ISSN", ("issn",)),
    ("note", ("note",)),
    ("abstract", ("abstract",)),
)
_URL_COMMAND = re.compile(r"\\url\s*\{([^{}]*)\}")


def bib_csl_item(cite: Citation, bib: BibSource) -> dict[str, object]:
    """CSL-JSON for an entry read from a .bib: every field CSL has a variable for."""
    fields = {name.lower(): value for name, value in bib.fields}
    item: dict[str, object] = {
        "id": cite.key,
        "citation-key": cite.key,
        "type": _BIB_CSL_TYPES.get(bib.entry_type, "document"),
        "title": cite.title.plain(),
    }
    for role, name in (("author", "author"), ("editor", "editor"), ("translator", "translator")):
        people = split_names(fields.get(name, "")) if bib.own_authors or role != "author" else []
        if role == "author" and not bib.own_authors:
            item["author"] = [_csl_name(who.person) for who in cite.authors]
        elif people:
            item[role] = [_csl_name(person(who, latex=True)) for who in people if who.lower() != "others"]
    date = _DATE.match(fields.get("date", ""))
    parts = [int(part) for part in date.groups() if part] if date else []
    if not parts and cite.year:
        parts = [int(part) for part in _biblatex_date(cite).split("-")]
    if parts:
        item["issued"] = {"date-parts": [parts]}
    for variable, names in _BIB_CSL_TEXT:
        value = next((fields[name] for name in names if fields.get(name)), "")
        if value:
            item[variable] = to_text(value)
    if fields.get("number"):
        item["number" if item["type"] in ("report", "patent") else "issue"] = to_text(fields["number"])
    if fields.get("pages"):
        item["page"] = re.sub(r"\s*-+\s*", "-", to_text(fields["pages"]))
    if cite.doi:
        item["DOI"] = cite.doi
    url = safe_url(fields.get("url", ""))
    linked = _URL_COMMAND.search(fields.get("howpublished", ""))
    if url or linked:
        item["URL"] = url or safe_url(linked.group(1) if linked else "")
    if cite.eprint:
        item["number"] = f"arXiv:{cite.eprint}"
    if cite.accessed:
        item["accessed"] = {"date-parts": [[int(part) for part in cite.accessed.split("-")]]}
    return {name: value for name, value in item.items() if value not in ("", [], None)}


def _csl_item(cite: Citation) -> dict[str, object]:
    if cite.bib is not None:
        return bib_csl_item(cite, cite.bib)
    item: dict[str, object] = {"id": cite.key, "citation-key": cite.key, "type": _CSL_TYPES[cite.kind]}
    item["title"] = cite.title.plain()
    if cite.names:
        item["author"] = [_csl_name(who.person) for who in cite.authors]
    if cite.year:
        date_parts = [int(part) for part in _biblatex_date(cite).split("-")]
        item["issued"] = {"date-parts": [date_parts]}
    if cite.container:
        item["container-title"] = cite.container.plain()
    for name, value in (("volume", cite.volume), ("issue", cite.number), ("page", cite.pages)):
        if value is not None:
            item[name] = value.plain()
    if cite.kind == "preprint" and cite.eprint:
        # Zotero reads "article" as a preprint, the publisher as its repository and number as its id.
        item["publisher"] = "arXiv"
        item["number"] = f"arXiv:{cite.eprint}"
        item["URL"] = f"https://arxiv.org/abs/{cite.eprint}"
    else:
        if cite.publisher:
            item["publisher"] = cite.publisher.plain()
        if cite.eprint:
            # CSL has no variable for it; Zotero keeps a note in Extra, citation-js and citeproc as is.
            item["note"] = f"arXiv:{cite.eprint}"
    if cite.doi:
        item["DOI"] = cite.doi
    if cite.url:
        item["URL"] = cite.url
    if cite.accessed:
        item["accessed"] = {"date-parts": [[int(part) for part in cite.accessed.split("-")]]}
    return item


def render(
    records: Sequence[Record],
    fmt: str = "bibtex",
    names: Collection[str] | None = None,
    header: bool = True,
    old_keys: bool = True,
) -> Rendered:
    """The bibliography of ``records``, in the order given, as ``fmt`` text.

    ``names`` are the words kept capitalised in titles; by default the capitalised
    words of the records' own listed names.  ``header`` starts BibTeX output with a
    comment saying where the file comes from.  ``old_keys`` keeps a record's old keys
    citable in BibTeX output, each as a copy of its entry (biblatex output lists them
    in ``ids``).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}")
    if names is None:
        names = listed_names(records)
    citations = [citation(record) for record in records]
    if fmt == "csl-json":
        text = json.dumps([_csl_item(cite) for cite in citations], ensure_ascii=False, indent=2) + "\n"
    else:
        if fmt == "bibtex":
            text = _bib_text(citations, names, _bibtex_fields, copies=old_keys)
        else:
            text = _bib_text(citations, names, _biblatex_fields)
        if header:
            text = HEADER + "\n" + text if text else HEADER
    return Rendered(
        text=text,
        keys=tuple(cite.key for cite in citations),
        missing_authors=tuple(cite.key for cite in citations if cite.missing_authors),
        missing_year=tuple(cite.key for cite in citations if not cite.year),
        approximated=tuple((cite.key, "".join(cite.approximated)) for cite in citations if cite.approximated),
        shortened=_shortened(citations, fmt),
    )


def _shortened(citations: Sequence[Citation], fmt: str) -> tuple[tuple[str, str], ...]:
    """What each entry lacks of its record: the caps, and in LaTeX DOIs it may not be given."""
    found: list[tuple[str, str]] = []
    for cite in citations:
        found.extend((cite.key, what) for what in cite.capped)
        if fmt != "csl-json" and cite.doi and not latex_safe_doi(cite.doi):
            found.append((cite.key, f"DOI {cite.doi!r} not written: LaTeX would read part of it as commands"))
    return tuple(found)
