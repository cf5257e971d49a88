"""``slmbib render``: write a README's paper tables from ``refs/``.

Contract:

* Only the lines between ``<!-- slmbib:begin SECTION PATH -->`` and
  ``<!-- slmbib:end -->`` are written; every other line of the file is kept
  byte for byte.  ``init`` puts the markers around each paper table whose
  section ``refs/`` lists rows of this file in, once.
* A region holds one table of the section its marker names: the table keeps
  the header it has (columns, order, alignment) and gets one row per listing of
  this file and section in ``refs/``, in listing order: the name, the year, the
  other cells and the links as listed, each link in the column
  :func:`identify.place_links` gives and labelled by its role.  A region with
  no table yet gets the columns its listings name.
* Rendering twice changes nothing, and importing what was rendered gives the
  same records: only moved links' columns and listing line numbers differ.
* Nothing is written when the file is not as ``refs/`` last saw it: a row in a
  region that no listing matches (edited by hand since the last import), a
  marker whose section is not the heading it sits under, a row whose column the
  table lacks.  Every such line is reported at once; import the file first.
* HTML comments at the end of a row (``<!-- slmbib: ignore CODE -->``) stay with
  the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .identify import identify, place_links
from .listimport import source_name
from .models import Listing, Record
from .readme import FENCE, YEAR_COLUMNS, ListErrors, Row, Scan, Table, read_document, scan_text, split_lines
from .store import atomic_write, load_records, require_refs

BEGIN = re.compile(r"^\s*<!--\s*slmbib:begin\s+(?P<section>.*?)\s*-->\s*$")
END = re.compile(r"^\s*<!--\s*slmbib:end\s*-->\s*$")
_COMMENTS = re.compile(r"<!--.*?-->")
_LABELS = {
    "paper": "Paper",
    "code": "Code",
    "model": "Model",
    "data": "Data",
    "blog": "Blog",
    "project": "Project",
}
_BOM = "\ufeff"


@dataclass(frozen=True)
class Region:
    """The lines ``begin`` < i < ``end`` (0-based, markers excluded) belong to ``section``."""

    section: str
    begin: int
    end: int


@dataclass
class RenderResult:
    path: Path
    text: str
    #: Sections whose table changed.
    changed: list[str] = field(default_factory=list)
    #: Sections that got markers in this run.
    initialised: list[str] = field(default_factory=list)
    #: ``section: name`` of listings that no region of the file shows.
    unplaced: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not self.changed and not self.initialised


def render_readme(refs_root: Path, path: Path, *, init: bool = False, write: bool = True) -> RenderResult:
    """Render the regions of the list at ``path`` from ``refs_root``; see the module contract."""
    require_refs(refs_root)
    source = source_name(path, refs_root)
    original = read_document(path, source)
    listings = _listings_by_section(load_records(refs_root).values(), source)
    if not listings:
        raise InputError(source, 0, f"refs/ lists no rows of {source}: run `slmbib import {path}` first")
    text, initialised = _with_markers(original, source, listings) if init else (original, [])
    scan = _scan(text, source)
    lines = split_lines(text, keepends=True)
    regions = find_regions(lines, source)
    if not regions:
        raise InputError(
            source, 0, "no <!-- slmbib:begin SECTION --> markers: run `slmbib render --init` once"
        )
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    problems: list[InputError] = []
    out: list[str] = []
    changed = []
    cursor = 0
    for region in regions:
        out.extend(lines[cursor : region.begin + 1])
        group = listings.get(region.section, [])
        body = _render_region(region, source, scan, lines, group, newline, problems)
        if body != "".join(lines[region.begin + 1 : region.end]):
            changed.append(region.section)
        out.append(body)
        cursor = region.end
    out.extend(lines[cursor:])
    if problems:
        raise ListErrors(problems)
    rendered = "".join(out)
    result = RenderResult(path, rendered, changed, initialised, _unplaced(scan, regions, listings))
    if write and not result.up_to_date:
        bom = _BOM if path.read_text(encoding="utf-8").startswith(_BOM) else ""
        atomic_write(path, (bom + rendered).encode("utf-8"))
    return result


def _scan(text: str, source: str) -> Scan:
    scan = scan_text(text, source)
    if scan.errors:
        raise ListErrors(list(scan.errors))
    return scan


def _listings_by_section(records: Iterable[Record], source: str) -> dict[str, list[Listing]]:
    by_section: dict[str, list[Listing]] = {}
    for record in records:
        for listing in record.listings:
            if listing.source == source:
                by_section.setdefault(listing.section, []).append(listing)
    for group in by_section.values():
        group.sort(key=Listing.sort_key)
    return by_section


def find_regions(lines: Sequence[str], source: str) -> list[Region]:
    """The marked regions of a file, in order; markers inside fenced code blocks are examples, not markers."""
    regions: list[Region] = []
    problems: list[InputError] = []
    open_at, section, fenced = -1, "", False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        if begin := BEGIN.match(line):
            if open_at >= 0:
                problems.append(
                    InputError(source, index + 1, f"slmbib:begin inside the region of line {open_at + 1}")
                )
            open_at, section = index, begin.group("section")
        elif END.match(line):
            if open_at < 0:
                problems.append(InputError(source, index + 1, "slmbib:end without slmbib:begin"))
            else:
                regions.append(Region(section, open_at, index))
                open_at = -1
    if open_at >= 0:
        problems.append(InputError(source, open_at + 1, "slmbib:begin without slmbib:end"))
    seen: dict[str, int] = {}
    for region in regions:
        if region.section in seen:
            message = f"section {region.section!r} has a region at line {seen[region.section]} already"
            problems.append(InputError(source, region.begin + 1, message))
        seen.setdefault(region.section, region.begin + 1)
    if problems:
        raise ListErrors(problems)
    return regions


def _with_markers(text: str, source: str, listings: Mapping[str, list[Listing]]) -> tuple[str, list[str]]:
    """``text`` with markers around each unmarked table of a section ``refs/`` lists rows of this file in."""
    scan = _scan(text, source)
    lines = split_lines(text, keepends=True)
    regions = find_regions(lines, source)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    marked = {region.section for region in regions}
    wrapped: dict[str, Table] = {}
    problems = []
    for table in scan.tables:
        inside = any(region.begin < table.line - 1 < region.end for region in regions)
        if inside or table.section not in listings:
            continue
        if table.section in marked or table.section in wrapped:
            message = f"section {table.section!r} has several paper tables; render writes one per section"
            problems.append(InputError(source, table.line, message))
        if "-->" in table.section:
            problems.append(InputError(source, table.line, "a section path with '-->' cannot go in a marker"))
        wrapped[table.section] = table
    if problems:
        raise ListErrors(problems)
    # From the end, so that the line numbers of the tables still to wrap stay right.
    for table in sorted(wrapped.values(), key=lambda t: t.line, reverse=True):
        last = lines[table.end - 1]
        if not last.endswith(("\n", "\r")):
            lines[table.end - 1] = last + newline
        lines.insert(table.end, f"<!-- slmbib:end -->{newline}")
        lines.insert(table.line - 1, f"<!-- slmbib:begin {table.section} -->{newline}")
    return "".join(lines), sorted(wrapped, key=lambda section: wrapped[section].line)


def _render_region(
    region: Region,
    source: str,
    scan: Scan,
    lines: Sequence[str],
    listings: Sequence[Listing],
    newline: str,
    problems: list[InputError],
) -> str:
    marker_line = region.begin + 1
    heading = scan.section_at(marker_line)
    if heading != region.section:
        message = f"marker names section {region.section!r} but the heading here is {heading!r}"
        problems.append(InputError(source, marker_line, message))
    tables = [t for t in scan.tables if region.begin < t.line - 1 < region.end]
    rows = [row for row in scan.rows if region.begin < row.line - 1 < region.end]
    if len(tables) > 1:
        problems.append(InputError(source, tables[1].line, "a region holds one table"))
    problems.extend(
        InputError(source, row.line, "render writes tables; keep numbered lists out of regions")
        for row in rows
        if row.kind == "list"
    )
    comments = _comments_by_listing(rows, lines, listings, problems)
    if tables:
        header, alignments = tables[0].header, tables[0].alignments
    elif listings:
        header = _header_for(listings)
        alignments = ("---",) * len(header)
    else:
        return ""
    body = [_cells_line(header), _cells_line(alignments)]
    for number, listing in enumerate(listings):
        row_line = _table_row(header, listing, source, region, problems)
        body.append(row_line + "".join(f" {comment}" for comment in comments.get(number, ())))
    return newline + "".join(line + newline for line in body) + newline


def _signature(name: str, year: str, cells: Mapping[str, str], urls: Iterable[str]) -> tuple[object, ...]:
    return (name, year, tuple(sorted(cells.items())), tuple(sorted(urls)))


def _comments_by_listing(
    rows: Sequence[Row], lines: Sequence[str], listings: Sequence[Listing], problems: list[InputError]
) -> dict[int, list[str]]:
    """Match each row of a region to a listing, and keep the row's comments by the listing's position."""
    free: dict[tuple[object, ...], list[int]] = {}
    for number, listing in enumerate(listings):
        key = _signature(listing.name, listing.year, listing.cells, (link["url"] for link in listing.links))
        free.setdefault(key, []).append(number)
    comments: dict[int, list[str]] = {}
    for row in rows:
        if row.kind != "table":
            continue
        candidates = free.get(_signature(row.name, row.year, row.cells, (link.url for link in row.links)))
        if not candidates:
            message = (
                f"row {row.name!r} is not in refs/ as written: import the file first, or take the row out"
            )
            problems.append(InputError(row.source, row.line, message))
            continue
        comments[candidates.pop(0)] = _COMMENTS.findall(lines[row.line - 1])
    return comments


def _header_for(listings: Sequence[Listing]) -> tuple[str, ...]:
    """Columns for a region with no table yet: the name, the year, then each cell and link column listed."""
    columns: list[str] = ["Name"]
    if any(listing.year for listing in listings):
        columns.append("Year")
    for listing in listings:
        for column in [*listing.cells, *(link["column"] for link in listing.links)]:
            if column not in columns:
                columns.append(column)
    return tuple(columns)


def _cells_line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table_row(
    header: Sequence[str], listing: Listing, source: str, region: Region, problems: list[InputError]
) -> str:
    cells = dict.fromkeys(header[1:], "")
    where = f"{listing.name!r} (refs/ listing of line {listing.line})"

    def missing(column: str) -> None:
        message = f"the table has no column {column!r} for {where}"
        problems.append(InputError(source, region.begin + 1, message))

    if listing.year:
        year_column = next((c for c in header[1:] if c.lower() in YEAR_COLUMNS), "")
        if year_column:
            cells[year_column] = listing.year
        else:
            missing("Year")
    for column, text in listing.cells.items():
        if column in cells:
            cells[column] = text
        else:
            missing(column)
    written = [(link["column"], link["url"]) for link in listing.links]
    placed: dict[str, list[str]] = {}
    for (_, url), column in zip(written, place_links(header, written, listing.cells.keys()), strict=True):
        if column not in cells:
            missing(column)
            continue
        found = identify(url, "", column)
        label = _LABELS.get(found.role, "Link") if found.usable else "Link"
        placed.setdefault(column, []).append(f"[{label}]({url})")
    for column, links in placed.items():
        cells[column] = ", ".join(links)
    return _cells_line([listing.name, *cells.values()])


def _unplaced(scan: Scan, regions: Sequence[Region], listings: Mapping[str, list[Listing]]) -> list[str]:
    """Listings of sections without a region that the file does not show either (placed by ``add``)."""
    rendered = {region.section for region in regions}
    shown = {(row.section, row.name) for row in scan.rows}
    return [
        f"{section}: {listing.name}"
        for section, group in listings.items()
        if section not in rendered
        for listing in group
        if (section, listing.name) not in shown
    ]
