"""``slmbib import FILE.bib``: an existing bibliography merged into ``refs/``.

Contract:

* Files are read by BibTeX's own rules (every brace counted, ``@string``
  macros and ``#`` joined, the first of two same-named fields kept, the
  month macros predefined) and every entry checked before ``refs/`` is
  touched. A file that cannot be read at all (not UTF-8, unreadable, or
  holding no entry that could be read) stops the import before anything is
  written, as does a citation key another record already pinned. Within a
  readable file, an entry BibTeX itself could not read (a syntax error, a
  key bibtex, biber or Zotero would mishandle, a key used twice) is skipped
  and reported as ``file:line: message``; the rest is imported. What was
  read with a warning (an undefined ``@string``, a field given twice, a bare
  ``&``, ``%`` or ``#`` written escaped) is reported the same way.
* Every field is kept: the entry's type and all its fields, in order, as
  LaTeX (``bib_type``, ``bib_fields``), and the file's ``@preamble`` with
  each entry (``bib_preamble``).  The fields slmbib itself reasons about
  (title, authors, year, venue, DOI, arXiv id, ...) are also read into the
  record, with provenance ``bib``.  The exporter writes the entry back from
  these; see :mod:`slmbib.writing.bibtex`.
* Entries become records merged into ``refs/`` by :mod:`merge`'s identity
  rules (identifiers, title, citation key).  An entry's key becomes the
  record's pinned key unless the record already has one; then it is kept as
  an alias and reported as ``old key -> kept key``.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import BibSyntaxError, InputError, InputErrors, KeyClashError, printable
from ..identity import arxiv_id_in_text, is_preprint_venue, new_record_id, parse_arxiv_id, year_in
from ..latex import clean
from ..merge import merge_records
from ..models import Link, Provenance, Record, Value
from ..names import split_names
from ..store import RecordChanges, load_records, locked, save_records
from ..writing.bibtex import VERBATIM_FIELDS
from ..writing.citation import MONTHS, safe_doi
from ..writing.keys import check_key, check_pinned
from .identify import identify

logger = logging.getLogger(__name__)

_ENTRY_TYPES = {
    "article": "article",
    "inproceedings": "inproceedings",
    "conference": "inproceedings",
    "online": "online",
    "electronic": "online",
    "www": "online",
    "webpage": "online",
}
# Fields copied as they are, with the record field they become.
_TEXT_FIELDS = {
    "title": "title",
    "journal": "journal",
    "journaltitle": "journal",
    "booktitle": "booktitle",
    "volume": "volume",
    "number": "number",
    "pages": "pages",
    "publisher": "publisher",
    "howpublished": "venue",
    "institution": "venue",
    "school": "venue",
}


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


@dataclass
class BibImportSummary(RecordChanges):
    entries_per_file: dict[str, int] = field(default_factory=dict)
    #: (old key, kept key) for entry keys that became aliases of an existing record's key.
    rekeyed: list[tuple[str, str]] = field(default_factory=list)
    #: ``file:line: message`` for each entry skipped or read with a warning.
    reported: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [printable(problem) for problem in self.reported]
        out += [f"{source}: {_entries(count)} read" for source, count in self.entries_per_file.items()]
        out.append(self.changes_line())
        out.extend(f"merged: {old} -> {kept}" for old, kept in self.rekeyed)
        return out


def _read(path: Path) -> tuple[str, list[InputError]]:
    shown = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return "", [InputError(shown, 0, f"cannot read: {exc.strerror}")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return "", [InputError(shown, line, "not UTF-8")]


# -- BibTeX's own syntax ----------------------------------------------------------------------------
#
# bibtexparser 2.1 reads ``\{`` as an escaped brace, so ``{x \\{ y}}`` ends its value early and the
# rest of the entry is silently dropped; it keeps both of two fields that differ only in case, and
# leaves ``#`` concatenations unresolved.  BibTeX counts every brace, keeps the first of two fields
# and joins ``#`` pieces; these are the rules a user's bibliography was written against (bibtex.web,
# "Reading the database file"; biber follows them), so entries are read here by those rules.

_IDENTIFIER = re.compile(r"[^\s\"#%'(),={}]+")
_SPACE = re.compile(r"\s*")
#: A field's name and its ``=``: the name is an identifier as above.
_FIELD_NAME = re.compile(rf"({_IDENTIFIER.pattern})\s*=")
_DIGITS = re.compile(r"\d+")
#: What ends or nests a value closed by each character: its braces and that character.
_STOPS: dict[str, re.Pattern[str]] = {}
#: BibTeX's predefined macros (plain.bst's): the months, by their English names.
_MONTH_MACROS = dict(
    zip(
        MONTHS,
        (
            *("January", "February", "March", "April", "May", "June", "July", "August", "September"),
            *("October", "November", "December"),
        ),
        strict=True,
    )
)


@dataclass
class BibEntry:
    """One entry as BibTeX reads it: every field once (the first), macros expanded, ``#`` joined."""

    entry_type: str
    key: str
    offset: int
    #: (name as written, value) in the file's order.
    fields: list[tuple[str, str]]
    #: (offset, message) of what was read with a warning: an undefined macro, a repeated field.
    warnings: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class BibFile:
    entries: list[BibEntry] = field(default_factory=list)
    preambles: list[str] = field(default_factory=list)
    #: (offset, message) for each block skipped.
    errors: list[tuple[int, str]] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.macros: dict[str, str] = {}

    def space(self) -> None:
        found = _SPACE.match(self.text, self.at)
        self.at = found.end() if found else self.at

    def peek(self) -> str:
        self.space()
        return self.text[self.at : self.at + 1]

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            shown = repr(char) if char else "the end of the file"
            raise BibSyntaxError(self.at, f"expected {what}, found {shown}")
        self.at += 1
        return char

    def identifier(self, what: str) -> str:
        self.space()
        found = _IDENTIFIER.match(self.text, self.at)
        if not found:
            char = self.text[self.at : self.at + 1]
            raise BibSyntaxError(
                self.at, f"expected {what}, found {repr(char) if char else 'the end of the file'}"
            )
        self.at = found.end()
        return found.group(0)

    def braced(self, start: int, close: str) -> str:
        """The text up to the ``close`` that ends a value opened at ``start``, braces balanced."""
        depth = 0
        text = self.text
        # From brace to brace rather than character by character: most values have none.
        stops = _STOPS.get(close) or _STOPS.setdefault(close, re.compile(f"[{{}}{re.escape(close)}]"))
        position = self.at
        while True:
            found = stops.search(text, position)
            if found is None:
                raise BibSyntaxError(start, "a value's braces are not closed")
            position = found.start()
            char = text[position]
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0 and close == "}":
                    break
                depth -= 1
                if depth < 0:
                    raise BibSyntaxError(position, "a '}' closes more than was opened")
            elif depth == 0:
                break
            position += 1
        value = text[self.at : position]
        self.at = position + 1
        return value

    def value(self, warnings: list[tuple[int, str]], name: str) -> str:
        """A field's value: pieces joined by ``#``, each braced, quoted, a number or a macro."""
        pieces = []
        while True:
            char = self.peek()
            start = self.at
            if char == "{":
                self.at += 1
                pieces.append(self.braced(start, "}"))
            elif char == '"':
                self.at += 1
                pieces.append(self.braced(start, '"'))
            elif char.isdigit():
                digits = _DIGITS.match(self.text, self.at)
                self.at = digits.end() if digits else self.at + 1
                pieces.append(digits.group(0) if digits else char)
            elif char and _IDENTIFIER.match(char):
                macro = self.identifier("a value").lower()
                if macro in self.macros:
                    pieces.append(self.macros[macro])
                elif macro in _MONTH_MACROS:
                    pieces.append(_MONTH_MACROS[macro] if name.lower() != "month" else macro)
                else:
                    # BibTeX warns and reads it as empty; the field is kept as that.
                    warnings.append((start, f"{name} uses an undefined @string {macro!r}"))
            else:
                raise BibSyntaxError(
                    start,
                    f"expected the value of {name}, found {repr(char) if char else 'the end of the file'}",
                )
            if self.peek() != "#":
                return "".join(pieces)
            self.at += 1

    def skip_to_next_block(self, after: int) -> None:
        found = self.text.find("@", after + 1)
        self.at = found if found >= 0 else len(self.text)


def read_bibtex(text: str) -> BibFile:
    """Every block of ``text`` read by BibTeX's rules; a broken block is reported and skipped."""
    result = BibFile()
    reader = _Reader(text)
    while True:
        found = text.find("@", reader.at)
        if found < 0:
            return result
        reader.at = found + 1
        try:
            _read_block(reader, found, result)
        except BibSyntaxError as exc:
            result.errors.append((exc.offset, str(exc)))
            reader.skip_to_next_block(max(found, min(exc.offset, len(text)) - 1))


def _read_block(reader: _Reader, start: int, result: BibFile) -> None:
    kind = reader.identifier("an entry type after '@'").lower()
    if kind == "comment":
        # BibTeX skips the word; biber skips the braced block that follows it: both end here.
        if reader.peek() in "{(":
            close = "}" if reader.expect("{(", "'{'") == "{" else ")"
            reader.braced(start, close)
        return
    opening = reader.expect("{(", "'{' or '(' after @" + kind)
    close = "}" if opening == "{" else ")"
    if kind == "preamble":
        result.preambles.append(reader.value([], "@preamble"))
        reader.expect(close, f"{close!r} to end the @preamble")
        return
    if kind == "string":
        name = reader.identifier("a @string name")
        reader.expect("=", "'=' after the @string name")
        reader.macros[name.lower()] = reader.value([], name)
        reader.expect(close, f"{close!r} to end the @string")
        return
    reader.space()
    key_start = reader.at
    key_end = key_start
    while key_end < len(reader.text) and reader.text[key_end] not in ",\n\r\t " + close:
        key_end += 1
    key = reader.text[key_start:key_end]
    reader.at = key_end
    entry = BibEntry(kind, key, start, [])
    seen: dict[str, str] = {}
    if reader.peek() == close:
        reader.at += 1
        result.entries.append(entry)
        return
    reader.expect(",", "',' after the key")
    while True:
        if reader.peek() == close:
            reader.at += 1
            break
        field_start = reader.at
        # ``name =`` in one match; anything else is read piece by piece, to say what is wrong.
        written = _FIELD_NAME.match(reader.text, reader.at)
        if written:
            name = written.group(1)
            reader.at = written.end()
        else:
            name = reader.identifier("a field name")
            reader.expect("=", f"'=' after {name}")
        value = reader.value(entry.warnings, name)
        following = reader.peek()
        if following not in (",", close):
            found = repr(following) if following else "the end of the file"
            why = "BibTeX counts the brace of '\\}' too" if value.endswith("\\") else "a missing comma?"
            raise BibSyntaxError(
                reader.at, f"expected ',' or {close!r} after the value of {name}, found {found} ({why})"
            )
        if name.lower() in seen:
            entry.warnings.append((field_start, f"{name} given twice: the first is kept, as BibTeX does"))
        else:
            seen[name.lower()] = value
            entry.fields.append((name, value))
        if following == ",":
            reader.at += 1
    result.entries.append(entry)


_BARE_SPECIAL = re.compile(r"(?<!\\)((?:\\\\)*)([&%#])")
# Where a bare special character is an argument's own text, not LaTeX: \url{a%20b}, \href{a#b}{...}.
_VERBATIM_COMMAND = re.compile(r"\\(?:url|href|path|nolinkurl)\s*\{[^{}]*\}")


def repair_latex(value: str) -> tuple[str, list[str]]:
    """``value`` with each bare ``&``, ``%`` and ``#`` escaped, and the characters escaped.

    In a bibliography these end a LaTeX document's compile ("Misplaced alignment tab",
    a comment eating the rest of the line, "Illegal parameter number"); escaped, they
    print as the author meant.  Arguments of ``\\url`` and ``\\href`` are left alone.
    """
    if "&" not in value and "%" not in value and "#" not in value:
        return value, []  # the common case, and this runs on every field
    repaired: list[str] = []
    found: list[str] = []

    def escape(match: re.Match[str]) -> str:
        found.append(match.group(2))
        return match.group(1) + "\\" + match.group(2)

    position = 0
    for command in _VERBATIM_COMMAND.finditer(value):
        repaired.append(_BARE_SPECIAL.sub(escape, value[position : command.start()]))
        repaired.append(command.group(0))
        position = command.end()
    repaired.append(_BARE_SPECIAL.sub(escape, value[position:]))
    return "".join(repaired), list(dict.fromkeys(found))


def _line_of(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


def parse_bib(path: Path) -> tuple[list[tuple[int, Record]], list[InputError]]:
    """The entries of one file as (1-based line, record), and its problems (``file:line: message``).

    The entries are every entry BibTeX would read; the problems name what was
    skipped and what was read with a warning.
    """
    entries, problems, _ = _parse(path)
    return entries, problems


def import_stoppers(path: Path) -> list[InputError]:
    """The problems of ``path`` that stop an import (see the module contract); none when it can be read."""
    _, found, readable = _parse(path)
    return [] if readable else found


def _parse(path: Path) -> tuple[list[tuple[int, Record]], list[InputError], bool]:
    """:func:`parse_bib`, and whether the file could be read at all."""
    text, problems = _read(path)
    if problems:
        return [], problems, False
    shown = str(path)
    starts = [0] + [found.end() for found in re.finditer("\n", text)]
    parsed = read_bibtex(text)
    notes = [(offset, message) for offset, message in parsed.errors]
    preambles = [clean(preamble) for preamble in parsed.preambles if clean(preamble)]
    entries = []
    for entry in parsed.entries:
        try:
            check_key(entry.key)
        except KeyClashError as exc:
            notes.append((entry.offset, f"{exc}: entry skipped"))
            continue
        notes.extend(entry.warnings)
        values: dict[str, str] = {}
        for name, raw in entry.fields:
            value = clean(raw)
            if name.lower() not in VERBATIM_FIELDS:
                value, escaped = repair_latex(value)
                if escaped:
                    chars = " ".join(escaped)
                    notes.append((entry.offset, f"{entry.key}: {name}: bare {chars} written escaped"))
            values[name] = value
        record = _as_written(entry_record(entry.entry_type, entry.key, values), entry, values, preambles)
        entries.append((_line_of(starts, entry.offset), record))
    if not entries and not notes:
        # Like an empty list: a file with no entry at all is not what the user meant to import.
        notes.append((0, "no BibTeX entry found (an entry starts with @article{key, ...)"))
    problems = [InputError(shown, _line_of(starts, offset), message) for offset, message in sorted(notes)]
    return entries, problems, bool(entries)


def _month(value: str) -> int:
    text = value.strip().lower()[:3]
    if text in MONTHS:
        return MONTHS.index(text) + 1
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else 0


def entry_record(entry_type: str, key: str, written: Mapping[str, str]) -> Record:
    """A provisional record (not yet named: id '') for one entry's fields (name: LaTeX)."""
    values = {name.lower(): value for name, value in written.items()}
    fields: dict[str, Value] = {}

    def keep(name: str, value: Any) -> None:
        fields[name] = Value(value, Provenance.BIB)

    for bib_name, name in _TEXT_FIELDS.items():
        value = values.get(bib_name, "")
        if value and name not in fields:
            keep(name, value)
    authors = _authors(values.get("author", ""))
    if authors and authors[-1].lower() == "others":
        authors.pop()
        keep("authors_truncated", True)
    if authors:
        keep("authors", authors)
    year = year_in(values.get("year", "") or values.get("date", ""))
    if year is not None:
        keep("year", year)
    month = _month(values.get("month", ""))
    if month:
        keep("month", month)
    if _ISO_DATE.match(values.get("date", "")):
        keep("date", values["date"])
    if _ISO_DATE.match(values.get("urldate", "")):
        keep("accessed", values["urldate"])

    identifiers: dict[str, str] = {}
    links: list[Link] = []
    url = values.get("url", "")
    if url:
        keep("url", url)
        found = identify(url)
        if found.usable:
            identifiers.update(found.identifiers)
            links.append(Link(found.url, found.role))
    doi = safe_doi(values.get("doi", ""))
    if doi:
        identifiers["doi"] = doi
        keep("doi", doi)
    arxiv = _arxiv(values)
    if arxiv:
        identifiers["arxiv"] = arxiv
    keep("entry_type", _entry_type(entry_type, values, bool(arxiv)))
    return Record(id="", identifiers=identifiers, links=tuple(links), fields=fields, key=key)


def _as_written(
    record: Record, entry: BibEntry, values: Mapping[str, str], preambles: Sequence[str]
) -> Record:
    """``record`` with the entry itself, for the exporter to write back whole."""
    fields = dict(record.fields)
    fields["bib_type"] = Value(entry.entry_type, Provenance.BIB)
    fields["bib_fields"] = Value([[name, value] for name, value in values.items()], Provenance.BIB)
    if preambles:
        fields["bib_preamble"] = Value(list(preambles), Provenance.BIB)
    return replace(record, fields=fields)


_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _authors(names: str) -> list[str]:
    return split_names(names)


def _arxiv(values: dict[str, str]) -> str:
    prefix = (values.get("archiveprefix") or values.get("eprinttype") or "").strip().lower()
    eprint = values.get("eprint", "")
    if eprint and prefix in ("arxiv", ""):
        found = parse_arxiv_id(eprint)
        if found:
            return found.id
    for name in ("journal", "howpublished", "note", "volume"):
        found = arxiv_id_in_text(values.get(name, ""))
        if found:
            return found.id
    return ""


def _entry_type(entry_type: str, values: dict[str, str], has_arxiv: bool) -> str:
    venue = values.get("journal") or values.get("journaltitle") or values.get("booktitle") or ""
    if has_arxiv and (not venue or is_preprint_venue(venue)) and entry_type in ("article", "misc", "online"):
        return "preprint"
    return _ENTRY_TYPES.get(entry_type, "misc")


def import_bib(refs: Path, paths: list[Path]) -> BibImportSummary:
    """Merge the entries of ``paths`` into ``refs``; see the module contract."""
    summary = BibImportSummary()
    problems: list[InputError] = []
    incoming: list[tuple[str, Record]] = []
    seen_keys: dict[str, str] = {}
    for path in paths:
        entries, found, readable = _parse(path)
        if readable:
            summary.reported.extend(map(str, found))
        else:
            problems.extend(found)
        summary.entries_per_file[str(path)] = len(entries)
        for line, record in entries:
            where = f"{path}:{line}"
            first = seen_keys.setdefault(record.key.lower(), where)
            if first != where:
                summary.reported.append(
                    f"{where}: key {record.key!r} is used twice (first at {first}): skipped"
                )
                continue
            incoming.append((where, record))
    if problems:
        raise InputErrors(problems)

    with locked(refs, create=True):
        before = load_records(refs)
        result = merge_records(
            [*before.values(), *(record for _, record in incoming)], existing=before.keys()
        )
        # Entries are new records, not yet named: the merge tells them by their place in its input.
        where_at = {len(before) + number: where for number, (where, _) in enumerate(incoming)}
        united_at = {kept: where_at[gone] for kept, gone in result.united if gone in where_at}
        # Where each resulting record came from in the files, to name it in a key clash: a new
        # record's own entry, an existing record the last entry united into it.
        origin: dict[str, str] = {}
        taken = set(before)
        final = []
        for record, position in zip(result.records, result.origins, strict=True):
            if not record.id:
                record = replace(record, id=new_record_id(record, taken))
                taken.add(record.id)
            entry = where_at.get(position) or united_at.get(position)
            if entry:
                origin[record.id] = entry
            final.append(record)
        try:
            check_pinned(final)
        except KeyClashError as exc:
            where = origin.get(exc.record_id) or origin.get(exc.other_id) or f"{paths[0]}:0"
            file, _, at = where.rpartition(":")
            raise InputErrors([InputError(file, int(at), str(exc))]) from None
        summary.count(before, final)
        summary.rekeyed = result.rekeyed
        save_records(refs, final, remove=[r for k, r in result.merged if r in before and r != k])
    return summary
