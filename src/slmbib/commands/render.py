"""``slmbib render``: write a README's paper tables and lists from ``refs/``.

Contract:

* Only the lines between ``<!-- slmbib:begin SECTION PATH -->`` and
  ``<!-- slmbib:end -->`` are written; every other line of the file is kept
  byte for byte.  ``init`` puts the markers around the first paper table or
  list of each section ``refs/`` lists rows of this file in, once.
* A region holds one table or one list of the section its marker names, and
  keeps the list's style.  A table keeps its header and separator row as
  written and gets one row per listing of this file and section in ``refs/``
  that no other block of the file shows, in listing order: a row the file has
  as written is kept byte for byte unless :func:`identify.place_links` moves
  one of its links; other rows are written from the listing, each link in the
  column ``place_links`` gives and labelled as the file labels it, text
  escaped so that it reads back as written.  A region with no table yet gets
  the columns its listings name.  A list keeps its items and non-paper lines
  as written and gets an item for each new listing, in the form of its first
  item (see :func:`_new_item`).
* Rendering twice changes nothing, and importing what was rendered gives the
  same records: only moved links' columns and listing line numbers differ.
* Nothing is written when the file is not as ``refs/`` last saw it: a row in a
  region that no listing matches (edited by hand since the last import), a
  line in a region that is no part of its table or list, a marker whose section
  is not the heading it sits under, a row whose column the table lacks.  Every
  such line is reported at once; import the file first.
* HTML comments at the end of a row (``<!-- slmbib: ignore CODE -->``) stay with
  the row.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, InputErrors
from ..models import LinkRole, Listing, Record
from ..names import author_list
from ..reading.identify import identify, place_links
from ..reading.listimport import source_name
from ..reading.readme import (
    FENCE,
    YEAR_COLUMNS,
    ListBlock,
    Row,
    Scan,
    escape_text,
    read_document,
    scan_text,
    split_cells,
    split_lines,
)
from ..store import atomic_write, load_records, require_refs

BEGIN = re.compile(r"^\s*<!--\s*slmbib:begin\s+(?P<section>.*?)\s*-->\s*$")
END = re.compile(r"^\s*<!--\s*slmbib:end\s*-->\s*$")
_COMMENTS = re.compile(r"<!--.*?-->")
_LABELS = {
    LinkRole.PAPER: "Paper",
    LinkRole.CODE: "Code",
    LinkRole.MODEL: "Model",
    LinkRole.DATA: "Data",
    LinkRole.BLOG: "Blog",
    LinkRole.PROJECT: "Project",
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


def render_readme(refs: Path, path: Path, *, init: bool = False, write: bool = True) -> RenderResult:
    """Render the regions of the list at ``path`` from ``refs``; see the module contract."""
    require_refs(refs)
    source = source_name(path, refs)
    original = read_document(path, source)
    records = load_records(refs).values()
    listings = _listings_by_section(records, source)
    papers = _papers_of(records, source)
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
        body = _render_region(region, source, scan, lines, group, newline, problems, papers)
        if body != "".join(lines[region.begin + 1 : region.end]):
            changed.append(region.section)
        out.append(body)
        cursor = region.end
    out.extend(lines[cursor:])
    if problems:
        raise InputErrors(problems)
    rendered = "".join(out)
    result = RenderResult(path, rendered, changed, initialised, _unplaced(scan, regions, listings))
    if write and not result.up_to_date:
        bom = _BOM if path.read_text(encoding="utf-8").startswith(_BOM) else ""
        atomic_write(path, (bom + rendered).encode("utf-8"))
    return result


def _scan(text: str, source: str) -> Scan:
    return scan_text(text, source)


def _listings_by_section(records: Iterable[Record], source: str) -> dict[str, list[Listing]]:
    by_section: dict[str, list[Listing]] = {}
    for record in records:
        for listing in record.listings:
            if listing.source == source:
                by_section.setdefault(listing.section, []).append(listing)
    for group in by_section.values():
        group.sort(key=Listing.sort_key)
    return by_section


def _papers_of(records: Iterable[Record], source: str) -> dict[tuple[int, str], Record]:
    """The record of each listing of ``source``, by the listing's line and name."""
    return {(x.line, x.name): record for record in records for x in record.listings if x.source == source}


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
        raise InputErrors(problems)
    return regions


def _with_markers(text: str, source: str, listings: Mapping[str, list[Listing]]) -> tuple[str, list[str]]:
    """``text`` with markers around each unmarked table of a section ``refs/`` lists rows of this file in."""
    scan = _scan(text, source)
    lines = split_lines(text, keepends=True)
    regions = find_regions(lines, source)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    marked = {region.section for region in regions}
    blocks = sorted(
        [
            *((t.section, t.line, t.end) for t in scan.tables if t.markdown),
            *((x.section, x.line, x.end) for x in scan.lists),
        ],
        key=lambda block: block[1],
    )
    wrapped: dict[str, tuple[int, int]] = {}
    problems = []
    for section, first, last in blocks:
        inside = any(region.begin < first - 1 < region.end for region in regions)
        # One region a section: further tables and lists of it stay as they are, read but not written.
        if inside or section not in listings or section in marked or section in wrapped:
            continue
        if "-->" in section:
            problems.append(InputError(source, first, "a section path with '-->' cannot go in a marker"))
        wrapped[section] = (first, last)
    if problems:
        raise InputErrors(problems)
    # From the end, so that the line numbers of the blocks still to wrap stay right.
    for section, (first, last) in sorted(wrapped.items(), key=lambda item: item[1][0], reverse=True):
        if not lines[last - 1].endswith(("\n", "\r")):
            lines[last - 1] += newline
        lines.insert(last, f"<!-- slmbib:end -->{newline}")
        lines.insert(first - 1, f"<!-- slmbib:begin {section} -->{newline}")
    return "".join(lines), sorted(wrapped, key=lambda section: wrapped[section][0])


def _render_region(
    region: Region,
    source: str,
    scan: Scan,
    lines: Sequence[str],
    listings: Sequence[Listing],
    newline: str,
    problems: list[InputError],
    papers: Mapping[tuple[int, str], Record],
) -> str:
    marker_line = region.begin + 1
    heading = scan.section_at(marker_line)
    if heading != region.section:
        message = f"marker names section {region.section!r} but the heading here is {heading!r}"
        problems.append(InputError(source, marker_line, message))
    tables = [t for t in scan.tables if region.begin < t.line - 1 < region.end]
    lists = [x for x in scan.lists if region.begin < x.line - 1 < region.end]
    rows = [row for row in scan.rows if region.begin < row.line - 1 < region.end]
    if len(tables) + len(lists) > 1:
        second = sorted([*(t.line for t in tables), *(x.line for x in lists)])[1]
        problems.append(InputError(source, second, "a region holds one table or one list"))
    owned = range(0)
    if tables and tables[0].markdown:
        owned = range(tables[0].line - 1, tables[0].end)
    elif lists and not tables:
        owned = range(lists[0].line - 1, lists[0].end)
    problems.extend(
        InputError(
            source, index + 1, "a line in the region is no row of its table: move it out of the region"
        )
        for index in range(region.begin + 1, region.end)
        if index not in owned and lines[index].strip()
    )
    outside = {_row_signature(row) for row in scan.rows if not region.begin < row.line - 1 < region.end}
    matched = _match_rows(rows, listings, outside, problems)
    shown = [
        (listing, matched.get(number))
        for number, listing in enumerate(listings)
        if number not in matched or matched[number] is not None
    ]
    labels = _labels(scan.rows)
    if lists and not tables:
        # The list as written, rows and what is no paper (a note, a sub-list) alike, then the new items.
        block = lists[0]
        kept = {row.line for _, row in shown if row is not None}
        starts = {row.line: row for row in rows}
        body: list[str] = []
        line = block.line
        while line <= block.end:
            row = starts.get(line)
            if row is None or row.line in kept:
                last = row.last_line if row is not None else line
                body.extend(text.rstrip("\r\n") for text in lines[line - 1 : last])
                line = last + 1
            else:
                line = row.last_line + 1
        count = sum(1 for row in rows if row.line in kept)
        for listing, row in shown:
            if row is None:
                count += 1
                paper = papers.get((listing.line, listing.name))
                body.extend(_new_item(listing, paper, rows, lines, labels, block, count))
        return newline + "".join(text + newline for text in body) + newline
    separator = ""
    if tables:
        header, alignments = tables[0].header, tables[0].alignments
        if len(split_cells(tables[0].separator)) == len(header):
            separator = tables[0].separator
        head = lines[tables[0].line - 1].strip()
    elif shown:
        header = _header_for([listing for listing, _ in shown])
        alignments = ("---",) * len(header)
        head = _cells_line(escape_text(column) for column in header)
    else:
        return ""
    body = [head, separator or _cells_line(alignments)]
    for listing, row in shown:
        written = [(link.column, link.url) for link in listing.links]
        if row is not None and [c for c, _ in written] == place_links(header, written, listing.cells.keys()):
            body.append(lines[row.line - 1].rstrip("\r\n"))  # as the maintainer wrote it
            continue
        row_line = _table_row(header, listing, source, region, problems, labels, rows)
        comments = _COMMENTS.findall(lines[row.line - 1]) if row is not None else []
        body.append(row_line + "".join(f" {comment}" for comment in comments))
    return newline + "".join(line + newline for line in body) + newline


def _signature(name: str, year: str, cells: Mapping[str, str], urls: Iterable[str]) -> tuple[object, ...]:
    return (name, year, tuple(sorted(cells.items())), tuple(sorted(urls)))


def _row_signature(row: Row) -> tuple[object, ...]:
    return _signature(row.name, row.year, row.cells, (link.url for link in row.links))


def _match_rows(
    rows: Sequence[Row],
    listings: Sequence[Listing],
    outside: Collection[tuple[object, ...]],
    problems: list[InputError],
) -> dict[int, Row | None]:
    """The row of the region each listing matches, by position; None for a listing another block shows.

    A row no listing matches was edited by hand since the last import: a problem.
    """
    free: dict[tuple[object, ...], list[int]] = {}
    for number, listing in enumerate(listings):
        key = _signature(listing.name, listing.year, listing.cells, (link.url for link in listing.links))
        free.setdefault(key, []).append(number)
    matched: dict[int, Row | None] = {}
    for row in rows:
        candidates = free.get(_row_signature(row))
        if not candidates:
            message = (
                f"row {row.name!r} is not in refs/ as written: import the file first, or take the row out"
            )
            problems.append(InputError(row.source, row.line, message))
            continue
        matched[candidates.pop(0)] = row
    for key, numbers in free.items():
        if key in outside:
            matched.update(dict.fromkeys(numbers))
    return matched


_ITEM_MARKER = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+]|\d+[.)])(?P<space>\s+)")


def _new_item(
    listing: Listing,
    record: Record | None,
    rows: Sequence[Row],
    lines: Sequence[str],
    labels: Mapping[str, str],
    block: ListBlock,
    number: int,
) -> list[str]:
    """A list item for a listing the list does not show yet, in the form of the list's first item.

    The first item is taken as a template and its title, authors, venue and links are replaced by the
    paper's.  What comes out is read back: when it does not give the paper's title, authors and links,
    the item is written in the plain form ``**Title.** *Authors*. Venue. [[label](url)]`` instead.
    """
    title = record.title if record is not None else listing.name
    authors = author_list(record.get("authors")) if record is not None else []
    venue = str(record.get("venue") or "") if record is not None else ""
    links = [
        (labels.get(link.url) or labels.get(f"role:{identify(link.url).role}") or "link", link.url)
        for link in listing.links
    ]
    template = rows[0] if rows else None
    marker = _ITEM_MARKER.match(lines[block.line - 1])
    indent, bullet = (marker.group("indent"), marker.group("marker")) if marker else ("", "-")
    if block.ordered:
        bullet = f"{number}{bullet[-1]}"
    candidates: list[list[str]] = []
    if template is not None and template.title:
        raw = "".join(lines[template.line - 1 : template.last_line]).rstrip("\r\n").split("\n")
        raw = [line.removesuffix("\r") for line in raw]
        year = listing.year or str(record.get("year") or "") if record is not None else listing.year
        candidates.append(_filled(raw, template, title, authors, venue, links, bullet, year))
    joined = ", ".join(escape_text(name) for name in authors)
    plain = (
        f"**{escape_text(title)}.**"
        + (f" *{joined}*." if joined else "")
        + (f" {escape_text(venue)}." if venue else "")
    )
    markup = " ".join(f"[{_link_markup(label, url)}]" for label, url in links)
    candidates.append([f"{indent}{bullet} {plain} {markup}".rstrip()])
    urls = sorted(link.url for link in listing.links)
    for candidate in candidates:
        read = scan_text("\n".join(candidate) + "\n", "item").rows
        # A form that shows no authors (``Name: Title, <ins>Venue</ins>``) is kept without them.
        shown = tuple(authors) if template is None or template.authors or candidate is candidates[-1] else ()
        if len(read) == 1 and (read[0].title, read[0].authors, sorted(x.url for x in read[0].links)) == (
            title,
            shown,
            urls,
        ):
            return candidate
    return candidates[-1]


def _filled(
    raw: list[str],
    template: Row,
    title: str,
    authors: list[str],
    venue: str,
    links: list[tuple[str, str]],
    bullet: str,
    year: str,
) -> list[str]:
    """The template item's lines with the paper's fields in place of its own."""
    text = "\n".join(raw)
    text = _ITEM_MARKER.sub(lambda m: f"{m.group('indent')}{bullet}{m.group('space')}", text, count=1)
    text = text.replace(template.title, escape_text(title), 1)
    if template.authors:
        written = ", ".join(template.authors)
        text = (
            text.replace(written, ", ".join(escape_text(name) for name in authors), 1)
            if written in text
            else text
        )
    if template.venue and template.venue in text:
        text = text.replace(template.venue, escape_text(venue), 1)
    if template.year:
        # The whole date the template shows (``2018.11``), not only the year read from it.
        date = re.compile(rf"(?<![\d.]){re.escape(template.year[:4])}(?:[.\-/]\d{{1,2}})?(?![\d])")
        text = (
            date.sub(year, text, count=1) if year else re.sub(rf",?\s*{date.pattern}\.?", "", text, count=1)
        )
    # The links: the first link group of the template takes the paper's links, the others go.
    groups = list(_LINK_GROUP.finditer(text))
    if groups:
        style = groups[0].group(0)
        new = " ".join(_like(style, label, url) for label, url in links)
        pieces, cursor = [], 0
        for index, group in enumerate(groups):
            pieces.append(text[cursor : group.start()])
            pieces.append(new if index == 0 else "")
            cursor = group.end()
        pieces.append(text[cursor:])
        text = "".join(pieces)
    text = re.sub(r"[ \t]*!\[[^\]]*\]\([^)]*\)", "", text)  # the template's badges are its own
    text = re.sub(r"[ \t]+$", "", text) if not text.endswith("  ") else text
    return text.split("\n")


def _like(style: str, label: str, url: str) -> str:
    """A link written as ``style``, the template's link (``[[pdf](…)],``), with its own label and URL."""
    written = re.sub(r"\([^()\s]*\)", lambda _: f"({_safe_url(url)})", style, count=1)
    return re.sub(r"\[(?!\[)[^\[\]]*\]", lambda _: f"[{escape_text(label)}]", written, count=1)


#: A link as lists write it: ``[[label](url)]``, ``[[label]](url)`` or ``[label](url)``, and its comma.
_LINK_GROUP = re.compile(
    r"\[\[[^\[\]]*\]\([^()\s]*\)\],?|\[\[[^\[\]]*\]\]\([^()\s]*\),?|(?<!!)\[[^\[\]]*\]\([^()\s]*\),?"
)


def _header_for(listings: Sequence[Listing]) -> tuple[str, ...]:
    """Columns for a region with no table yet: the name, the year, then each cell and link column listed."""
    columns: list[str] = ["Name"]
    if any(listing.year for listing in listings):
        columns.append("Year")
    for listing in listings:
        for column in [*listing.cells, *(link.column for link in listing.links)]:
            if column not in columns:
                columns.append(column)
    return tuple(columns)


def _cells_line(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _labels(rows: Iterable[Row]) -> dict[str, str]:
    """The label each link of the file is written with, by URL, and by role for links new to the file."""
    by_url: dict[str, str] = {}
    by_role: dict[LinkRole, Counter[str]] = {}
    for row in rows:
        for link in row.links:
            if link.label and link.label != "text":
                by_url.setdefault(link.url, link.label)
                by_role.setdefault(identify(link.url).role, Counter())[link.label] += 1
    for role, counts in by_role.items():
        by_url.setdefault(f"role:{role}", counts.most_common(1)[0][0])
    return by_url


def _safe_url(url: str) -> str:
    """``url`` as a link target the reader gives back: spaces, parentheses and pipes percent-encoded."""
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("|", "%7C")


def _link_markup(label: str, url: str) -> str:
    """A link the reader gives back as written: brackets in the label escaped, the URL made safe."""
    return f"[{escape_text(label)}]({_safe_url(url)})"


def _table_row(
    header: Sequence[str],
    listing: Listing,
    source: str,
    region: Region,
    problems: list[InputError],
    labels: Mapping[str, str],
    rows: Sequence[Row],
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
    written = [(link.column, link.url) for link in listing.links]
    placed: dict[str, list[str]] = {}
    first_links: list[str] = []
    for (_, url), column in zip(written, place_links(header, written, listing.cells.keys()), strict=True):
        if column == header[0]:
            first_links.append(url)
            continue
        if column not in cells:
            missing(column)
            continue
        found = identify(url, "", column)
        role_label = _LABELS.get(found.role, "Link") if found.usable else "Link"
        label = labels.get(url) or labels.get(f"role:{found.role}") or role_label
        placed.setdefault(column, []).append(_link_markup(label, url))
    for column, links in placed.items():
        cells[column] = ", ".join(links)
    texts = {column: escape_text(text) if column not in placed else text for column, text in cells.items()}
    name = escape_text(listing.name)
    if first_links:
        # The table links its titles (``[**Title**](url)``): the name is the link's label, bold as the
        # table's are.
        bold = any(row.links and row.columns and row.columns[0] == header[0] and row.title for row in rows)
        label = f"**{name}**" if bold else name
        name = " ".join(
            [
                f"[{label}]({_safe_url(first_links[0])})",
                *(_link_markup("Link", url) for url in first_links[1:]),
            ]
        )
    return _cells_line([name, *texts.values()])


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
