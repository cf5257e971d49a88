"""Read a survey paper list (markdown) into :class:`Row` objects.

Two forms name papers:

* tables, with any set and order of columns; the first column names the
  model or method, a ``Year``/``Date`` column gives the year as written, cells
  holding links give links, every other cell is kept by its header;
* numbered lists in the form
  ``1. **Title.** *Authors*. Venue. [[pdf]](url) [[code]](url)``.

Headings give each row its section path (the document title, ``#``, is left
out).  Fenced code blocks are skipped, and so are HTML comments inside a row
(``<!-- slmbib: ignore ... -->`` directives are read by the checker, not here).
Text that is clearly mis-encoded (UTF-8 read as cp1252, ``Itâ€™s``) is
repaired and the repair kept on the row.

:func:`scan_text` gives everything the reader learnt (rows, tables with their
headers and extent, headings by line) together with the unreadable lines;
:func:`read_text` and :func:`read_list` give the rows and raise instead.

Problems come in two kinds.  *Errors* (a table row with cells missing, a link
whose markup is broken, a file that is empty or not UTF-8) mean the list
cannot be read faithfully: :func:`read_list` raises :class:`ListErrors` with
every such line, one per problem, and the import writes nothing.  *Notes*
(a repaired text, a placeholder link) ride on the row and are reported while
the row is still read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, SlmbibError

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_NUMBERED = re.compile(r"^\s*\d+\.\s+(?P<body>.*)$")
# [[pdf]](url) in lists, [Link](url) in tables; an image ![..](..) is not a link.  A label
# stops at the next bracket either way, so that a line of many "[" is matched in linear time.
_LINK = re.compile(r"(?<!!)\[(?:\[(?P<inner>[^\]\[]*)\]|(?P<label>[^\]\[]*))\]\((?P<url>[^()\s]*)\)")
_OPEN_LINK = re.compile(r"(?<!!)\[[^\]\[]*\]\]?\(")
_LIST_ITEM = re.compile(r"^\*\*(?P<title>.+?)\*\*\s*(?:\*(?P<authors>[^*]+)\*)?\s*\.?\s*(?P<rest>.*)$")
YEAR_COLUMNS = ("year", "date")
_COMMENT = re.compile(r"<!--.*?-->")


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
    #: Numbered-list items carry the paper's title, authors and venue.
    title: str = ""
    authors: tuple[str, ...] = ()
    venue: str = ""
    repairs: tuple[Repair, ...] = ()
    #: The header of the row's table, in order (empty for list items).
    columns: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class Scan:
    """All a list's text says: rows, tables, the section path from each heading on, and unreadable lines."""

    rows: tuple[Row, ...]
    tables: tuple[Table, ...]
    #: ``(line, section path)`` for every heading, in order.
    headings: tuple[tuple[int, str], ...]
    errors: tuple[InputError, ...]

    def section_at(self, line: int) -> str:
        """The section path in force at ``line``."""
        section = ""
        for heading_line, path in self.headings:
            if heading_line > line:
                break
            section = path
        return section


class ListErrors(SlmbibError):
    """Every line of a list that cannot be read; ``str()`` has one line per problem."""

    def __init__(self, problems: list[InputError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def repair_text(text: str) -> str:
    """Undo mojibake (UTF-8 bytes decoded as cp1252 or latin-1); other text is returned as is."""
    import ftfy  # imported here: it is only needed when a list is read

    return str(ftfy.fix_encoding(text))


def split_cells(line: str) -> list[str]:
    """The cells of a table line; pipes inside links or backquotes do not split."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells: list[str] = []
    current: list[str] = []
    depth, code = 0, False
    for index, char in enumerate(body):
        if char == "`":
            code = not code
        elif char in "[(" and not code:
            depth += 1
        elif char in "])" and not code:
            depth = max(0, depth - 1)
        if char == "|" and depth == 0 and not code and (index == 0 or body[index - 1] != "\\"):
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    cells.append("".join(current).strip())
    return cells


def _links(text: str, column: str) -> tuple[tuple[RawLink, ...], bool]:
    """Links in ``text`` and whether some link markup was left unclosed."""
    links = tuple(
        RawLink(url=m.group("url"), label=(m.group("inner") or m.group("label") or "").strip(), column=column)
        for m in _LINK.finditer(text)
    )
    broken = len(_OPEN_LINK.findall(text)) > len(links)
    return links, broken


def _author_name(text: str) -> str:
    """An author as listed, without the sentence's closing period (``*A, B.*``); ``J.`` keeps its own."""
    name = text.strip()
    if name.endswith(".") and not re.search(r"(\b[A-Z]|\bJr|\bSr)\.$", name):
        name = name[:-1].rstrip()
    return name


def _plain(text: str) -> str:
    """Cell text without link markup or emphasis."""
    text = _LINK.sub(lambda m: m.group("inner") or m.group("label") or "", text)
    return re.sub(r"[*_`]+", "", text).strip()


def _alignment(separator_cell: str) -> str:
    """A separator cell in its shortest form: ``---``, ``:---``, ``---:`` or ``:---:``."""
    cell = separator_cell.strip()
    return (
        (":" if cell.startswith(":") else "") + "---" + (":" if cell.endswith(":") and len(cell) > 1 else "")
    )


class _Reader:
    def __init__(self, source: str, lines: list[str]) -> None:
        self.source = source
        self.lines = lines
        self.rows: list[Row] = []
        self.errors: list[InputError] = []
        self.headings: list[tuple[int, str]] = []
        self.tables: list[Table] = []
        self.sections: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(InputError(self.source, line, message))

    @property
    def section(self) -> str:
        return " > ".join(title for level, title in self.headings if level > 1)

    def read(self) -> None:
        index, fenced = 0, False
        while index < len(self.lines):
            line = self.lines[index]
            if FENCE.match(line):
                fenced = not fenced
            elif fenced:
                pass
            elif heading := _HEADING.match(line):
                level = len(heading.group(1))
                self.headings = [h for h in self.headings if h[0] < level] + [(level, heading.group(2))]
                self.sections.append((index + 1, self.section))
            elif self._starts_table(index):
                index = self._read_table(index)
                continue
            elif numbered := _NUMBERED.match(line):
                self._read_item(index + 1, numbered.group("body"))
            index += 1

    def _starts_table(self, index: int) -> bool:
        return (
            self.lines[index].lstrip().startswith("|")
            and index + 1 < len(self.lines)
            and bool(_TABLE_SEPARATOR.match(self.lines[index + 1]))
        )

    def _read_table(self, index: int) -> int:
        start = index
        header = [_plain(cell) for cell in split_cells(_COMMENT.sub("", self.lines[index]))]
        while header and not header[-1]:
            header.pop()
        alignments = [_alignment(cell) for cell in split_cells(self.lines[index + 1])]
        alignments = (alignments + ["---"] * len(header))[: len(header)]
        index += 2
        while index < len(self.lines) and self.lines[index].strip().startswith("|"):
            self._read_table_row(index + 1, header, split_cells(_COMMENT.sub("", self.lines[index])))
            index += 1
        self.tables.append(Table(self.section, start + 1, index, tuple(header), tuple(alignments)))
        return index

    def _read_table_row(self, line_no: int, header: list[str], cells: list[str]) -> None:
        while len(cells) > len(header) and not cells[-1]:
            cells.pop()
        if len(cells) != len(header):
            self.error(line_no, f"table row has {len(cells)} cells, its header has {len(header)}")
            return
        if not any(cells):
            return
        year, others = "", {}
        links: list[RawLink] = []
        repairs: list[Repair] = []
        for column, raw in zip(header[1:], cells[1:], strict=True):
            text = self._repaired(raw, repairs)
            found, broken = _links(text, column)
            if broken:
                self.error(line_no, f"broken link markup in column {column!r}: {raw}")
                return
            links.extend(found)
            if found:
                continue
            if column.lower() in YEAR_COLUMNS:
                year = _plain(text)
            elif _plain(text) and _plain(text) != "-":
                others[column] = _plain(text)
        name = _plain(self._repaired(cells[0], repairs))
        if not name:
            self.error(line_no, f"table row has no {header[0] or 'name'}")
            return
        self.rows.append(
            Row(
                self.source,
                line_no,
                self.section,
                "table",
                name,
                year,
                others,
                tuple(links),
                repairs=tuple(repairs),
                columns=tuple(header),
            )
        )

    def _read_item(self, line_no: int, body: str) -> None:
        repairs: list[Repair] = []
        body = self._repaired(_COMMENT.sub("", body), repairs)
        links, broken = _links(body, "")
        if not links and not broken:
            return  # a numbered list that names no paper (instructions, notes)
        if broken:
            self.error(line_no, f"broken link markup: {body.strip()}")
            return
        item = _LIST_ITEM.match(body.strip())
        if not item:
            self.error(line_no, "numbered item is not '**Title.** *Authors*. Venue. [[pdf]](url)'")
            return
        title = item.group("title").strip().rstrip(".").strip()
        if not title:
            self.error(line_no, "numbered item has an empty title")
            return
        authors = tuple(
            _author_name(name) for name in re.split(r",|\band\b", item.group("authors") or "") if name.strip()
        )
        venue_text = _LINK.split(item.group("rest"))[0]
        venue = venue_text.strip().strip(".,").strip()
        year_found = re.search(r"\b(19|20)\d{2}(\.\d{1,2})?\b", venue)
        self.rows.append(
            Row(
                self.source,
                line_no,
                self.section,
                "list",
                title,
                year_found.group(0) if year_found else "",
                {},
                links,
                title=title,
                authors=authors,
                venue=venue,
                repairs=tuple(repairs),
            )
        )

    @staticmethod
    def _repaired(text: str, repairs: list[Repair]) -> str:
        fixed = repair_text(text)
        if fixed != text:
            before = " ".join(w for w in text.split() if w not in fixed.split())
            after = " ".join(w for w in fixed.split() if w not in text.split())
            if not before or not after:
                # The repair made or removed a space ('Â ' -> no-break space): show the span.
                start = _same_run(text, fixed)
                end = _same_run(text[start:][::-1], fixed[start:][::-1])
                before, after = text[start : len(text) - end], fixed[start : len(fixed) - end]
            repairs.append(Repair(before, after))
        return fixed


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


def scan_text(text: str, source: str) -> Scan:
    """Everything the reader finds in one list's text, unreadable lines included."""
    reader = _Reader(source, split_lines(text))
    reader.read()
    return Scan(tuple(reader.rows), tuple(reader.tables), tuple(reader.sections), tuple(reader.errors))


def nothing_read(text: str, source: str) -> InputError:
    """The error for a list in which no paper row was found."""
    if not text.strip():
        return InputError(source, 1, "the file is empty")
    return InputError(source, 1, "no paper table or numbered paper list found")


def read_text(text: str, source: str) -> list[Row]:
    """Rows of one list's text; raises :class:`ListErrors` listing every unreadable line."""
    scan = scan_text(text, source)
    if scan.errors:
        raise ListErrors(list(scan.errors))
    if not scan.rows:
        raise ListErrors([nothing_read(text, source)])
    return list(scan.rows)


def read_document(path: Path, source: str) -> str:
    """The text of the list file at ``path``; raises :class:`ListErrors` if unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ListErrors([InputError(source, 0, f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ListErrors([InputError(source, line, f"not UTF-8 (byte 0x{raw[exc.start]:02x})")]) from None
    return text.removeprefix("\ufeff")


def read_list(path: Path, source: str) -> list[Row]:
    """Rows of the list file at ``path``; ``source`` is the name its listings record."""
    return read_text(read_document(path, source), source)
