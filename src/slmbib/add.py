"""``slmbib add``: put a paper into a section of a list, from its arXiv id, DOI or URL.

Contract:

* The paper is named by an arXiv id (``2402.14905``, ``arXiv:2402.14905v2``),
  a DOI (``10.18653/v1/2024.acl-long.1``, ``doi:...``) or a URL from which
  :func:`identify.identify` reads a paper identifier; anything else is refused
  before ``refs/`` is touched, and so is a section no list in ``refs/`` has.
* The record is the one ``refs/`` has for that paper (same identity as the
  import merges by) or a new one.  It gets a listing in SECTION of the list
  that has that section (``list_source`` chooses when several do), after the
  section's last row, with the paper link in the column where the section's
  rows keep theirs.  A paper listed in the section already is not placed twice.
* Then that record alone is synced.  Unless a name is given, the listing's
  name becomes the paper's title (in a table, the part before a ``:``, which
  is the method's name: ``MobileLLM: Optimizing ...``), and its year the
  paper's year when the section's rows show years.  When the sync cannot
  resolve the paper, the record stays placed under the identifier as written
  and a later ``slmbib sync`` completes it.
* ``refs/`` is written under its lock, atomically; ``slmbib render`` then
  writes the new row into the list.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .enrich import SyncOptions, SyncResult, sync
from .errors import SlmbibError
from .identify import Identified, column_roles, identify, url_role
from .identity import clean_doi, parse_arxiv_id
from .listimport import new_record_id, project_root
from .merge import identity_keys
from .models import Link, Listing, Record
from .readme import ListErrors, read_document, scan_text
from .store import load_records, locked, save_records
from .survey import load_own, save_own


@dataclass
class AddResult:
    record_id: str
    created: bool
    #: False when the paper was listed in the section already.
    placed: bool
    source: str
    section: str
    name: str
    #: The record's sync status afterwards: ``resolved``, ``not_found``, ``ambiguous``, ``unavailable``.
    status: str = ""
    sync: SyncResult = field(default_factory=SyncResult)


def paper_link(text: str) -> Identified:
    """The paper link an arXiv id, DOI or URL stands for; raises SlmbibError for anything else."""
    written = text.strip()
    arxiv = parse_arxiv_id(written)
    doi = clean_doi(written)
    if arxiv:
        url = f"https://arxiv.org/abs/{arxiv.id}"
    elif doi:
        url = f"https://doi.org/{doi}"
    else:
        url = written
    found = identify(url)
    if not (found.usable and found.role == "paper" and found.identifiers):
        raise SlmbibError(
            f"{text!r} is no arXiv id, DOI or paper URL with an identifier"
            " (arXiv, DOI, ACL Anthology, OpenReview, PMLR)"
        )
    return found


def add_paper(
    refs_root: Path,
    paper: str,
    section: str,
    *,
    name: str = "",
    list_source: str = "",
    options: SyncOptions | None = None,
) -> AddResult:
    """Create or reuse the record of ``paper``, place it in ``section``, sync it: see the module contract."""
    link = paper_link(paper)
    probe = Record(id="", identifiers=dict(link.identifiers), links=(Link(link.url, "paper"),))
    with locked(refs_root):
        records = load_records(refs_root)
        in_section = [x for r in records.values() for x in r.listings if x.section == section]
        source = _list_of(section, in_section, list_source, records.values())
        mine = [x for x in in_section if x.source == source]
        existing = _same_paper(probe, records.values())
        record = existing or replace(probe, id=new_record_id(probe, set(records)))
        result = AddResult(record.id, existing is None, False, source, section, name or paper.strip())
        if not any(x in mine for x in record.listings):
            listing = Listing(
                source=source,
                line=max(x.line for x in mine) + 1,
                section=section,
                name=result.name,
                links=({"column": _paper_column(mine), "url": link.url},),
            )
            links = record.links if probe.links[0] in record.links else (*record.links, *probe.links)
            save_records(refs_root, [replace(record, listings=(*record.listings, listing), links=links)])
            result.placed = True
    # sync takes the lock itself.
    result.sync = sync(refs_root, replace(options or SyncOptions(), only=(record.id,)))
    table = _is_table(refs_root, source, section)
    _finish(refs_root, probe, result, named=bool(name), table=table, years=any(x.year for x in mine))
    return result


def add_own(refs_root: Path, paper: str, options: SyncOptions | None = None) -> tuple[str, bool, SyncResult]:
    """Make ``paper`` one of the list's own works (or find it among them) and sync it.

    Returns its record id, whether it was created, and the sync's result.
    """
    link = paper_link(paper)
    probe = Record(id="", identifiers=dict(link.identifiers), links=(Link(link.url, "paper"),))
    with locked(refs_root):
        works = load_own(refs_root)
        existing = _same_paper(probe, works.values())
        record = existing or replace(probe, id=new_record_id(probe, {*works, *load_records(refs_root)}))
        save_own(refs_root, [record])
    return record.id, existing is None, sync(refs_root, replace(options or SyncOptions(), only=(record.id,)))


def _list_of(section: str, listings: Sequence[Listing], chosen: str, records: Iterable[Record]) -> str:
    """The list whose ``section`` the paper goes in."""
    sources = sorted({x.source for x in listings})
    if chosen in sources or (not chosen and len(sources) == 1):
        return chosen or sources[0]
    if not chosen and sources:
        raise SlmbibError(
            f"section {section!r} is in several lists ({', '.join(sources)}): name one with --list"
        )
    known = sorted({x.section for r in records for x in r.listings if not chosen or x.source == chosen})
    # People name a section by its last heading, or nearly: look there too.
    last = {path.rsplit(" > ", 1)[-1]: path for path in known}
    close = [path for path in known if section.lower() in path.lower()][:3] or [
        last.get(match, match)
        for match in difflib.get_close_matches(section, [*known, *last], n=3, cutoff=0.6)
    ]
    where = f" of {chosen}" if chosen else ""
    hint = f"; did you mean {' or '.join(repr(s) for s in close)}?" if close else ""
    raise SlmbibError(f"no section {section!r} in the lists{where} that refs/ knows{hint}")


def _same_paper(probe: Record, records: Iterable[Record]) -> Record | None:
    keys = identity_keys(probe)
    return next((record for record in records if identity_keys(record) & keys), None)


def _paper_column(listings: Sequence[Listing]) -> str:
    """Where the section's rows keep their paper links: the column most of them use."""
    columns = Counter(
        link["column"] for listing in listings for link in listing.links if url_role(link["url"]) == "paper"
    )
    if columns:
        return columns.most_common(1)[0][0]
    asking = [link["column"] for x in listings for link in x.links if "paper" in column_roles(link["column"])]
    return asking[0] if asking else "Paper"


def _is_table(refs_root: Path, source: str, section: str) -> bool:
    """Whether ``section`` of the list ``source`` is a table (else a numbered list of titles)."""
    try:
        text = read_document(project_root(refs_root) / source, source)
    except ListErrors:
        return True  # the list is not here to look at; tables are what render writes
    # By its paper rows: a section may hold a legend table beside its list of papers.
    kinds = {row.kind for row in scan_text(text, source).rows if row.section == section}
    return "table" in kinds or not kinds


def _finish(
    refs_root: Path, probe: Record, result: AddResult, *, named: bool, table: bool, years: bool
) -> None:
    """Name and date the new listing from what the sync found; note the record's id and status."""
    with locked(refs_root):
        records = load_records(refs_root)
        # The sync may have merged the record into another that turned out to be the same paper.
        record = _same_paper(probe, records.values())
        if record is None:
            return
        result.record_id, result.status = record.id, record.sync.get("status", "")
        title = str(record.get("title") or "") if record.provenance("title") not in (None, "readme") else ""
        year = record.get("year") if record.provenance("year") not in (None, "readme") else None
        if not result.placed:
            return
        listings = []
        for listing in record.listings:
            if (listing.source, listing.section) == (result.source, result.section):
                if title and not named:
                    listing = replace(listing, name=title.split(":")[0].strip() if table else title)
                if year and years and not listing.year:
                    listing = replace(listing, year=str(year))
                result.name = listing.name
            listings.append(listing)
        save_records(refs_root, [replace(record, listings=tuple(listings))])
