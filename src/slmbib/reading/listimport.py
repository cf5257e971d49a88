"""``slmbib import LIST.md``: turn paper lists into records in ``refs/``.

Contract:

* Every list is read completely before ``refs/`` is touched; one unreadable
  line in any of them stops the import with every such line reported, and
  nothing is written.
* A list owns the listings it produced: re-importing it replaces them, so a
  row that moved section updates its listing and a re-import of unchanged
  lists changes no byte.  Listings of other lists are left alone.
* Rows naming the same paper become one record (see :mod:`merge`).  A row
  with no paper identifier or paper link joins the one record already listed
  under the same name, if there is exactly one (MobiLlama's placeholder row).
* Fields read from a list (``readme`` provenance) are re-derived from its
  rows on every import; fields of any other provenance and ``override`` are
  never changed here.
* A record whose rows all disappeared is kept, with no listings (flag
  ``unlisted``), and reported: nothing is deleted by an import.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import InputErrors
from ..identity import new_record_id, year_in
from ..merge import identity_keys, listed_name_key, merge_records
from ..models import Link, LinkRole, ListedLink, Listing, Provenance, Record, Value
from ..store import RecordChanges, load_records, locked, save_records
from .identify import identify
from .readme import Row, read_document, read_scan


@dataclass
class ImportSummary(RecordChanges):
    rows_per_file: dict[str, int] = field(default_factory=dict)
    identifiers: Counter[str] = field(default_factory=Counter)
    #: ``file:line: reason`` for rows kept with a problem, and for repairs made.
    flagged: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{source}: {count} rows read" for source, count in self.rows_per_file.items()]
        out.append(self.changes_line())
        found = ", ".join(f"{kind} {self.identifiers[kind]}" for kind in sorted(self.identifiers))
        out.append(f"identifiers found: {found or 'none'}")
        out.extend(f"merged: {removed} into {kept}" for kept, removed in self.merged)
        out.extend(f"unlisted (kept): {record_id}" for record_id in self.unlisted)
        out.extend(self.flagged)
        return out


def project_root(refs: Path) -> Path:
    return refs.resolve().parent


def source_name(path: Path, refs: Path) -> str:
    """How listings name their list: relative to the project, so any working folder gives the same."""
    return Path(os.path.relpath(path.resolve(), project_root(refs))).as_posix()


def identify_listing(listing: Listing) -> tuple[dict[str, str], list[Link]]:
    """The identifiers and links (by role) that a listing's links carry."""
    identifiers: dict[str, str] = {}
    links: list[Link] = []
    for raw in listing.links:
        found = identify(raw.url, "", raw.column)
        if not found.usable:
            continue
        for kind, value in found.identifiers.items():
            identifiers.setdefault(kind, value)
        link = Link(found.url, found.role)
        if link not in links:
            links.append(link)
    return identifiers, links


def links_of(listings: Iterable[Listing]) -> tuple[Link, ...]:
    links: list[Link] = []
    for listing in listings:
        links.extend(link for link in identify_listing(listing)[1] if link not in links)
    return tuple(links)


def record_from_row(row: Row) -> tuple[Record, list[str]]:
    """A provisional record for one row, not yet named (its id is ''), and the notes to report for it."""
    notes = [f"{row.source}:{row.line}: {note}" for note in row.notes]
    listing = Listing(
        source=row.source,
        line=row.line,
        section=row.section,
        name=row.name,
        year=row.year,
        cells=dict(row.cells),
        links=tuple(ListedLink(raw.column or raw.label, raw.url) for raw in row.links),
    )
    identifiers, links = identify_listing(listing)
    for raw in row.links:
        if not identify(raw.url).usable:
            notes.append(
                f"{row.source}:{row.line}: placeholder link {raw.url!r} under {raw.column or raw.label!r}"
            )
    if not any(link.role == LinkRole.PAPER for link in links) and not identifiers:
        notes.append(f"{row.source}:{row.line}: no paper link for {row.name!r}")
    if "title" in row.missing:
        notes.append(f"{row.source}:{row.line}: no title told apart in {row.name!r}")
    record = Record(
        id="",
        identifiers=identifiers,
        links=tuple(links),
        listings=(listing,),
        fields=readme_fields([row]),
    )
    return record, notes


def readme_fields(rows: Iterable[Row]) -> dict[str, Value]:
    """What the list itself says of the paper: numbered items give title, authors and venue."""
    fields: dict[str, Value] = {}
    years = []
    for row in rows:
        if row.title and "title" not in fields:
            fields["title"] = Value(row.title, Provenance.README)
        if row.authors and "authors" not in fields:
            fields["authors"] = Value(list(row.authors), Provenance.README)
            if row.authors_truncated:
                fields["authors_truncated"] = Value(True, Provenance.README)
        if row.venue and "venue" not in fields:
            fields["venue"] = Value(row.venue, Provenance.README)
        year = year_in(row.year)
        if year is not None:
            years.append(year)
    if years:
        # Lists give a model's release date, often after the paper: the earliest is the paper's.
        fields["year"] = Value(min(years), Provenance.README)
    return fields


def import_lists(refs: Path, paths: list[Path]) -> ImportSummary:
    """Import the lists at ``paths`` into ``refs``; see the module contract."""
    summary = ImportSummary()
    rows: list[Row] = []
    problems = []
    for path in paths:
        source = source_name(path, refs)
        try:
            scan = read_scan(read_document(path, source), source)
        except InputErrors as exc:
            problems.extend(exc.problems)
            continue
        summary.rows_per_file[source] = len(scan.rows)
        rows.extend(scan.rows)
        summary.flagged.extend(str(problem) for problem in scan.problems)
        without_authors = sum(1 for row in scan.rows if "authors" in row.missing)
        if without_authors:
            summary.flagged.append(
                f"{source}: {without_authors} items name no authors (`slmbib check {path}` lists them)"
            )
    if problems:
        raise InputErrors(problems)
    sources = set(summary.rows_per_file)

    with locked(refs, create=True):
        before = load_records(refs)
        provisional = []
        for row in rows:
            record, notes = record_from_row(row)
            summary.flagged.extend(notes)
            provisional.append(record)
        provisional = _attach_by_name(provisional, list(before.values()))
        current = {record.listings[0] for record in provisional}
        # Old listings of these lists still take part in the merge, so that a record keeps its
        # identity across re-imports; they are dropped right after.
        result = merge_records([*before.values(), *provisional], existing=before.keys())
        taken = set(before)
        final: list[Record] = []
        rows_by_listing = {(row.source, row.line): row for row in rows}
        for record in result.records:
            fresh = tuple(x for x in record.listings if x.source not in sources or x in current)
            record = replace(record, listings=fresh)
            if not record.id:
                record = replace(record, id=new_record_id(record, taken))
                taken.add(record.id)
            mine = [
                rows_by_listing[(x.source, x.line)]
                for x in record.listings
                if (x.source, x.line) in rows_by_listing
            ]
            if mine:
                others = {k: v for k, v in record.fields.items() if v.source != Provenance.README}
                listed = readme_fields(mine)
                if "authors" in others:
                    # The truncation mark belongs to the list's authors, which other sources replaced.
                    listed.pop("authors_truncated", None)
                record = replace(record, fields={**listed, **others})
            if record.listings:
                # Links are re-read from the listings, so a link fixed in the list is fixed here.
                record = replace(record, links=links_of(record.listings))
            final.append(record)
        summary.merged = [(kept, gone) for kept, gone in result.merged if kept and gone]
        summary.count(before, final)
        for record in final:
            old = before.get(record.id)
            if not record.listings and (old is None or old.listings):
                summary.unlisted.append(record.id)
        for record in final:
            for kind in record.identifiers:
                summary.identifiers[kind] += 1
        save_records(refs, final, remove=[gone for _, gone in result.merged if gone in before])
    return summary


def _names_a_paper(record: Record) -> bool:
    return bool(record.identifiers or record.links_with_role(LinkRole.PAPER))


def _attach_by_name(provisional: list[Record], existing: list[Record]) -> list[Record]:
    """Give a row that names no paper the identity of the one paper listed under its name."""
    named: dict[str, list[Record]] = {}
    for record in [*existing, *provisional]:
        if _names_a_paper(record):
            for listing in record.listings:
                named.setdefault(listed_name_key(listing.name), []).append(record)
    out = []
    for record in provisional:
        candidates = named.get(listed_name_key(record.listings[0].name), [])
        if not _names_a_paper(record) and candidates:
            first = identity_keys(candidates[0])
            if all(first & identity_keys(other) for other in candidates[1:]):
                record = replace(record, identifiers=dict(candidates[0].identifiers))
        out.append(record)
    return out
