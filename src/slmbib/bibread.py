"""``slmbib import FILE.bib``: an existing bibliography merged into ``refs/``.

Contract:

* Every file is parsed (bibtexparser 2.x) and every entry checked before
  ``refs/`` is touched.  Each problem is reported as ``file:line: message``
  (1-based lines), one line each, and then nothing is imported at all.
  Problems: a block bibtexparser cannot parse, a key used twice, a key that
  bibtex, biber or Zotero would mishandle, a value whose braces BibTeX would
  count as unbalanced, an undefined ``@string`` or a ``#`` concatenation, an
  entry without a title, a file that is not UTF-8.
* Values are kept as the user wrote them, LaTeX included (``{BERT}``,
  ``\\&``, ``G{\\"o}del``): they are stored with provenance ``bib`` and written
  back verbatim by the exporter, never decoded and re-encoded.
* Entries become records merged into ``refs/`` by :mod:`merge`'s identity
  rules (identifiers, title, citation key).  An entry's key becomes the
  record's pinned key unless the record already has one; then it is kept as
  an alias and reported as ``old key -> kept key``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import InputError, InputErrors, KeyClashError
from .identify import identify
from .identity import arxiv_id_in_text, is_preprint_venue, parse_arxiv_id, year_in
from .keys import check_key, check_pinned
from .latex import braces_balanced, clean, split_names
from .listimport import new_record_id
from .merge import merge_records
from .models import Link, Record, Value
from .store import RecordChanges, load_records, locked, save_records
from .write import MONTHS, safe_doi

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


@dataclass
class BibImportSummary(RecordChanges):
    entries_per_file: dict[str, int] = field(default_factory=dict)
    #: (old key, kept key) for entry keys that became aliases of an existing record's key.
    rekeyed: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{source}: {count} entries read" for source, count in self.entries_per_file.items()]
        out.append(self.changes_line())
        out.extend(f"merged: {old} -> {kept}" for old, kept in self.rekeyed)
        return out


@contextlib.contextmanager
def _quiet_parser() -> Iterator[None]:
    # bibtexparser logs each failed block itself; they are reported here, once, with 1-based lines.
    parser_logger = logging.getLogger("bibtexparser")
    level = parser_logger.level
    parser_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        parser_logger.setLevel(level)


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


def parse_bib(path: Path) -> tuple[list[tuple[int, Record]], list[InputError]]:
    """The entries of one file as (1-based line, record), and its problems."""
    from bibtexparser.entrypoint import parse_string
    from bibtexparser.model import DuplicateBlockKeyBlock

    text, problems = _read(path)
    if problems:
        return [], problems
    shown = str(path)
    with _quiet_parser():
        library = parse_string(text)
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(InputError(shown, line, f"key {block.key!r} is used twice"))
        else:
            message = clean(str(block.error)) or "cannot parse this block"
            problems.append(InputError(shown, line, message))
    entries = []
    for entry in library.entries:
        line = (entry.start_line or 0) + 1
        try:
            check_key(entry.key)
        except KeyClashError as exc:
            problems.append(InputError(shown, line, str(exc)))
            continue
        values: dict[str, str] = {}
        for entry_field in entry.fields:
            name = entry_field.key.lower()
            value = str(entry_field.value)
            field_line = (entry_field.start_line or entry.start_line or 0) + 1
            if not braces_balanced(value):
                problems.append(InputError(shown, field_line, f"{name} has unbalanced braces"))
            elif entry_field.enclosing == "no-enclosing" and not value.isdigit() and name != "month":
                message = f"{name} uses an undefined @string or '#': {value}"
                problems.append(InputError(shown, field_line, message))
            else:
                values[name] = value
        if not any(item.key.lower() == "title" and clean(str(item.value)) for item in entry.fields):
            # Without a title an entry has nothing but its key to be recognised by when the
            # file is imported again, and a key alone proves nothing (see merge.identity_keys).
            problems.append(InputError(shown, line, f"entry {entry.key!r} has no title"))
            continue
        entries.append((line, entry_record(entry.entry_type.lower(), entry.key, values)))
    if not library.entries and not problems:
        # Like an empty list: a file with no entry at all is not what the user meant to import.
        problems.append(
            InputError(shown, 1, "no BibTeX entry found (an entry starts with @article{key, ...)")
        )
    # Failed blocks and entries were found in two passes: report them as the file reads.
    problems.sort(key=lambda problem: problem.line)
    return entries, problems


def _month(value: str) -> int:
    text = value.strip().lower()[:3]
    if text in MONTHS:
        return MONTHS.index(text) + 1
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else 0


def entry_record(entry_type: str, key: str, values: dict[str, str]) -> Record:
    """A provisional record (id still to be given) for one entry's field values."""
    fields: dict[str, Value] = {}

    def keep(name: str, value: Any) -> None:
        fields[name] = Value(value, "bib")

    for bib_name, name in _TEXT_FIELDS.items():
        value = clean(values.get(bib_name, ""))
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
    if re.match(r"^\d{4}-\d{2}-\d{2}$", values.get("urldate", "")):
        keep("accessed", values["urldate"])

    identifiers: dict[str, str] = {}
    links: list[Link] = []
    url = clean(values.get("url", ""))
    if url:
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


def _authors(names: str) -> list[str]:
    return split_names(clean(names))


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
    venue = values.get("journal") or values.get("booktitle") or ""
    if has_arxiv and (not venue or is_preprint_venue(venue)) and entry_type in ("article", "misc", "online"):
        return "preprint"
    return _ENTRY_TYPES.get(entry_type, "misc")


def import_bib(refs: Path, paths: list[Path]) -> BibImportSummary:
    """Merge the entries of ``paths`` into ``refs``; see the module contract."""
    summary = BibImportSummary()
    problems: list[InputError] = []
    incoming: list[tuple[tuple[str, int], Record]] = []
    seen_keys: dict[str, tuple[str, int]] = {}
    for path in paths:
        entries, found = parse_bib(path)
        problems.extend(found)
        summary.entries_per_file[str(path)] = len(entries)
        for line, record in entries:
            where = (str(path), line)
            first = seen_keys.setdefault(record.key.lower(), where)
            if first != where:
                message = f"key {record.key!r} is used twice (first at {first[0]}:{first[1]})"
                problems.append(InputError(*where, message))
                continue
            incoming.append((where, replace(record, id=f"\0bib{len(incoming):06d}")))
    if problems:
        raise InputErrors(problems)

    with locked(refs, create=True):
        before = load_records(refs)
        result = merge_records(
            [*before.values(), *(record for _, record in incoming)], existing=before.keys()
        )
        where_of = {record.id: where for where, record in incoming}
        # Where each resulting record came from in the files, to name it in a key clash.
        origin = {kept: where_of[removed] for kept, removed in result.merged if removed in where_of}
        taken = set(before)
        final = []
        for record in result.records:
            if record.id.startswith("\0"):
                provisional = record.id
                record = replace(record, id=new_record_id(record, taken))
                origin.setdefault(record.id, where_of[provisional])
                taken.add(record.id)
            final.append(record)
        try:
            check_pinned(final)
        except KeyClashError as exc:
            where = origin.get(exc.record_id) or origin.get(exc.other_id) or (str(paths[0]), 0)
            raise InputErrors([InputError(*where, str(exc))]) from None
        summary.count(before, final)
        summary.rekeyed = result.rekeyed
        save_records(refs, final, remove=[r for k, r in result.merged if r in before and r != k])
    return summary
