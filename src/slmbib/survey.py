"""The list's own works (the survey and its companions) and their citation block in the README.

Contract:

* Each own work is an ordinary record in ``refs/own/<id>.yaml``: sync updates
  it like any paper (the published version preferred), the maintainer may
  override it, export writes it with the bibliography, and it is never merged
  with the bibliography's papers.  ``refs/survey.yaml``, where earlier
  versions kept the survey's one record, is still read (as the own work
  ``survey``); the first write of that record moves it into ``refs/own/``.
* Own works are created without editing YAML: from a README's citation
  section (:func:`read_own_works`: its hand-pasted BibTeX blocks, read with
  bibtexparser, and its paper links) or from one identifier
  (``slmbib add --own``).  An entry naming a work ``refs/`` already has (same
  identifier or title) adds nothing.
* :func:`citation_block` is every own work's BibTeX entry, the survey first
  (keys pinned like any).
* :func:`update_readme` puts the block into a README in place: the first time
  it replaces the README's hand-pasted BibTeX (every fenced block of BibTeX in
  its citation section: the first becomes the new block, the others go) or
  the fenced placeholder ``[TBD - BibTeX citation link here]``, and surrounds
  what it writes with two HTML comments; later runs replace what lies between
  those comments.  No other line changes; running it twice changes nothing
  the second time, and the file is replaced atomically or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import store
from .errors import InputError
from .identity import new_record_id
from .latex import to_text
from .merge import identity_keys
from .models import Link, LinkRole, Listing, Provenance, Record, Value
from .reading.identify import identify
from .writing.keys import assign_keys, check_pinned, taken_keys
from .writing.write import render

#: The id the survey's record had in ``refs/survey.yaml``; it keeps it in ``refs/own/``.
SURVEY_ID = "survey"
PLACEHOLDER = "[TBD - BibTeX citation link here]"
BEGIN = "<!-- slmbib:citation begin: written by `slmbib cite --readme`, edit refs/own/ instead -->"
END = "<!-- slmbib:citation end -->"
_BEGIN_PREFIX = "<!-- slmbib:citation begin"
_FENCE = "```"
#: A heading or paragraph that asks readers to cite: its section holds the citation block.
_CITATION_WORDS = re.compile(r"\b(references?|citations?|cite|citing|bibtex)\b", re.IGNORECASE)
_BIBTEX_ENTRY = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
HOW_TO_CREATE = (
    "create them with `slmbib cite --readme README.md` (from its citation section) "
    "or `slmbib add --own ARXIV_ID_OR_DOI`"
)


def legacy_path(refs: Path) -> Path:
    return refs / store.SURVEY_FILE


def load_own(refs: Path) -> dict[str, Record]:
    """Every own work of ``refs``, by id: ``refs/own/*.yaml``, and the older ``refs/survey.yaml``."""
    works: dict[str, Record] = {}
    folder = store.own_dir(refs)
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            works[path.stem] = store.read_record_file(path)
    legacy = legacy_path(refs)
    if legacy.exists() and SURVEY_ID not in works:
        record = store.read_record_file(legacy)
        works[record.id] = record
    return works


def save_own(refs: Path, records: Iterable[Record]) -> list[str]:
    """Write the own works whose files change; returns their ids.

    The survey's record, when it still lives in ``refs/survey.yaml``, moves
    to ``refs/own/`` (written there first, then the old file removed).
    """
    written = []
    for record in records:
        path = store.own_path(refs, record.id)
        data = store.dump_record(record).encode("utf-8")
        try:
            unchanged = path.read_bytes() == data
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            store.atomic_write(path, data)
            written.append(record.id)
        if record.id == SURVEY_ID and legacy_path(refs).exists():
            legacy_path(refs).unlink()
            if record.id not in written:
                written.append(record.id)
    return written


def own_order(records: Iterable[Record]) -> list[Record]:
    """The survey first, then the order the README listed them in, then by key."""

    def position(record: Record) -> tuple[bool, int, str]:
        lines = [listing.line for listing in record.listings]
        return (record.id != SURVEY_ID, min(lines, default=1 << 30), record.key or record.id)

    return sorted(records, key=position)


def citation_block(refs: Path) -> str:
    """Every own work's BibTeX entry, pinning their keys in ``refs/`` on first use."""
    if not load_own(refs):  # checked before the lock, which would create refs/
        raise InputError(str(store.own_dir(refs)), 0, f"the list has no own works yet: {HOW_TO_CREATE}")
    with store.locked(refs):
        works = load_own(refs)
        papers = store.load_records(refs)
        check_pinned([*works.values(), *papers.values()])
        keyed, _ = assign_keys({**papers, **works})
        pinned = {record_id: keyed[record_id] for record_id in works}
        save_own(refs, [record for record_id, record in pinned.items() if record != works[record_id]])
    # A citation block to copy from: one entry per work, old keys not repeated.
    return render(own_order(pinned.values()), "bibtex", header=False, old_keys=False).text


# -- reading own works from a README ------------------------------------------------------------


@dataclass(frozen=True)
class _Fence:
    """A fenced code block: lines ``start`` to ``stop`` (0-based, end exclusive)."""

    start: int
    stop: int
    content: str
    cites: bool


def _citation_section(text: str) -> tuple[list[_Fence], list[tuple[int, str]]]:
    """Every fenced block (marked when its section asks readers to cite), and the URLs linked there
    with their (0-based) lines.

    A section asks readers to cite from its first heading or paragraph (not a list item: items
    are papers) that names a reference, a citation or BibTeX, to the next heading.
    """
    from markdown_it import MarkdownIt

    fences: list[_Fence] = []
    urls: list[tuple[int, str]] = []
    citing = False
    lists = 0  # how deep in lists: a paper listed as "... Small Reference Models" asks nothing
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "heading_open":
            citing = False
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            lists += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            lists -= 1
        elif token.type == "inline":
            citing = citing or (not lists and bool(_CITATION_WORDS.search(token.content)))
            if citing:
                line = token.map[0] if token.map else 0
                links = (child for child in token.children or () if child.type == "link_open")
                urls.extend((line, str(link.attrs.get("href", ""))) for link in links)
        elif token.type in ("fence", "code_block") and token.map is not None:
            fences.append(_Fence(token.map[0], token.map[1], token.content, citing))
    return fences, urls


def _hand_pasted(text: str) -> list[_Fence]:
    """The fenced blocks of BibTeX in the README's citation section."""
    fences, _ = _citation_section(text)
    return [fence for fence in fences if fence.cites and _BIBTEX_ENTRY.search(fence.content)]


def _plain_fields(record: Record) -> dict[str, Value]:
    """A BibTeX entry's values as the README's, in plain text: the services may improve on them."""
    fields = {}
    for name, value in record.fields.items():
        if isinstance(value.value, str):
            plain: object = to_text(value.value)
        elif isinstance(value.value, list):
            plain = [to_text(str(item)) for item in value.value]
        else:
            plain = value.value
        fields[name] = Value(plain, Provenance.README)
    return fields


def _entries(fence: _Fence, shown: str) -> list[Record]:
    """The records a hand-pasted BibTeX block gives, or an error naming its line."""
    from bibtexparser.entrypoint import parse_string

    from .reading.bibread import entry_record

    library = parse_string(fence.content)
    if library.failed_blocks:
        line = fence.start + 2 + (library.failed_blocks[0].start_line or 0)
        raise InputError(shown, line, "cannot read this BibTeX entry")
    records = []
    for entry in library.entries:
        values = {item.key.lower(): str(item.value) for item in entry.fields}
        record = entry_record(entry.entry_type.lower(), entry.key, values)
        listing = Listing(source=shown, line=fence.start + 2 + (entry.start_line or 0), section="", name="")
        records.append(replace(record, fields=_plain_fields(record), listings=(listing,)))
    return records


@dataclass
class OwnWorks:
    """What reading a README added: the own works created, and those it named that existed."""

    created: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)


def read_own_works(refs: Path, readme: Path, text: str) -> OwnWorks:
    """Create the own works the README's citation section names that ``refs/`` does not have yet."""
    shown = str(readme)
    candidates = [record for fence in _hand_pasted(text) for record in _entries(fence, shown)]
    for line, url in _citation_section(text)[1]:
        found = identify(url)
        if found.usable and found.role == LinkRole.PAPER and found.identifiers:
            listing = Listing(source=shown, line=line + 1, section="", name="")
            link = Link(found.url, LinkRole.PAPER)
            candidates.append(
                Record(id="", identifiers=dict(found.identifiers), links=(link,), listings=(listing,))
            )
    result = OwnWorks()
    with store.locked(refs):
        works = load_own(refs)
        papers = store.load_records(refs)
        taken = set(works) | set(papers)
        keys_taken = taken_keys([*works.values(), *papers.values()])
        changed: set[str] = set()
        for candidate in candidates:
            keys = identity_keys(candidate)
            same = next((work for work in works.values() if identity_keys(work) & keys), None)
            if same is None:
                # A key another record holds already is not taken over: the new work gets its own.
                key = "" if candidate.key.lower() in keys_taken else candidate.key
                same = replace(candidate, id=new_record_id(candidate, taken), key=key)
                taken.add(same.id)
                result.created.append(same.id)
            elif same.id not in result.known + result.created:
                result.known.append(same.id)
            if candidate.key and candidate.key.lower() not in keys_taken:
                keys_taken.add(candidate.key.lower())
                # A reader who copied the hand-pasted entry cites it by this key: it stays valid.
                if same.key and candidate.key != same.key:
                    same = replace(same, aliases=(*same.aliases, candidate.key))
            works[same.id] = same
            changed.add(same.id)
        save_own(refs, [works[record_id] for record_id in sorted(changed)])
    return result


# -- the README's citation block ----------------------------------------------------------------


@dataclass(frozen=True)
class ReadmeUpdate:
    path: Path
    changed: bool


def read_readme(readme: Path) -> str:
    shown = str(readme)
    try:
        return readme.read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(shown, 0, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(shown, 0, "not UTF-8") from None


def needs_own_works(text: str, works: Mapping[str, Record]) -> bool:
    """Whether the README's citation section should be read for own works before it is replaced."""
    return not works or bool(_hand_pasted(text))


def cite_readme(refs: Path, readme: Path) -> tuple[OwnWorks, ReadmeUpdate]:
    """``slmbib cite --readme``: own works read from the README when it has new ones, then its block."""
    text = read_readme(readme)
    found = OwnWorks()
    if needs_own_works(text, load_own(refs)):
        found = read_own_works(refs, readme, text)
    return found, update_readme(readme, citation_block(refs), text)


def update_readme(readme: Path, block: str, text: str | None = None) -> ReadmeUpdate:
    """Put ``block`` (BibTeX text) into ``readme``; see the module docstring."""
    from .reading.readme import split_lines  # see read_own_works

    if text is None:
        text = read_readme(readme)
    lines = split_lines(text, keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    start, stop, removed = _target(text, lines, str(readme))
    written = [BEGIN, _FENCE + "bibtex", *block.rstrip("\n").split("\n"), _FENCE, END]
    new_lines = [
        *lines[:start],
        *(line + newline for line in written),
        *(line for index, line in enumerate(lines[stop:], stop) if index not in removed),
    ]
    if stop == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        new_lines[-1] = new_lines[-1].rstrip("\r\n")
    new_text = "".join(new_lines)
    if new_text == text:
        return ReadmeUpdate(readme, False)
    store.atomic_write(readme, new_text.encode("utf-8"))
    return ReadmeUpdate(readme, True)


def _target(text: str, lines: list[str], shown: str) -> tuple[int, int, set[int]]:
    """The lines to replace (start, stop) and later lines to drop: the marked block, else the
    hand-pasted BibTeX, else the placeholder and its fence."""
    begins = [i for i, line in enumerate(lines) if line.strip().startswith(_BEGIN_PREFIX)]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if begins or ends:
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            where = (begins or ends)[-1] + 1
            raise InputError(shown, where, "the slmbib citation markers must appear once each, begin first")
        return begins[0], ends[0] + 1, set()
    pasted = _hand_pasted(text)
    if pasted:
        first, *others = pasted
        dropped = {index for fence in others for index in range(fence.start, fence.stop)}
        return first.start, first.stop, dropped
    found = [i for i, line in enumerate(lines) if PLACEHOLDER in line]
    if not found:
        looked_for = f"no BibTeX block in a citation section, {PLACEHOLDER!r} or slmbib citation markers"
        raise InputError(shown, 0, f"{looked_for} found")
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
        return opening, closing + 1, set()
    return at, at + 1, set()
