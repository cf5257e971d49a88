"""Records to a bibliography: BibTeX, biblatex or CSL-JSON text.

Each record is read once into a checked :class:`~.citation.Citation`
(:mod:`.citation`), then written by :mod:`.bibtex` (BibTeX and biblatex) or
:mod:`.csljson`.  :func:`render` writes UTF-8 text with LF line ends, one entry
per record in the order given, and says what a reader should be told: entries
without authors or a year, characters LaTeX can only approximate, and what was
cut to the caps or withheld from LaTeX.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..choices import FORMATS
from ..errors import UsageError
from ..models import Record
from .bibtex import HEADER, bib_text, biblatex_fields, bibtex_fields
from .citation import Citation, citation, latex_safe_doi, listed_names
from .csljson import csl_item


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
        text = json.dumps([csl_item(cite) for cite in citations], ensure_ascii=False, indent=2) + "\n"
    else:
        if fmt == "bibtex":
            text = bib_text(citations, names, bibtex_fields, copies=old_keys)
        else:
            text = bib_text(citations, names, biblatex_fields)
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
