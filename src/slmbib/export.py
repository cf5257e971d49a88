"""``slmbib export``: ``refs/`` to one bibliography file, one entry per paper.

Contract:

* Under the ``refs/`` lock: records that are one paper are merged (the run
  reports ``old key -> kept key``), every record without a citation key gets
  one and it is pinned in ``refs/`` (only files whose bytes change are
  written); then the bibliography is rendered and written atomically, or to
  stdout.  Everything is checked before the first byte is written: with
  ``strict``, entries that still lack authors are an error and nothing
  changes anywhere.
* The survey's own record (``refs/survey.yaml``) is always part of it.
* Entries are sorted by key, or in survey order (the survey's own entry
  first, then the papers as the newest list gives them).  ``sections``
  keeps the papers listed under any of the named sections (a heading of the
  list, at any depth, without case; or a ``A > B`` path prefix).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from . import store
from .choices import FORMATS, ORDERS
from .errors import InputError, SlmbibError
from .keys import KeyChange, KeyClashError, assign_keys, rekey, survey_order
from .merge import merge_records
from .models import Record
from .survey import SURVEY_ID, load_survey, save_survey, survey_path
from .write import listed_names, render

logger = logging.getLogger(__name__)

SECTION_SEPARATOR = " > "


class StrictError(SlmbibError):
    """``--strict`` export of entries that are not complete yet."""


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

    def lines(self) -> list[str]:
        """The run's report, one line each, for stderr."""
        out = [f"{self.destination}: {self.entries} entries"]
        if self.pinned:
            out.append(f"citation keys pinned in refs/: {len(self.pinned)}")
        out.extend(f"merged: {old} -> {kept}" for old, kept in self.rekeyed)
        if self.missing_authors:
            out.append(
                f"warning: {len(self.missing_authors)} entries have no authors yet (run `slmbib sync`): "
                + _some(self.missing_authors)
            )
        if self.missing_year:
            out.append(
                f"warning: {len(self.missing_year)} entries have no year (plainnat and abbrvnat will warn): "
                + _some(self.missing_year)
            )
        out.extend(
            f"warning: {key}: written approximately for pdflatex: {chars}" for key, chars in self.approximated
        )
        return out


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
    root: Path, before: dict[str, Record]
) -> tuple[dict[str, Record], Record | None, list[KeyChange], list[tuple[str, str]]]:
    """Records merged and keyed (not yet saved), the keyed survey record, keys given, keys retired.

    ``before`` is every record of ``root`` as loaded: reading a large refs/ twice doubled an export.
    """
    merged = merge_records(before.values(), existing=before.keys())
    records = {record.id: record for record in merged.records}
    survey = load_survey(root)
    if survey is not None:
        if survey.id in records:
            raise InputError(
                str(store.record_path(root, survey.id)), 0, "this record id is kept for the survey"
            )
        records[survey.id] = survey
    try:
        keyed, pinned = assign_keys(records)
    except KeyClashError as exc:
        path = survey_path(root) if exc.record_id == SURVEY_ID else store.record_path(root, exc.record_id)
        raise InputError(str(path), _line_naming(path, exc.key), str(exc)) from None
    survey = keyed.pop(SURVEY_ID, None) if survey is not None else None
    return keyed, survey, pinned, merged.rekeyed


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


def export(
    root: Path,
    output: Path | None,
    fmt: str = "bibtex",
    order: str = "key",
    sections: Collection[str] = (),
    strict: bool = False,
) -> ExportResult:
    """Write the bibliography of ``root`` to ``output`` (None: return it for stdout)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if order not in ORDERS:
        raise ValueError(f"unknown order {order!r}")
    with store.locked(root):
        before = store.load_records(root)
        papers, survey, pinned, rekeyed = _prepare(root, before)
        chosen = [record for record in papers.values() if not sections or in_sections(record, sections)]
        if sections and not chosen:
            raise InputError(str(root), 0, f"no paper is listed under {', '.join(sections)}")
        chosen = survey_order(chosen) if order == "survey" else sorted(chosen, key=lambda r: r.key.lower())
        if survey is not None:
            chosen = (
                [survey, *chosen]
                if order == "survey"
                else sorted([survey, *chosen], key=lambda r: r.key.lower())
            )
        rendered = render(chosen, fmt, names=listed_names(papers.values()))
        if strict and rendered.missing_authors:
            raise StrictError(
                f"{len(rendered.missing_authors)} entries have no authors (--strict): "
                + _some(rendered.missing_authors)
            )
        store.save_records(root, _changed(before, papers), remove=_removed(before, papers))
        if survey is not None:
            save_survey(root, survey)
        if output is not None:
            # Exports run under the lock one at a time: a temporary file of the output is a killed one's.
            store.remove_stale_temporaries(output.parent, output.name)
            store.atomic_write(output, rendered.text.encode("utf-8"))
    for change in pinned:
        logger.debug("pinned %s for %s", change.new, change.record_id)
    return ExportResult(
        destination=str(output) if output is not None else "stdout",
        text=rendered.text,
        entries=len(chosen),
        pinned=pinned,
        rekeyed=rekeyed,
        missing_authors=rendered.missing_authors,
        missing_year=rendered.missing_year,
        approximated=rendered.approximated,
    )


def rekey_refs(root: Path, targets: Collection[str], everything: bool = False) -> list[KeyChange]:
    """Give the named records (ids or keys; all with ``everything``) the key their data gives now.

    The only way a pinned key changes.  Old keys stay as aliases.
    """
    with store.locked(root):
        before = store.load_records(root)
        papers, survey, _, _ = _prepare(root, before)
        records = dict(papers)
        if survey is not None:
            records[SURVEY_ID] = survey
        chosen = list(records) if everything else list(targets)
        try:
            changed, changes = rekey(records, chosen)
        except KeyError as exc:
            raise SlmbibError(f"no record has the id or citation key {exc.args[0]!r}") from None
        keyed_survey = changed.pop(SURVEY_ID, None)
        store.save_records(root, _changed(before, changed), remove=_removed(before, changed))
        if keyed_survey is not None:
            save_survey(root, keyed_survey)
    return changes
