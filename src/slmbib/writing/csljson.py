"""Citations as CSL-JSON, plain Unicode, as Zotero, citation-js and citeproc read it.

A preprint's arXiv id goes in ``number`` with ``publisher = arXiv``, a published
paper's in ``note``; the DOI in ``DOI``.  An entry read from a ``.bib`` gives every
field CSL has a variable for (:func:`bib_csl_item`).
"""

from __future__ import annotations

import re

from ..latex import to_text
from ..names import Person, person, split_names
from .citation import ISO_DATE, BibSource, Citation, safe_url


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
    date = ISO_DATE.match(fields.get("date", ""))
    parts = [int(part) for part in date.groups() if part] if date else []
    if not parts and cite.year:
        parts = list(cite.date_parts)
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


def csl_item(cite: Citation) -> dict[str, object]:
    if cite.bib is not None:
        return bib_csl_item(cite, cite.bib)
    item: dict[str, object] = {"id": cite.key, "citation-key": cite.key, "type": _CSL_TYPES[cite.kind]}
    item["title"] = cite.title.plain()
    if cite.names:
        item["author"] = [_csl_name(who.person) for who in cite.authors]
    if cite.year:
        item["issued"] = {"date-parts": [list(cite.date_parts)]}
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
