"""Citations as BibTeX and biblatex: the only module that writes a ``.bib``.

Contract:

* Entries are written in a fixed field order, one per citation in the order
  given, laid out as bibtexparser's writer lays them out: the same citations
  always give the same bytes.
* Plain text goes through :mod:`slmbib.latex`, so nothing a remote service
  returns can run a LaTeX command or leave its field; a ``.bib``'s LaTeX is
  written as read when BibTeX can read it.
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
* ``biblatex`` output uses biblatex's own types and fields (``journaltitle``,
  ``date``, ``eprinttype``, ``urldate``, ``ids`` for old keys).
* An entry imported from a ``.bib`` is written back whole: its type and every
  field as read, in order, with only what a sync or an override improved
  (title, authors, year, a DOI it lacked) put in place.  For bibtex a biblatex
  type becomes the BibTeX type that prints the same work and BibTeX's name is
  added beside a biblatex field (:func:`bibtex_entry`); biber reads the entry
  as written (:func:`biblatex_entry`).  The file's ``@preamble`` comes first,
  an entry another ``crossref``s comes after it, and in BibTeX output (which
  has no ``ids``) each old key is a copy of its entry, so ``\\cite{old}`` works.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence

from ..latex import braces_balanced, clean, encode, protect_title
from .citation import ISO_DATE, MONTH_NUMBERS, MONTHS, BibSource, Citation, Text, latex_safe_doi

HEADER = "% Written by `slmbib export` from refs/: edit refs/, not this file.\n"
_PAGES = re.compile("^(\\w+)\\s*(?:-+|\u2013|\u2014)\\s*(\\w+)$")

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


def bibtex_fields(cite: Citation, names: Collection[str]) -> tuple[str, FieldList]:
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
    return "-".join([cite.year, *(f"{part:02d}" for part in cite.date_parts[1:])]) if cite.year else ""


def biblatex_fields(cite: Citation, names: Collection[str]) -> tuple[str, FieldList]:
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
    number = MONTH_NUMBERS.get(text) or (int(text) if text.isdigit() and 1 <= int(text) <= 12 else 0)
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
            found = ISO_DATE.match(value)
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


def bib_text(
    citations: Sequence[Citation],
    names: Collection[str],
    fields_of: Callable[[Citation, Collection[str]], tuple[str, FieldList]],
    copies: bool = False,
) -> str:
    """The entries of ``citations`` as ``fields_of`` writes them: :func:`bibtex_fields` or another."""
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
