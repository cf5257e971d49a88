"""Read a paper list (Markdown) into :class:`Row` objects.

The text is parsed by markdown-it-py (CommonMark with GFM tables), so that what
the specification says is no content is none here: headings inside HTML
comments, fenced code (a BibTeX block), HTML blocks other than tables.  Section
paths come from real headings (the document title, ``#``, is left out).

Papers are named by

* table rows (Markdown or HTML ``<table>``), with any set and order of
  columns: the first column names the work, a ``Year``/``Date`` column gives
  the year as written, cells holding links give links, every other cell is
  kept by its header.  GFM's rules hold: cells beyond the header's count are
  ignored (and reported when they hold text), missing cells are empty.  A
  table none of whose rows links anything and whose header names no title,
  paper or year is no paper table (a legend, a glossary);
* list items and paragraphs, in any of the shapes real lists use, read by
  :mod:`listitem`.  One is a paper when it links a paper (or writes its
  ``arXiv:``/``doi:`` identifier), or marks a title and gives authors, a year
  or a venue; a table of contents, a news line or prose is not.

Nothing is refused for one odd line: a paper the reader cannot fully read is
still a row, with what it lacks in :attr:`Row.missing`, and a line read with a
problem (broken link markup, cells beyond the header) is kept and its problem
reported in :attr:`Scan.problems`.  Only a file that cannot be read at all
(empty, not UTF-8, no paper in it) is an error: :func:`read_list` raises
:class:`InputErrors`.  Text that is clearly mis-encoded (UTF-8 read as cp1252,
``Itâ€™s``) is repaired and the repair kept on the row.

Line numbers count line feeds only, as editors do (a form feed, U+2028 or a
lone carriage return inside a cell does not end a line); a row's line is the
line its item or table row starts on.
"""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import InputError, InputErrors
from ..models import LinkRole
from .identify import badge_text, identify
from .listitem import NEWLINE_RUN, Item, Run, links_of, plain, read_item, split_authors

FENCE = re.compile(r"^ {0,3}(```|~~~)")
YEAR_COLUMNS = ("year", "date")
_TITLE_COLUMNS = re.compile(r"\b(title|paper|papers|publication|article)\b", re.IGNORECASE)
_NAME_COLUMNS = re.compile(r"\b(model|method|name|abbr|abbreviation|short)\b", re.IGNORECASE)
_AUTHOR_COLUMNS = re.compile(r"\bauthors?\b", re.IGNORECASE)
_VENUE_COLUMNS = re.compile(r"\b(venue|conference|journal|published|publication venue)\b", re.IGNORECASE)
_PAPER_HEADER = re.compile(r"\b(title|paper|papers|year|date|venue|arxiv)\b", re.IGNORECASE)
#: ``[TinyThink] Tiny Models Think Big(@Some Lab)``: a bracketed name before a title, a lab after it.
_BRACKET_NAME = re.compile(r"^\[(?P<name>[^\[\]]{1,40})\]\s*(?P<title>.+)$")
_AT_LAB = re.compile(r"\s*\(@[^()]*\)\s*$")
#: Link markup the parser did not take as a link: ``[Paper](https://x`` with its ``)`` missing.
_BROKEN_LINK = re.compile(r"\]\s?\((?:https?:|www\.|\S*\.\S)")
#: News and announcements start with a date or a flag, not with a paper.
_NEWS = re.compile(r"^\W{0,3}(\[?\s*(19|20)\d{2}[./\-]\d|news\b|update\b|🔥|📢|🎉|🚀|✨)", re.IGNORECASE)
_INLINE_TAG = re.compile(r"^<\s*(?P<end>/)?\s*(?P<tag>[a-zA-Z][a-zA-Z0-9]*)(?P<attrs>[^>]*)>$", re.DOTALL)
_HREF = re.compile(r"""\b(href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)

#: A cell that is only a comment: ``[//]: #note`` or ``<!-- note -->``.
_COMMENT_CELL = re.compile(r"\[//\]:\s*#.*|<!--.*-->")
#: A pipe that ends a table cell: one not escaped.
_CELL_PIPE = re.compile(r"(?<!\\)\|")

_NESTED_TARGET = re.compile(r"^\[[^\[\]]*\]\((?P<url>[^()\s]+)\)$")
#: The number a heading may open with, before the link of the paper it names: ``### 1. [Title](…)``.
_HEADING_NUMBER = re.compile(r"\s*(?:\d+[.)]?)?\s*")

_PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


# Links are kept as written, to be judged by :func:`identify.identify`: neither percent-encoded
# nor dropped (a ``javascript:`` link is no paper link, and the checker says so).
_PARSER.normalizeLink = lambda url: url  # type: ignore[method-assign]
_PARSER.validateLink = lambda url: True  # type: ignore[method-assign]


@dataclass(frozen=True)
class RawLink:
    url: str
    label: str
    column: str


@dataclass(frozen=True)
class Repair:
    """Mis-encoded words of a row and what they read once repaired."""

    before: str
    after: str


@dataclass(frozen=True)
class Row:
    """One paper as a list names it, before identification."""

    source: str
    line: int
    section: str
    kind: str  # "table" or "list"
    name: str
    year: str = ""
    cells: dict[str, str] = field(default_factory=dict)
    links: tuple[RawLink, ...] = ()
    #: What the item itself says of the paper (list items, and tables with such columns).
    title: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    repairs: tuple[Repair, ...] = ()
    #: The header of the row's table, in order (empty for list items).
    columns: tuple[str, ...] = ()
    #: The item's author list ends in ``et al.``.
    authors_truncated: bool = False
    #: What a paper item lacks: ``title``, ``authors``, ``paper link``.
    missing: tuple[str, ...] = ()
    #: The last line of the row (an item may go on over several lines); 0 for the row's own line.
    end: int = 0

    @property
    def last_line(self) -> int:
        return max(self.line, self.end)

    @property
    def notes(self) -> tuple[str, ...]:
        """What to tell the user about the row as read."""
        return tuple(f"repaired mis-encoded text {r.before!r} -> {r.after!r}" for r in self.repairs)


@dataclass(frozen=True)
class Table:
    """Where a paper table sits: ``line`` is its header, ``end`` its last row (1-based)."""

    section: str
    line: int
    end: int
    header: tuple[str, ...]
    #: The column alignments of the separator (``---``, ``:---``, ``---:``, ``:---:``), one per column.
    alignments: tuple[str, ...]
    #: The separator row as written, kept when the table is written again.
    separator: str = ""
    #: False for an HTML ``<table>``, which render does not write.
    markdown: bool = True


@dataclass(frozen=True)
class ListBlock:
    """A Markdown list that names papers: its first and last line (1-based) and its item marker."""

    section: str
    line: int
    end: int
    #: ``-``, ``*``, ``+`` for bullets, ``.`` or ``)`` for numbered items.
    marker: str
    ordered: bool


@dataclass(frozen=True)
class LineProblem:
    """A line read with a problem: ``broken-markup`` (link markup the parser could not take as a
    link) or ``ignored-cells`` (text in cells beyond the header, which GFM drops)."""

    kind: str
    error: InputError

    def __str__(self) -> str:
        return str(self.error)


@dataclass(frozen=True)
class Scan:
    """All a list's text says: rows, tables, lists, the section path from each heading on, and odd lines."""

    rows: tuple[Row, ...]
    tables: tuple[Table, ...]
    #: ``(line, section path)`` for every heading, in order.
    headings: tuple[tuple[int, str], ...]
    #: Lines read with a problem; their rows are still read.
    problems: tuple[LineProblem, ...]
    #: ``(first line, last line)`` (1-based) of every block that is no list content: code, HTML.
    opaque: tuple[tuple[int, int], ...] = ()
    #: The lists that name papers, outermost only.
    lists: tuple[ListBlock, ...] = ()

    def section_at(self, line: int) -> str:
        """The section path in force at ``line``."""
        section = ""
        for heading_line, path in self.headings:
            if heading_line > line:
                break
            section = path
        return section


def repair_text(text: str) -> str:
    """Undo mojibake (UTF-8 bytes decoded as cp1252 or latin-1); other text is returned as is."""
    if text.isascii():
        return text
    import ftfy  # imported here: it is only needed when a list is read

    return str(ftfy.fix_encoding(text))


def escape_text(text: str) -> str:
    """Plain text as Markdown that reads back as the same text, on one line, fit for a table cell.

    Escaped: a backslash before punctuation, pipes, brackets, ``*``, backquotes, ``<``, an ``&``
    that would start an entity, and ``_``
    where it could start or end emphasis (``phi-1_5`` keeps its own).
    """
    text = re.sub(r"\s*[\r\n]+\s*", " ", text)
    text = re.sub(r"\\(?=[!-/:-@\[-`{-~])", r"\\\\", text)
    text = re.sub(r"([|\[\]*`<])|&(?=#?\w+;)", lambda m: "\\" + m.group(0), text)
    return re.sub(r"(?<![^\W_])_|_(?![^\W_])", r"\\_", text)


def _runs(children: list[Token]) -> list[Run]:
    """The runs of an inline token's children: text with the emphasis, underline and link it sits in."""
    runs: list[Run] = []
    strong = em = underline = 0
    href = ""
    for child in children:
        kind = child.type
        # The most frequent kinds first: this runs for every token of every item.
        if kind == "text" or kind == "code_inline":
            runs.append(Run(child.content, strong > 0, em > 0, underline > 0, href))
        elif kind == "link_open":
            # An empty target (``[Link]()``) is still a link, a placeholder: a space keeps it one.
            href = _link_target(str(child.attrs.get("href", ""))) or " "
        elif kind == "link_close":
            href = ""
        elif kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong -= 1
        elif kind == "em_open":
            em += 1
        elif kind == "em_close":
            em -= 1
        elif kind == "softbreak" or kind == "hardbreak":
            runs.append(NEWLINE_RUN)
        elif kind == "image":
            runs.append(Run("", href=href, image=str(child.attrs.get("src", ""))))
        elif kind == "html_inline":
            tag = _INLINE_TAG.match(child.content.strip())
            if not tag:
                continue
            name, closing = tag.group("tag").lower(), bool(tag.group("end"))
            step = -1 if closing else 1
            if name in ("u", "ins"):
                underline = max(0, underline + step)
            elif name in ("b", "strong"):
                strong = max(0, strong + step)
            elif name in ("i", "em"):
                em = max(0, em + step)
            elif name == "br":
                runs.append(NEWLINE_RUN)
            elif name == "a":
                href = "" if closing else _attribute(tag.group("attrs"))
            elif name == "img":
                runs.append(Run("", href=href, image=_attribute(tag.group("attrs"))))
    return runs


def _nested_link(href: str) -> str:
    """The target of link markup written inside a link's target (``[[Paper]([url1](url2))]``), else ''."""
    found = _NESTED_TARGET.match(unquote(href))
    return found.group("url") if found else ""


def _link_target(href: str) -> str:
    return _nested_link(href) or href


def _attribute(attrs: str) -> str:
    found = _HREF.search(attrs)
    return next((group for group in found.groups()[1:] if group is not None), "") if found else ""


@dataclass(frozen=True)
class _Cell:
    """A table cell as runs, with the parser's tokens they came from (none for HTML tables)."""

    runs: list[Run]
    children: list[Token]


@dataclass
class _HtmlCell:
    header: bool
    runs: list[Run] = field(default_factory=list)


class _HtmlTable(HTMLParser):
    """The rows of an HTML ``<table>`` as runs per cell, with the offset of each row's line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[tuple[int, list[_HtmlCell]]] = []
        self.cell: _HtmlCell | None = None
        self.style = {"strong": 0, "em": 0, "underline": 0}
        self.href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        if tag == "tr":
            self.rows.append((self.getpos()[0] - 1, []))
        elif tag in ("td", "th") and self.rows:
            self.cell = _HtmlCell(tag == "th")
            self.rows[-1][1].append(self.cell)
        elif self.cell is None:
            return
        elif tag in ("b", "strong", "em", "i", "u", "ins"):
            self.style[_STYLE[tag]] += 1
        elif tag == "a":
            self.href = values.get("href", "")
        elif tag == "br":
            self.cell.runs.append(NEWLINE_RUN)
        elif tag == "img":
            self.cell.runs.append(Run("", href=self.href, image=values.get("src", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.cell = None
        elif tag in _STYLE:
            self.style[_STYLE[tag]] = max(0, self.style[_STYLE[tag]] - 1)
        elif tag == "a":
            self.href = ""

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.runs.append(
                Run(
                    data,
                    self.style["strong"] > 0,
                    self.style["em"] > 0,
                    self.style["underline"] > 0,
                    self.href,
                )
            )


_STYLE = {"b": "strong", "strong": "strong", "em": "em", "i": "em", "u": "underline", "ins": "underline"}


class _Reader:
    def __init__(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        self.rows: list[Row] = []
        self.problems: list[LineProblem] = []
        self.levels: list[tuple[int, str]] = []
        #: The section path of the headings read so far (the document title, ``#``, left out).
        self.section = ""
        self.tables: list[Table] = []
        self.sections: list[tuple[int, str]] = []
        self.opaque: list[tuple[int, int]] = []
        self.lists: list[ListBlock] = []
        #: Open lists: (open token, rows before it); open items: their last line.
        self.open_lists: list[tuple[Token, int]] = []
        self.item_ends: list[int] = []

    def problem(self, kind: str, line: int, message: str) -> None:
        self.problems.append(LineProblem(kind, InputError(self.source, line, message)))

    def read(self, tokens: list[Token]) -> None:
        index = 0
        in_item = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "heading_open" and token.map:
                level = int(token.tag[1])
                title = tokens[index + 1].content.strip()
                # Some lists give each paper a heading of its own (``### 1. [Title](arxiv…)``): an
                # item of the section around it, which ends the headings below its level.
                paper = level > 1 and _links_a_paper(tokens[index + 1])
                self.levels = [h for h in self.levels if h[0] < level] + ([] if paper else [(level, title)])
                self.section = " > ".join(name for depth, name in self.levels if depth > 1)
                self.sections.append((token.map[0] + 1, self.section))
                if paper:
                    self._read_item(token.map[0] + 1, tokens[index + 1], False, token.map[1])
            elif kind == "table_open":
                index = self._read_table(tokens, index)
                continue
            elif kind in ("fence", "code_block", "html_block") and token.map:
                self.opaque.append((token.map[0] + 1, token.map[1]))
                if kind == "html_block" and re.search(r"<table\b", token.content, re.IGNORECASE):
                    self._read_html_table(token)
            elif kind in ("bullet_list_open", "ordered_list_open"):
                self.open_lists.append((token, len(self.rows)))
            elif kind in ("bullet_list_close", "ordered_list_close"):
                self._close_list(*self.open_lists.pop())
            elif kind == "list_item_open":
                in_item += 1
                self.item_ends.append((token.map or [0, 0])[1])
            elif kind == "list_item_close":
                in_item -= 1
                self.item_ends.pop()
            elif kind == "paragraph_open" and token.map and tokens[index + 1].type == "inline":
                end = self.item_ends[-1] if self.item_ends else token.map[1]
                self._read_item(token.map[0] + 1, tokens[index + 1], in_item > 0, end)
            index += 1

    # Tables -------------------------------------------------------------------------------

    def _read_table(self, tokens: list[Token], index: int) -> int:
        table = tokens[index]
        start = (table.map or [0, 0])[0]
        header_runs: list[list[Run]] = []
        alignments: list[str] = []
        rows: list[tuple[int, list[_Cell]]] = []
        current: list[_Cell] | None = None
        index += 1
        while tokens[index].type != "table_close":
            token = tokens[index]
            if token.type == "tr_open":
                current = []
                if token.map and token.map[0] != start:
                    rows.append((token.map[0] + 1, current))
            elif token.type == "th_open":
                style = str(token.attrs.get("style", ""))
                align = style.removeprefix("text-align:")
                alignments.append({"left": ":---", "right": "---:", "center": ":---:"}.get(align, "---"))
            elif token.type == "inline" and current is not None:
                cell = _Cell(_runs(token.children or []), token.children or [])
                if rows:
                    current.append(cell)
                else:
                    header_runs.append(cell.runs)
            index += 1
        end = (table.map or [0, 0])[1]
        header = [plain(runs) for runs in header_runs]
        separator = self.lines[start + 1] if start + 1 < len(self.lines) else ""
        paper_table = _PAPER_HEADER.search(" ".join(header)) is not None or any(
            _usable_links(cells) for _, cells in rows
        )
        self.tables.append(
            Table(self.section, start + 1, end, tuple(header), tuple(alignments), separator.strip())
        )
        if paper_table:
            for line, cells in rows:
                self._read_table_row(line, header, cells, self._extra_cells(line, len(header)))
        return index + 1

    def _extra_cells(self, line: int, count: int) -> list[str]:
        """Text in cells beyond the header's ``count`` on ``line``, which GFM ignores."""
        row = self.lines[line - 1] if line - 1 < len(self.lines) else ""
        extra = split_cells(row)[count:]
        return [cell for cell in extra if cell and not _COMMENT_CELL.fullmatch(cell)]

    def _read_html_table(self, token: Token) -> None:
        parser = _HtmlTable()
        parser.feed(token.content)
        parser.close()
        first = (token.map or [0, 0])[0] + 1
        rows = [(first + offset, cells) for offset, cells in parser.rows if cells]
        if not rows:
            return
        header: list[str] = []
        if all(cell.header for cell in rows[0][1]):
            header = [plain(cell.runs) for cell in rows[0][1]]
            rows = rows[1:]
        width = max([len(header), *(len(cells) for _, cells in rows)])
        header += [f"Column {n}" for n in range(len(header) + 1, width + 1)]
        self.tables.append(Table(self.section, first, (token.map or [0, 0])[1], tuple(header), (), "", False))
        for line, cells in rows:
            self._read_table_row(line, header, [_Cell(cell.runs, []) for cell in cells], [])

    def _read_table_row(self, line: int, header: list[str], written: list[_Cell], extra: list[str]) -> None:
        if extra:
            self.problem(
                "ignored-cells",
                line,
                f"{len(extra)} cell(s) beyond the header's {len(header)} ignored: {extra[0]}",
            )
        written = (written + [_Cell([], []) for _ in header])[: len(header)]
        cells = [cell.runs for cell in written]
        if not any(plain(runs) or links_of(runs) for runs in cells):
            return
        repairs: list[Repair] = []
        year, others = "", {}
        links: list[RawLink] = []
        item = Item()
        for position, (column, cell) in enumerate(zip(header, written, strict=True)):
            runs = _repaired(cell.runs, repairs)
            self._check_markup(line, runs, column, cell.children)
            found = links_of(runs)
            links.extend(RawLink(link.url, link.label, column) for link in found)
            text = plain(runs)
            if position == 0:
                item = _first_cell(column, runs)
                continue
            if _AUTHOR_COLUMNS.search(column) and text:
                item.authors, item.authors_truncated = split_authors(text)
            elif _VENUE_COLUMNS.search(column) and text and not item.venue:
                item.venue = text
            elif (
                _NAME_COLUMNS.search(column)
                and text.strip("-\u2013 ")
                and not found
                and not item.name
                and item.title
            ):
                item.name = text
            if found:
                continue
            if column.lower() in YEAR_COLUMNS:
                year = text
            elif text and text != "-":
                others[column] = text
        name = (
            item.name
            or item.title
            or plain(cells[0])
            or next((link.label for link in links if link.label), "")
        )
        name = name or (links[0].url if links else "")
        if not name:
            return
        missing = tuple(
            what
            for what, present in (("title", item.title), ("paper link", _names_paper(links)))
            if item.title or _TITLE_COLUMNS.search(header[0])
            if not present
        )
        self.rows.append(
            Row(
                self.source,
                line,
                self.section,
                "table",
                name,
                year,
                others,
                tuple(links),
                title=item.title,
                authors=item.authors,
                venue=item.venue,
                repairs=tuple(repairs),
                columns=tuple(header),
                authors_truncated=item.authors_truncated,
                missing=missing,
            )
        )

    # Items ---------------------------------------------------------------------------------

    def _close_list(self, opening: Token, rows_before: int) -> None:
        if self.open_lists or len(self.rows) == rows_before or not opening.map:
            return  # a nested list, or one that names no paper
        start, end = opening.map
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        ordered = opening.type == "ordered_list_open"
        self.lists.append(ListBlock(self.section, start + 1, end, opening.markup or "-", ordered))

    def _last_line(self, first: int, end: int) -> int:
        """The last non-blank line of an item running from line ``first`` to ``end`` (exclusive, 0-based)."""
        while end > first and not self.lines[end - 1].strip():
            end -= 1
        return end

    def _read_item(self, line: int, inline: Token, listed: bool, end: int) -> None:
        repairs: list[Repair] = []
        runs = _repaired(_runs(inline.children or []), repairs)
        item = read_item(runs)
        text = plain(runs)
        links = [RawLink(link.url, link.label, "") for link in item.links]
        # Outside a list, a link whose host says nothing ("[link](…)") does not make prose a paper.
        identified = _names_paper(links) if listed else any(identify(x.url).identifiers for x in links)
        marked = item.marked_title and bool(item.authors or item.year)
        # Outside a list, prose is the rule: a paragraph is a work when it opens with its title and links it.
        opens = text.lstrip('*_"“[ ').startswith(item.title[:20]) and any(
            identify(x.url).usable for x in links
        )
        if not identified and (not marked or _NEWS.match(text) or not (listed or opens)):
            return
        self._check_markup(line, runs, "", inline.children or [])
        missing = tuple(
            what
            for what, present in (
                ("title", item.title),
                ("authors", item.authors),
                ("paper link", identified),
            )
            if not present
        )
        title = item.title or ""
        name = item.name or title or text[:120] or _link_name(runs, links)
        self.rows.append(
            Row(
                self.source,
                line,
                self.section,
                "list",
                name,
                item.year,
                {},
                tuple(links),
                title=title,
                authors=item.authors,
                venue=item.venue,
                repairs=tuple(repairs),
                authors_truncated=item.authors_truncated,
                missing=missing,
                end=self._last_line(line, end),
            )
        )

    def _check_markup(self, line: int, runs: list[Run], column: str, children: list[Token]) -> None:
        loose = "".join([run.text for run in runs if not run.href])
        where = f" in column {column!r}" if column else ""
        if _BROKEN_LINK.search(loose):
            self.problem(
                "broken-markup", line, f"broken link markup{where}: {_printable(loose.strip())[:200]}"
            )
        for child in children:
            target = str(child.attrs.get("href", "")) if child.type == "link_open" else ""
            if target and _nested_link(target):
                self.problem(
                    "broken-markup",
                    line,
                    f"link markup inside a link target{where}: {_printable(unquote(target))}",
                )


def _links_a_paper(inline: Token) -> bool:
    """Whether a heading opens with a link to a paper, after its number if any: ``1. [Title](arxiv…)``.

    A heading that only mentions a paper (``News: accepted at TMLR, [here](…)``) names a section.
    """
    children = inline.children or []
    opening = next(
        (child for child in children if child.type != "text" or not _HEADING_NUMBER.fullmatch(child.content)),
        None,
    )
    return (
        opening is not None
        and opening.type == "link_open"
        and bool(identify(str(opening.attrs.get("href", ""))).identifiers)
    )


def _link_name(runs: list[Run], links: list[RawLink]) -> str:
    """A name for an item that is only links and badges: a label, a badge's text, else the first URL."""
    badges = [text for run in runs if run.image and (text := badge_text(run.image))]
    return next((link.label for link in links if link.label), "") or " ".join(badges) or links[0].url


def _first_cell(column: str, runs: list[Run]) -> Item:
    """The first cell of a row: a name, or a title (``[**Title**](url)``, ``Title<br>Authors``)."""
    item = read_item(runs)
    text = plain(runs)
    lines = [plain(part) for part in _split_at_breaks(runs)]
    if _TITLE_COLUMNS.search(column) or (item.marked_title and len(item.title.split()) >= 4):
        title = item.title if item.marked_title else lines[0] if lines else text
        bracket = _BRACKET_NAME.match(title)
        if bracket:
            item.name, title = bracket.group("name").strip(), bracket.group("title")
        item.title = _AT_LAB.sub("", title).strip()
        if len(lines) > 1 and not item.authors:
            item.authors, item.authors_truncated = split_authors(" ".join(lines[1:]))
        return item
    return Item()


def _split_at_breaks(runs: list[Run]) -> list[list[Run]]:
    parts: list[list[Run]] = [[]]
    for run in runs:
        if run.newline:
            parts.append([])
        else:
            parts[-1].append(run)
    return [part for part in parts if plain(part)]


def _names_paper(links: list[RawLink]) -> bool:
    for link in links:
        found = identify(link.url, link.label, link.column)
        if found.usable and (found.identifiers or found.role == LinkRole.PAPER):
            return True
    return False


def _usable_links(cells: list[_Cell]) -> bool:
    """Whether a row links anything, or meant to (link markup left broken)."""
    return any(
        _BROKEN_LINK.search(plain(cell.runs))
        or any(identify(link.url).usable for link in links_of(cell.runs))
        for cell in cells
    )


def _repaired(runs: list[Run], repairs: list[Repair]) -> list[Run]:
    if "".join([run.text for run in runs]).isascii():
        return runs  # nothing to repair, as in most lists
    out = []
    for run in runs:
        fixed = repair_text(run.text)
        if fixed != run.text:
            repairs.append(_repair(run.text, fixed))
            run = Run(fixed, run.strong, run.em, run.underline, run.href, run.newline, run.image)
        out.append(run)
    return out


def _repair(text: str, fixed: str) -> Repair:
    """What a repair changed: the words, or the span when no word is left on one side."""
    before = " ".join(w for w in text.split() if w not in fixed.split())
    after = " ".join(w for w in fixed.split() if w not in text.split())
    if not before or not after:
        # The repair made or removed a space ('Â ' -> no-break space): show the span.
        start = _same_run(text, fixed)
        end = _same_run(text[start:][::-1], fixed[start:][::-1])
        before, after = text[start : len(text) - end], fixed[start : len(fixed) - end]
    return Repair(before, after)


def _printable(text: str) -> str:
    return "".join(char if char.isprintable() else "?" for char in text)


def split_cells(line: str) -> list[str]:
    """The cells of a table line as GFM splits them: at every pipe that is not escaped."""
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [cell.strip() for cell in _CELL_PIPE.split(body)]


def _same_run(one: str, other: str) -> int:
    """How many characters ``one`` and ``other`` share at their start."""
    return next(
        (i for i, (a, b) in enumerate(zip(one, other, strict=False)) if a != b), min(len(one), len(other))
    )


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of a list as editors and ``file:line`` count them (line N is item N - 1).

    Only LF ends a line: str.splitlines() would also split at form feeds and
    U+2028 inside a cell, breaking the row and every later line number.  Every
    reader of a list's lines uses this, so that their line numbers agree.
    """
    if not keepends:
        return [line.removesuffix("\r") for line in text.split("\n")]
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1].removesuffix("\n")
    return lines if lines[-1] else lines[:-1]


def _parseable(text: str) -> str:
    """``text`` with line feeds as its only line ends, so that the parser's lines are the editor's.

    CommonMark ends a line at a lone CR too; here it is a space, as in a cell.
    """
    return re.sub(r"\r(?!\n)", " ", text.removeprefix("\ufeff"))


@contextlib.contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Pause the cycle collector while a list is read.

    Reading makes no reference cycles, but the parser's tokens and the rows are
    hundreds of thousands of young objects: the collector would walk them all
    again and again for nothing (a fifth of the reading time at 5,000 items).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan_text(text: str, source: str) -> Scan:
    """Everything the reader finds in one list's text, lines read with a problem included."""
    reader = _Reader(source, split_lines(text.removeprefix("\ufeff")))
    with _cycle_collection_paused():
        reader.read(_PARSER.parse(_parseable(text)))
    return Scan(
        tuple(reader.rows),
        tuple(reader.tables),
        tuple(reader.sections),
        tuple(reader.problems),
        tuple(reader.opaque),
        tuple(reader.lists),
    )


def nothing_read(text: str, source: str) -> InputError:
    """The error for a list in which no paper row was found."""
    if not text.strip():
        return InputError(source, 1, "the file is empty")
    return InputError(source, 1, "no paper table or paper list found")


def read_scan(text: str, source: str) -> Scan:
    """What one list's text says; raises :class:`InputErrors` when it names no paper at all."""
    scan = scan_text(text, source)
    if not scan.rows:
        raise InputErrors([nothing_read(text, source)])
    return scan


def read_text(text: str, source: str) -> list[Row]:
    """Rows of one list's text; raises :class:`InputErrors` when the text names no paper at all."""
    return list(read_scan(text, source).rows)


def read_document(path: Path, source: str) -> str:
    """The text of the list file at ``path``; raises :class:`InputErrors` if unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputErrors([InputError(source, 0, f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputErrors([InputError(source, line, f"not UTF-8 (byte 0x{raw[exc.start]:02x})")]) from None
    return text.removeprefix("\ufeff")


def read_list(path: Path, source: str) -> list[Row]:
    """Rows of the list file at ``path``; ``source`` is the name its listings record."""
    return read_text(read_document(path, source), source)
