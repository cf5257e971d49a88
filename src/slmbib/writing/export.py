"""``slmbib export``: ``refs/`` to one bibliography file, one entry per paper.

Contract:

* Under the ``refs/`` lock: records that are one paper are merged (the run
  reports ``old key -> kept key``), every record without a citation key gets
  one and it is pinned in ``refs/``; then the bibliography is rendered and
  written atomically, or to stdout.  Only files whose bytes change are
  written, the output included, so a ``refs/`` with every key pinned may be
  read-only.  Everything is checked before the first byte is written: with
  ``strict``, entries that still lack authors are an error and nothing
  changes anywhere.
* The list's own works (``refs/own/``, see :mod:`slmbib.survey`) are always
  part of it.
* Entries are sorted by key, or in survey order (the own works first, then
  the papers as the newest list gives them).  ``sections``
  keeps the papers listed under any of the named sections (a heading of the
  list, at any depth, without case; or a ``A > B`` path prefix).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import store
from ..choices import FORMATS, ORDERS
from ..errors import InputError, KeyClashError, SlmbibError, StrictError, UsageError
from ..merge import merge_records
from ..models import Record
from ..survey import load_own, own_order, save_own
from .citation import listed_names
from .keys import KeyChange, assign_keys, rekey, survey_order
from .uptodate import export_settings, remember
from .write import render

logger = logging.getLogger(__name__)

SECTION_SEPARATOR = " > "


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote and what its user should know."""

    destination: str
    text: str
    entries: int
    pinned: list[KeyChange] = field(default_factory=list)
    rekeyed: list[tuple[str, str]] = field(default_factory=list)
    missing_authors: tuple[str, ...] = ()
    missing_year: tuple[str, ...] = ()
    approximated: tuple[tuple[str, str], ...] = ()
    shortened: tuple[tuple[str, str], ...] = ()
    fmt: str = "bibtex"

    def lines(self) -> list[str]:
        """The run's report, one line each, for stderr."""
        out = [f"{self.destination}: {counted(self.entries, 'entry', 'entries')}"]
        if self.pinned:
            out.append(f"citation keys pinned in refs/: {len(self.pinned)}")
        out.extend(f"merged: {old} -> {kept}" for old, kept in self.rekeyed)
        if self.missing_authors:
            out.append(
                f"warning: {_entries_have(self.missing_authors)} no authors yet (run `slmbib sync`): "
                + _some(self.missing_authors)
            )
        if self.missing_year and self.fmt == "bibtex":
            # Only natbib's author-year styles need a year; biblatex and CSL processors do without.
            out.append(
                f"warning: {_entries_have(self.missing_year)} no year (plainnat and abbrvnat will warn): "
                + _some(self.missing_year)
            )
        if self.fmt != "csl-json":
            out.extend(
                f"warning: {key}: written approximately for pdflatex: {chars}"
                for key, chars in self.approximated
            )
        out.extend(f"warning: {key}: {what}" for key, what in self.shortened)
        return out


def counted(number: int, one: str, many: str) -> str:
    """``1 entry``, ``2 entries``."""
    return f"{number:,} {one if number == 1 else many}"


def _entries_have(keys: tuple[str, ...]) -> str:
    return f"{counted(len(keys), 'entry', 'entries')} {'has' if len(keys) == 1 else 'have'}"


def _some(keys: tuple[str, ...], shown: int = 5) -> str:
    return ", ".join(keys[:shown]) + (", ..." if len(keys) > shown else "")


def in_sections(record: Record, sections: Collection[str]) -> bool:
    """Whether any listing of ``record`` is under one of ``sections``."""
    wanted = [section.strip().casefold() for section in sections if section.strip()]
    for listing in record.listings:
        path = listing.section.casefold()
        parts = [part.strip() for part in path.split(SECTION_SEPARATOR.strip())]
        for name in wanted:
            if name in parts or path == name or path.startswith(name + SECTION_SEPARATOR):
                return True
    return False


def _prepare(
    refs: Path, before: dict[str, Record]
) -> tuple[dict[str, Record], dict[str, Record], list[KeyChange], list[tuple[str, str]]]:
    """Papers merged and keyed (not yet saved), the keyed own works, keys given, keys retired.

    ``before`` is every record of ``refs`` as loaded: reading a large refs/ twice doubled an export.
    """
    merged = merge_records(before.values(), existing=before.keys())
    records = {record.id: record for record in merged.records}
    own = load_own(refs)
    for record_id in own:
        if record_id in records:
            raise InputError(str(store.record_path(refs, record_id)), 0, "this record id is an own work's")
    records.update(own)
    try:
        keyed, pinned = assign_keys(records)
    except KeyClashError as exc:
        is_own = exc.record_id in own
        path = store.own_path(refs, exc.record_id) if is_own else store.record_path(refs, exc.record_id)
        raise InputError(str(path), _line_naming(path, exc.key), str(exc)) from None
    keyed_own = {record_id: keyed.pop(record_id) for record_id in own}
    return keyed, keyed_own, pinned, merged.rekeyed


def _line_naming(path: Path, key: str) -> int:
    """The line of a record file that holds ``key`` (its `key:` or an alias), 0 if none does."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    return next((number for number, line in enumerate(lines, 1) if key and key in line), 0)


def _changed(before: dict[str, Record], after: dict[str, Record]) -> list[Record]:
    """The records to save: serialising the unchanged ones only to compare bytes took seconds."""
    return [record for record_id, record in after.items() if before.get(record_id) != record]


def _removed(before: Collection[str], after: Collection[str]) -> list[str]:
    return sorted(set(before) - set(after))


def export_bibliography(
    refs: Path,
    output: Path | None,
    fmt: str = "bibtex",
    order: str = "key",
    sections: Collection[str] = (),
    strict: bool = False,
) -> ExportResult:
    """Write the bibliography of ``refs`` to ``output`` (None: return it for stdout)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}")
    if order not in ORDERS:
        raise UsageError(f"unknown order {order!r}")
    with store.locked(refs):
        before = store.load_records(refs)
        papers, own, pinned, rekeyed = _prepare(refs, before)
        chosen = [record for record in papers.values() if not sections or in_sections(record, sections)]
        if sections and not chosen:
            raise InputError(str(refs), 0, f"no paper is listed under {', '.join(sections)}")
        if order == "survey":
            chosen = [*own_order(own.values()), *survey_order(chosen)]
        else:
            chosen = sorted([*own.values(), *chosen], key=lambda r: r.key.lower())
        rendered = render(chosen, fmt, names=listed_names(papers.values()))
        if strict and rendered.missing_authors:
            raise StrictError(
                f"{_entries_have(rendered.missing_authors)} no authors (--strict): "
                + _some(rendered.missing_authors)
            )
        store.save_records(refs, _changed(before, papers), remove=_removed(before, papers))
        save_own(refs, own.values())
        if output is not None:
            # Exports run under the lock one at a time: a temporary file of the output is a killed one's.
            store.remove_stale_temporaries(output.parent, output.name)
            try:
                store.replace_if_changed(output, rendered.text.encode("utf-8"))
            except OSError as exc:
                raise SlmbibError(f"{output}: cannot write: {exc.strerror}") from None
        result = ExportResult(
            destination=str(output) if output is not None else "stdout",
            text=rendered.text,
            entries=len(chosen),
            missing_authors=rendered.missing_authors,
            missing_year=rendered.missing_year,
            approximated=rendered.approximated,
            shortened=rendered.shortened,
            fmt=fmt,
        )
        if output is not None:
            # What a rerun would report: it pins and merges nothing.
            remember(refs, output, export_settings(fmt, order, list(sections), strict), result.lines())
    for change in pinned:
        logger.debug("pinned %s for %s", change.new, change.record_id)
    return replace(result, pinned=pinned, rekeyed=rekeyed)


def rekey_refs(refs: Path, targets: Collection[str], everything: bool = False) -> list[KeyChange]:
    """Give the named records (ids or keys; all with ``everything``) the key their data gives now.

    The only way a pinned key changes.  Old keys stay as aliases.
    """
    with store.locked(refs):
        before = store.load_records(refs)
        papers, own, _, _ = _prepare(refs, before)
        records = {**papers, **own}
        chosen = list(records) if everything else list(targets)
        changed, changes = rekey(records, chosen)
        keyed_own = [changed.pop(record_id) for record_id in own]
        store.save_records(refs, _changed(before, changed), remove=_removed(before, changed))
        save_own(refs, keyed_own)
    return changes
