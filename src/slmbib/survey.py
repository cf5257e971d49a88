"""The survey's own record (``refs/survey.yaml``) and its citation block in the README.

Contract:

* ``refs/survey.yaml`` is an ordinary record with id ``survey``: sync may
  update it like any paper, the maintainer may override it, and export writes
  it with the bibliography.
* :func:`citation_block` is that record's BibTeX entry (key pinned like any).
* :func:`update_readme` puts the block into a README in place: the first time
  it replaces the fenced code block holding the placeholder
  ``[TBD - BibTeX citation link here]`` (or the placeholder line itself), and
  surrounds what it writes with two HTML comments; later runs replace what
  lies between those comments.  Running it twice changes nothing the second
  time, and the file is replaced atomically or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from . import store
from .errors import InputError
from .keys import base_key, check_pinned, taken_keys, unique_key
from .models import Record
from .write import render

SURVEY_ID = "survey"
PLACEHOLDER = "[TBD - BibTeX citation link here]"
BEGIN = "<!-- slmbib:citation begin: written by `slmbib cite --readme`, edit refs/survey.yaml instead -->"
END = "<!-- slmbib:citation end -->"
_FENCE = "```"


def survey_path(refs: Path) -> Path:
    return refs / store.SURVEY_FILE


def load_survey(refs: Path) -> Record | None:
    """The survey's record, or None when ``refs/`` has none."""
    path = survey_path(refs)
    if not path.exists():
        return None
    return store.read_record_file(path)


def save_survey(refs: Path, record: Record) -> bool:
    """Write the survey's record if its bytes change; returns whether they did."""
    path = survey_path(refs)
    data = store.dump_record(record).encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    store.atomic_write(path, data)
    return True


def pin_survey_key(survey: Record, papers: dict[str, Record]) -> Record:
    """The survey record with a key, chosen clear of every paper's keys and aliases."""
    if survey.key:
        check_pinned([survey, *papers.values()])
        return survey
    return replace(survey, key=unique_key(base_key(survey), taken_keys(papers.values())))


def citation_block(refs: Path) -> str:
    """The survey's BibTeX entry, pinning its key in ``refs/`` on first use."""
    with store.locked(refs):
        survey = load_survey(refs)
        if survey is None:
            raise InputError(str(survey_path(refs)), 0, "the survey's own record is missing")
        pinned = pin_survey_key(survey, store.load_records(refs))
        if pinned != survey:
            save_survey(refs, pinned)
    return render([pinned], "bibtex", header=False).text


@dataclass(frozen=True)
class ReadmeUpdate:
    path: Path
    changed: bool


def update_readme(readme: Path, block: str) -> ReadmeUpdate:
    """Put ``block`` (BibTeX text) into ``readme``; see the module docstring."""
    shown = str(readme)
    try:
        text = readme.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(shown, 0, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(shown, 0, "not UTF-8") from None
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    start, stop = _target(lines, shown)
    written = [BEGIN, _FENCE + "bibtex", *block.rstrip("\n").split("\n"), _FENCE, END]
    new_lines = [*lines[:start], *(line + newline for line in written), *lines[stop:]]
    if stop == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        new_lines[-1] = new_lines[-1].rstrip("\r\n")
    new_text = "".join(new_lines)
    if new_text == text:
        return ReadmeUpdate(readme, False)
    store.atomic_write(readme, new_text.encode("utf-8"))
    return ReadmeUpdate(readme, True)


def _target(lines: list[str], shown: str) -> tuple[int, int]:
    """The range of lines to replace: the marked block, or the placeholder and its fence."""
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if begins or ends:
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            where = (begins or ends)[-1] + 1
            raise InputError(shown, where, "the slmbib citation markers must appear once each, begin first")
        return begins[0], ends[0] + 1
    found = [i for i, line in enumerate(lines) if PLACEHOLDER in line]
    if not found:
        raise InputError(shown, 0, f"neither {PLACEHOLDER!r} nor slmbib citation markers found")
    if len(found) > 1:
        raise InputError(shown, found[1] + 1, "the citation placeholder appears more than once")
    at = found[0]
    if lines[at].strip() != PLACEHOLDER:
        raise InputError(shown, at + 1, "the citation placeholder must stand on a line of its own")
    opening = at - 1
    closing = at + 1
    if (
        opening >= 0
        and closing < len(lines)
        and lines[opening].strip().startswith(_FENCE)
        and lines[closing].strip() == _FENCE
    ):
        return opening, closing + 1
    return at, at + 1
